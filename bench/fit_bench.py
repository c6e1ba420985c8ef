"""Fit benchmark: time and peak RSS to fit a 25 MiB 720p 21 s clip under 10 MiB; loop stall under 4 encodes.

Runs ``bot.media.fit.ClipFitter`` exactly as the Cards cog does (bundled ffmpeg as a niced child process).
Peak RSS counts this process plus every ffmpeg child (psutil, sampled from a thread). The loop
stall is how late a 10 ms sleep wakes while encodes run (budget: 100 ms). Prints figures, asserts
nothing.

    .venv/bin/python -m bench.fit_bench            # --encodes 4 --concurrency 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs installed; two calls used

from bench.e2e_probes import LoopStallMonitor
from bot.media.fit import ClipFitter, probe
from tests.doubles.encoded_media import MIB, encoded_clip

LIMIT = 10 * MIB
STALL_BUDGET = 0.100


class TreeRssSampler:
    """Samples the RSS of this process plus its children (the encoders) from a thread."""

    def __init__(self, period: float = 0.05) -> None:
        self.period = period
        self.peak = 0
        self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            children = 0
            for child in me.children(recursive=True):
                try:
                    children += int(child.memory_info().rss)
                except psutil.Error:
                    continue
            self.peak_children = max(self.peak_children, children)
            self.peak = max(self.peak, int(me.memory_info().rss) + children)
            self._stop.wait(self.period)


async def fit_many(source: Path, folder: Path, encodes: int, concurrency: int) -> list[tuple[int, float]]:
    """Fit ``encodes`` copies of ``source`` at once (``concurrency`` run); return (size, seconds) each."""
    fitter = ClipFitter(concurrency=concurrency, timeout=3600)

    async def one(index: int) -> tuple[int, float]:
        started = time.monotonic()
        size = await fitter.fit(source, folder / f"out{index}.mp4", LIMIT)
        return size, time.monotonic() - started

    return list(await asyncio.gather(*(one(index) for index in range(encodes))))


async def measure(source: Path, folder: Path, encodes: int, concurrency: int) -> None:
    """Print the single-clip figures, then the many-encodes figures with the loop stall."""
    print(f"source: {len(encoded_clip(size=25 * MIB, seconds=21.0)) / MIB:.1f} MiB, {await probe(source)}")
    with TreeRssSampler() as rss:
        [(size, seconds)] = await fit_many(source, folder, 1, concurrency)
    fitted = await probe(folder / "out0.mp4")
    print(f"one clip: {seconds:.1f} s, {size / MIB:.2f} MiB (limit {LIMIT / MIB:.0f} MiB), {fitted}")
    print(f"  peak RSS bot+ffmpeg {rss.peak / MIB:.0f} MiB (ffmpeg {rss.peak_children / MIB:.0f} MiB)")
    monitor = LoopStallMonitor()
    watcher = asyncio.create_task(monitor.run())
    started = time.monotonic()
    with TreeRssSampler() as rss:
        results = await fit_many(source, folder, encodes, concurrency)
    watcher.cancel()
    worst = max(monitor.stalls, default=0.0)
    verdict = "PASS" if worst < STALL_BUDGET else "MISS"
    print(
        f"{encodes} clips, {concurrency} at once: {time.monotonic() - started:.1f} s in all, "
        f"slowest {max(s for _, s in results):.1f} s, largest {max(n for n, _ in results) / MIB:.2f} MiB"
    )
    print(f"  peak RSS bot+ffmpeg {rss.peak / MIB:.0f} MiB (ffmpeg {rss.peak_children / MIB:.0f} MiB)")
    probes = len(monitor.stalls)
    print(f"  loop stall: longest {worst * 1000:.1f} ms over {probes} probes [{verdict} < 100 ms]")


def main() -> None:
    """Make the 25 MiB 21 s 720p clip with the bundled ffmpeg and run the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--encodes", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    print(f"cores: {os.cpu_count()}, affinity {len(os.sched_getaffinity(0))}")
    data = encoded_clip(size=25 * MIB, seconds=21.0)
    with tempfile.TemporaryDirectory(prefix="fit-bench-") as name:
        folder = Path(name)
        source = folder / "source.mp4"
        source.write_bytes(data)
        asyncio.run(measure(source, folder, args.encodes, args.concurrency))


if __name__ == "__main__":
    main()
