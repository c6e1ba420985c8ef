"""Fitting a clip under an upload limit: H.264 re-encode with the ffmpeg that imageio-ffmpeg ships.

``plan_fit`` is pure: from a probed clip and a byte target it picks the video bitrate of a two-pass
encode and whether to scale down to 480p. ``ClipFitter`` runs ffmpeg as a child process (never on
the event loop), at most N at once and within a time limit; anything that goes wrong is a
``FitFailed`` so the caller can fall back to the link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

log = logging.getLogger(__name__)

# The output aims this far under the limit: the MP4 container and x264's rate control overshoot a
# little, and a result over the limit is wasted work.
TARGET_FRACTION = 0.92
CONTAINER_OVERHEAD = 64 * 1024
# Below this many bits per pixel per frame a 720p picture turns to mush; 480p is sharper then.
MIN_BITS_PER_PIXEL = 0.04
SCALED_HEIGHT = 480
# Under this the result is not worth posting: the link to the original is better.
MIN_VIDEO_KBPS = 120
ASSUMED_FPS = 24.0
NICENESS = 10  # the encoder yields the CPU to the bot's event loop
# veryfast: about three times the speed of medium for a few per cent more bits at the same quality;
# the bitrate is fixed by the limit anyway, and the 2-core target must not spend minutes per clip.
PRESET = "veryfast"

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?Video:.*?(\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")


class FitFailed(Exception):  # noqa: N818 (reads as "the fit failed")
    """The clip could not be fitted: ffmpeg failed, took too long, or the result is still too big."""


@dataclass(frozen=True, slots=True)
class Probe:
    """What ffmpeg says about a clip: duration in seconds, frame size and frame rate."""

    duration: float
    width: int
    height: int
    fps: float = ASSUMED_FPS


@dataclass(frozen=True, slots=True)
class FitPlan:
    """A two-pass encode: the video bitrate in kbit/s and the output height (None keeps it)."""

    video_kbps: int
    height: int | None


def plan_fit(probe: Probe, limit: int) -> FitPlan | None:
    """Return the encode that lands a little under ``limit`` bytes, or None when none can.

    The bitrate spreads the target over the clip's duration; when it leaves fewer than
    ``MIN_BITS_PER_PIXEL`` for the source size and the source is taller than 480p, it scales to 480p.
    """
    if probe.duration <= 0 or probe.width <= 0 or probe.height <= 0:
        return None
    target_bits = (limit * TARGET_FRACTION - CONTAINER_OVERHEAD) * 8
    kbps = int(target_bits / probe.duration / 1000)
    if kbps < MIN_VIDEO_KBPS:
        return None
    bits_per_pixel = kbps * 1000 / (probe.width * probe.height * max(probe.fps, 1.0))
    scale = probe.height > SCALED_HEIGHT and bits_per_pixel < MIN_BITS_PER_PIXEL
    return FitPlan(video_kbps=kbps, height=SCALED_HEIGHT if scale else None)


def parse_probe(text: str) -> Probe:
    """Read duration, frame size and frame rate from ``ffmpeg -i`` output; FitFailed without them."""
    duration = _DURATION.search(text)
    video = _VIDEO.search(text)
    if duration is None or video is None:
        raise FitFailed("ffmpeg did not report a duration and a video stream")
    hours, minutes, seconds = duration.groups()
    line = text[video.start() :].split("\n", 1)[0]
    fps = _FPS.search(line)
    return Probe(
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        width=int(video.group(1)),
        height=int(video.group(2)),
        fps=float(fps.group(1)) if fps else ASSUMED_FPS,
    )


def ffmpeg_exe() -> str:
    """Return the path of the ffmpeg binary bundled with imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def run_ffmpeg(*args: str) -> tuple[int, str]:
    """Run ffmpeg with ``args`` as a lower-priority child; return its exit code and stderr.

    Cancelling the caller kills the child, so a timeout never leaves an encoder running.
    """
    process = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, process.pid, NICENESS)
    try:
        _, stderr = await process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return process.returncode or 0, stderr.decode("utf-8", "replace")


async def probe(path: Path) -> Probe:
    """Return the duration and frame size of the clip at ``path`` (ffprobe is not shipped)."""
    _, text = await run_ffmpeg("-i", str(path))  # exits 1 ("no output file"), after the report
    return parse_probe(text)


def encode_args(source: Path, dest: Path, plan: FitPlan, passlog: Path, pass_no: int) -> list[str]:
    """Return ffmpeg's arguments for one pass of the two-pass H.264 encode (silent, faststart)."""
    args = ["-y", "-i", str(source), "-map", "0:v:0", "-an", "-map_metadata", "0"]
    if plan.height is not None:
        args += ["-vf", f"scale=-2:{plan.height}"]  # -2: the width keeps the aspect, rounded to even
    args += ["-c:v", "libx264", "-preset", PRESET, "-b:v", f"{plan.video_kbps}k"]
    args += ["-pix_fmt", "yuv420p", "-pass", str(pass_no), "-passlogfile", str(passlog)]
    if pass_no == 1:
        return [*args, "-f", "null", os.devnull]
    return [*args, "-movflags", "+faststart", str(dest)]


class ClipFitter:
    """Re-encodes clips under a byte limit, ``concurrency`` at once, each within ``timeout`` seconds."""

    def __init__(self, *, concurrency: int, timeout: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.timeout = timeout

    async def fit(self, source: Path, dest: Path, limit: int) -> int:
        """Write a version of ``source`` under ``limit`` bytes to ``dest``; return its size.

        Raises FitFailed when no encode can fit, ffmpeg fails or times out, or the result is too big;
        ``dest`` is then removed.
        """
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._fit(source, dest, limit)
            except TimeoutError as exc:
                await asyncio.to_thread(dest.unlink, missing_ok=True)
                raise FitFailed(f"encode took longer than {self.timeout:g} s") from exc
            except FitFailed:
                await asyncio.to_thread(dest.unlink, missing_ok=True)
                raise

    async def _fit(self, source: Path, dest: Path, limit: int) -> int:
        plan = plan_fit(await probe(source), limit)
        if plan is None:
            raise FitFailed("the clip is too long for the limit at any usable bitrate")
        passlog = dest.with_suffix(".x264")
        for pass_no in (1, 2):
            code, text = await run_ffmpeg(*encode_args(source, dest, plan, passlog, pass_no))
            if code != 0:
                raise FitFailed(f"ffmpeg pass {pass_no} exited {code}: {text.strip()[-300:]}")
        size = (await asyncio.to_thread(dest.stat)).st_size
        if size > limit:
            raise FitFailed(f"the encode is {size} bytes, still over {limit}")
        return size
