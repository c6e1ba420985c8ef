"""Watched waits on an outside service: a warning while an answer is late, a clear stop once too late.

A service that never answers (a firewall that drops packets, a proxy that accepts and never forwards,
an outage) would otherwise leave the process silent until some library timeout fires minutes later.
Whoever waits names the wait (``begin``) and says when it is over (``end``); ``WaitWatch.run`` logs a
WARNING naming the oldest wait after ``first_warning`` seconds, again at growing intervals, and
raises ``NoAnswer`` once one wait has lasted ``limit`` seconds. Both messages are templates given by
the owner of the watch, with the fields ``waited``, ``what``, ``fix`` and ``limit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TypeVar

import aiohttp
import yarl

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_WARNING_SECONDS = 10.0


@dataclass
class Wait:
    """One answer being waited for: what it is, what to check, since when, and when to warn next."""

    what: str
    fix: str
    since: float
    warn_at: float


class NoAnswer(Exception):  # noqa: N818 - reads as the condition
    """A wait lasted the whole limit; the message is one line that says what to check."""


class WaitWatch:
    """The waits on one service, watched while ``run`` runs (until ``finish``)."""

    def __init__(
        self,
        limit: float,
        *,
        warning: str,
        gave_up: str,
        first_warning: float = FIRST_WARNING_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._warning = warning
        self._gave_up = gave_up
        self._first_warning = first_warning
        self._clock = clock
        self._waits: dict[Hashable, Wait] = {}
        self._changed = asyncio.Event()
        self.finished = False

    def begin(self, key: Hashable, what: str, fix: str) -> None:
        """Start waiting for ``what`` under ``key``; ``fix`` says what to check if it does not come.

        The same wait begun again (a retry) keeps its start; another one under ``key`` replaces it.
        """
        current = self._waits.get(key)
        if self.finished or (current is not None and current.what == what):
            return
        now = self._clock()
        self._waits[key] = Wait(what, fix, now, now + self._first_warning)
        self._changed.set()

    def end(self, key: Hashable) -> None:
        """End the wait under ``key``: its answer came, or it no longer matters."""
        if self._waits.pop(key, None) is not None:
            self._changed.set()

    def finish(self) -> None:
        """Stop watching: the service answered everything the watch was for."""
        self.finished = True
        self._waits.clear()
        self._changed.set()

    async def run(self) -> None:
        """Warn while waits last and raise ``NoAnswer`` when one passes the limit; return at ``finish``."""
        while not self.finished:
            self._changed.clear()
            delay = self._check(self._clock())
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that lands just as
            # the event is set, and the watch would then outlive the start-up it watches.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._changed.wait()

    def _check(self, now: float) -> float | None:
        """Warn or give up on the oldest wait; return how long until it needs looking at again."""
        if not self._waits:
            return None
        wait = min(self._waits.values(), key=lambda w: w.since)
        waited = now - wait.since
        if waited >= self.limit:
            raise NoAnswer(self._describe(self._gave_up, wait, waited))
        if now >= wait.warn_at:
            log.warning("%s", self._describe(self._warning, wait, waited))
            wait.warn_at = wait.since + 2 * waited + self._first_warning  # 10 s, 30 s, 70 s, 150 s...
        return max(0.0, min(wait.warn_at, wait.since + self.limit) - now)

    def _describe(self, template: str, wait: Wait, waited: float) -> str:
        return template.format(waited=waited, what=wait.what, fix=wait.fix, limit=self.limit)


async def watched(work: Awaitable[T], watch: WaitWatch) -> T:
    """Await ``work`` while ``watch`` runs; if the watch gives up, cancel ``work`` and raise ``NoAnswer``.

    ``work`` has ended (returned, raised or been cancelled) whenever this returns or raises.
    """
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(watch.run())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            watcher.result()  # NoAnswer; otherwise the watch finished and the work goes on alone
            return await task
        return task.result()
    finally:
        for pending in (task, watcher):
            pending.cancel()
        await asyncio.gather(task, watcher, return_exceptions=True)


def trace_waits(
    watch: WaitWatch, describe: Callable[[str, yarl.URL], str | None], fix: str
) -> aiohttp.TraceConfig:
    """Return an aiohttp trace making each request of a session a wait on ``watch`` until its answer.

    ``describe(method, url)`` names the request, or returns None for one not to watch.
    """

    async def started(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        what = describe(params.method, params.url)
        if what is not None:
            context.wait = object()
            watch.begin(context.wait, what, fix)

    async def ended(session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
        if hasattr(context, "wait"):
            watch.end(context.wait)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(ended)
    return trace
