"""Job events and the bus that hands them to subscribers (the Discord surface).

Events for one job are delivered in order; events for different jobs run concurrently, so a slow
upload for one job never delays the progress of another. Every handler task is owned and awaited
(or cancelled after a grace period) on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.models import Job

log = logging.getLogger(__name__)


class JobEventKind(StrEnum):
    """What happened to a job."""

    SUBMITTED = "submitted"
    PROGRESS = "progress"
    POSITION = "position"  # a waiting job's place in line changed (ask the tracker for it)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A change to one job, carrying the job as stored after the change."""

    kind: JobEventKind
    job: Job


EventHandler = Callable[[JobEvent], Awaitable[None]]


class EventBus:
    """Delivers job events to subscribers, in order per job, concurrently across jobs."""

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: dict[int, asyncio.Task[None]] = {}

    @property
    def pending(self) -> int:
        """Return how many event deliveries are still running."""
        return len(self._tasks)

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every event emitted from now on."""
        self._handlers.append(handler)

    def unsubscribe(self, handler: EventHandler) -> None:
        """Stop calling ``handler``."""
        if handler in self._handlers:
            self._handlers.remove(handler)

    def emit(self, kind: JobEventKind, job: Job) -> None:
        """Schedule delivery of one event after any earlier event of the same job."""
        previous = self._tails.get(job.id)
        task = asyncio.create_task(self._deliver(JobEvent(kind, job), previous), name=f"{kind}-{job.id}")
        self._tasks.add(task)
        self._tails[job.id] = task
        task.add_done_callback(lambda done: self._forget(job.id, done))

    async def drain(self, grace: float) -> None:
        """Wait for running deliveries; cancel what is still running after ``grace`` seconds."""
        pending = list(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _forget(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._tails.get(job_id) is task:
            del self._tails[job_id]

    async def _deliver(self, event: JobEvent, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        for handler in self._handlers:
            try:
                await handler(event)
            except Exception:
                log.exception("event handler failed for job %s (%s)", event.job.id, event.kind)
