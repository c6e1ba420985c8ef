"""Real H.264 MP4 clips made with the ffmpeg that imageio-ffmpeg ships (the one the bot fits with).

A moving test pattern with grain is encoded at a chosen bitrate, so a 12 MiB 720p clip of a couple of
seconds takes well under a second. Clips are cached in memory and under the temp folder, so a test
session (and the next one) makes each clip once.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
import tempfile
from pathlib import Path

from bot.media.fit import ffmpeg_exe, parse_probe

MIB = 1024 * 1024
CACHE_DIR = Path(tempfile.gettempdir()) / "motionbot-test-media"


@functools.lru_cache(maxsize=16)
def encoded_clip(*, size: int, seconds: float, width: int = 1280, height: int = 720, fps: int = 24) -> bytes:
    """Return an H.264 MP4 of ``seconds`` at ``width``×``height`` of about ``size`` bytes (silent)."""
    key = hashlib.sha256(f"{size}:{seconds}:{width}:{height}:{fps}:v1".encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{key}.mp4"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.mp4")
        _encode(partial, size=size, seconds=seconds, width=width, height=height, fps=fps)
        partial.replace(path)
    return path.read_bytes()


def _encode(dest: Path, *, size: int, seconds: float, width: int, height: int, fps: int) -> None:
    kbps = int(size * 8 / seconds / 1000)
    source = f"testsrc2=size={width}x{height}:rate={fps},noise=alls=12:allf=t:all_seed=7"
    rate = ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps // 4}k"]
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    command += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", *rate]
    command += ["-pix_fmt", "yuv420p", "-movflags", "+faststart", str(dest)]
    subprocess.run(command, check=True, timeout=120)


def probe_bytes(data: bytes, folder: Path) -> tuple[float, int, int]:
    """Return (duration, width, height) of an MP4 as the bundled ffmpeg reads it."""
    path = folder / f"probe-{hashlib.sha256(data).hexdigest()[:12]}.mp4"
    path.write_bytes(data)
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=60
    )
    probe = parse_probe(result.stderr)
    return probe.duration, probe.width, probe.height
