"""A stop that was asked for (SIGTERM from ``docker stop`` or systemd, SIGINT from Ctrl-C) is a clean exit.

The signal cancels the task that runs the work, wherever it is: opening the database, logging in,
syncing commands, connecting the gateway, waiting for READY, or long after. Every ``async with`` on
the way out closes what it opened (the tracker finishes its writes, the HTTP sessions and the database
close), and the work's result is replaced by the caller's "stopped" value after one INFO line.
Closing the Discord client instead would fail a login under way ("Connector is closed") and leave
discord.py retrying a gateway connection that can no longer succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Iterator
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """Which signal asked the work to stop, if one did."""

    def __init__(self, task: asyncio.Task[object]) -> None:
        self._task = task
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal_name is not None

    def ask(self, signum: int) -> None:
        """Log the stop once and cancel the work; a second signal while stopping changes nothing."""
        if self.requested:
            return
        self.signal_name = signal.Signals(signum).name
        log.info("shutting down (%s)", self.signal_name)
        self._task.cancel()


async def until_stopped(work: Awaitable[T], stopped: T, *, on_signals: bool = True) -> T:
    """Await ``work`` in this task; a SIGTERM or SIGINT cancels it and returns ``stopped`` instead.

    ``on_signals=False`` (a test running the bot in its own process) leaves the signals alone.
    """
    task = asyncio.current_task()
    if task is None or not on_signals:
        return await work
    request = StopRequest(task)
    with _handlers(request):
        try:
            return await work
        except asyncio.CancelledError:
            if not request.requested:
                raise
            task.uncancel()
            return stopped


@contextlib.contextmanager
def _handlers(request: StopRequest) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in STOP_SIGNALS:
        # NotImplementedError: Windows; RuntimeError: not the main thread.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, request.ask, signum)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
