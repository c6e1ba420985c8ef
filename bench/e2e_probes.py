"""Measuring instruments for the end-to-end benchmark: percentiles, RSS, cycle CPU, warnings.

Every instrument reads the bot from the outside, through public attributes (``tracker.cycles``,
``tracker.last_cycle_cpu``) or through the process (psutil), so the bot
under measurement is exactly the bot that runs in production.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import math
import resource
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs installed; two calls used

from bot.tracking.tracker import JobTracker

MIB = 1024 * 1024


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile (0 < share <= 1) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered))
    return ordered[max(0, min(len(ordered) - 1, rank - 1))]


def mean(values: Sequence[float]) -> float:
    """Return the arithmetic mean of ``values``; NaN when empty."""
    return sum(values) / len(values) if values else math.nan


def rss_bytes() -> int:
    """Return this process's resident set size now."""
    return int(psutil.Process().memory_info().rss)


def rss_high_water_bytes() -> int:
    """Return the kernel's record of this process's peak RSS (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class RssSampler:
    """Samples a process's RSS (this one unless ``pid`` is given) from a thread, so a busy event loop
    cannot hide a peak. Sampling stops by itself when the process is gone."""

    def __init__(self, period: float = 0.1, pid: int | None = None) -> None:
        self._period = period
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.samples: list[int] = []

    @property
    def peak(self) -> int:
        """Return the largest RSS sampled so far."""
        return max(self.samples, default=0)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            process = psutil.Process(self._pid)
            while not self._stop.is_set():
                self.samples.append(int(process.memory_info().rss))
                self._stop.wait(self._period)
        except psutil.NoSuchProcess:  # the child exited (or is a zombie): its peak is already sampled
            return


@dataclass(slots=True)
class CycleSampler:
    """Records ``tracker.last_cycle_cpu`` each time ``tracker.last_poll_at`` moves (checked every ``period``).

    The tracker sets both when a poll ends. Polls that end within one period of each other are seen
    once: the samples are an unbiased subset of the polls, not every poll.
    """

    tracker: JobTracker
    period: float = 0.01
    samples: list[float] = field(default_factory=list)

    async def run(self) -> None:
        """Sample until cancelled."""
        seen = self.tracker.last_poll_at
        while True:
            await asyncio.sleep(self.period)
            if self.tracker.last_poll_at != seen:
                seen = self.tracker.last_poll_at
                self.samples.append(self.tracker.last_cycle_cpu)


@dataclass(slots=True)
class LoopStallMonitor:
    """Measures how late the event loop wakes a short sleep: what any callback (an ack) waits extra."""

    period: float = 0.01
    stalls: list[float] = field(default_factory=list)

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.period)
            self.stalls.append(max(0.0, time.monotonic() - before - self.period))


class FullCollections:
    """Times Python's full (generation 2) garbage collections while inside the ``with`` block."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


class WarningCounter(logging.Handler):
    """Counts WARNING-and-above log records by logger and message, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record under ``logger: message`` (numbers in the message kept)."""
        message = record.getMessage().splitlines()[0][:160]
        self.counts[f"{record.levelname} {record.name}: {message}"] += 1

    @classmethod
    def install(cls) -> WarningCounter:
        """Make this the root logger's only handler, at WARNING, and return it."""
        counter = cls()
        root = logging.getLogger()
        root.handlers[:] = [counter]
        root.setLevel(logging.WARNING)
        return counter

    def top(self, count: int = 5) -> list[tuple[str, int]]:
        """Return the most frequent warnings, grouped by logger and the message's first 60 characters."""
        grouped: collections.Counter[str] = collections.Counter()
        for message, seen in self.counts.items():
            grouped[message[:90]] += seen
        return grouped.most_common(count)
