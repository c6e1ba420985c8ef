"""Jobs the bot timed out itself, watched slowly for a bounded time in case the provider finishes them.

The bot's timeout only means it stopped waiting: the provider may still make (and bill) the clips.
Such jobs are polled in one batched request at a slow pace until the provider finishes or fails them,
or until ``LATE_WATCH_WINDOW`` after the timeout; a success is handed back for delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.models import Job
from bot.provider import CometAPIClient, CometAPIError, TaskSnapshot, TaskState
from bot.store import late_success_allowed
from bot.tracking.tracked import TrackedJobs

log = logging.getLogger(__name__)

LATE_WATCH_WINDOW = dt.timedelta(hours=24)
"""How long after the bot's own timeout a job's provider task is still watched."""


class LateWatch:
    """Timed-out-by-us jobs with a provider task, polled together every ``interval`` seconds.

    A watched job is a record of ``records`` marked ``late``; the watch keeps only its own pace.
    """

    def __init__(
        self,
        client: CometAPIClient,
        records: TrackedJobs,
        *,
        interval: float,
        clock: Callable[[], dt.datetime],
        window: dt.timedelta = LATE_WATCH_WINDOW,
    ) -> None:
        self._client = client
        self._records = records
        self._interval = interval
        self._clock = clock
        self._window = window
        self._next_poll = 0.0

    def __len__(self) -> int:
        return len(self._watched())

    def window_start(self) -> dt.datetime:
        """Return the earliest timeout that is still watched."""
        return self._clock() - self._window

    def add(self, job: Job) -> None:
        """Watch ``job`` if the bot timed it out within the window and the provider knows its task."""
        if not late_success_allowed(job) or job.timed_out_at is None:
            return
        if job.timed_out_at >= self.window_start():
            if not self._any_watched():
                self._next_poll = time.monotonic() + self._interval
            self._records.hold(job).late = True

    def remove(self, job_id: int) -> None:
        """Stop watching a job."""
        record = self._records.get(job_id)
        if record is not None and record.late:
            record.late = False
            self._records.release(record)

    def next_due(self) -> float | None:
        """Return the monotonic time of the next slow poll, or None when nothing is watched."""
        return self._next_poll if self._any_watched() else None

    def due(self, now: float) -> bool:
        """Return True when watched jobs should be polled at ``now``."""
        return self._next_poll <= now and self._any_watched()

    async def poll(self) -> list[tuple[Job, TaskSnapshot]]:
        """Ask the provider about every watched job; return the successes (no longer watched)."""
        self._next_poll = time.monotonic() + self._interval
        self._forget_expired()
        jobs = {job.provider_task_id: job for job in self._watched() if job.provider_task_id}
        if not jobs:
            return []
        try:
            snapshots = await self._client.fetch_tasks(list(jobs))
        except CometAPIError as exc:
            log.warning("polling %d timed-out jobs failed: %s", len(jobs), exc.description)
            return []
        finished = []
        for task_id, job in jobs.items():
            snapshot = snapshots.get(task_id)
            if snapshot is None or snapshot.state not in (TaskState.SUCCEEDED, TaskState.FAILED):
                continue
            self.remove(job.id)
            if snapshot.state is TaskState.SUCCEEDED and snapshot.clip_urls:
                finished.append((job, snapshot))
        return finished

    def _watched(self) -> list[Job]:
        return [record.job for record in self._records.values() if record.late]

    def _any_watched(self) -> bool:
        return any(record.late for record in self._records.values())

    def _forget_expired(self) -> None:
        start = self.window_start()
        for job in self._watched():
            if job.timed_out_at is None or job.timed_out_at < start:
                log.info("job %s: stopped watching its provider task after the timeout window", job.id)
                self.remove(job.id)
