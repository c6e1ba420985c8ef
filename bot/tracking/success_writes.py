"""Provider successes whose store write has not landed yet, retried with backoff until it does.

The provider made (and billed) the clips once it reports success, so that success must end delivered:
one failed write (a locked database, a full disk for a moment) must neither drop it nor let the
tracker's timeout sweep fail the job meanwhile. The retries live in memory; should the process stop
first, the job is still SUBMITTED/RUNNING (or TIMED_OUT and watched) in the store and is polled again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence

from bot.models import Job, JobStatus
from bot.ops import job_fields
from bot.store import InvalidTransition, JobNotFound, JobStore, LeaseLost
from bot.tracking.tracked import PendingSuccess, TrackedJob, TrackedJobs

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 60.0


class SuccessWrites:
    """Stores provider successes, keeping each one in its job's record until ``mark_succeeded`` is stored."""

    def __init__(
        self,
        store: JobStore,
        records: TrackedJobs,
        *,
        first_delay: float = FIRST_RETRY_SECONDS,
        max_delay: float = MAX_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._records = records
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._clock = clock

    def next_due(self) -> float | None:
        """Return the monotonic time of the next retry, or None when none is waiting."""
        return min((entry.due for entry in self._pending() if entry.due != math.inf), default=None)

    def take_due(self, now: float) -> list[PendingSuccess]:
        """Return the successes whose retry is due, marked as in flight."""
        due = [entry for entry in self._pending() if entry.due <= now]
        for entry in due:
            entry.due = math.inf
        return due

    async def write(self, job: Job, clip_urls: Sequence[str]) -> Job | None:
        """Store the success and return the stored job; on failure keep it for a retry and return None.

        The write carries the lease token of ``job`` as this process holds it: ``LeaseLost`` (the
        success dropped, not kept) means another process took the job over and handles it now.
        """
        record = self._records.hold(job)
        entry = record.success = record.success or PendingSuccess(job, tuple(clip_urls))
        entry.due = math.inf
        try:
            stored = await self._store.mark_succeeded(job.id, entry.clip_urls, token=entry.job.lease_token)
        except LeaseLost:
            # A let-go (or a cancel) may have dropped the record while the write ran: nothing else to do.
            self._settled(record)
            raise
        except (InvalidTransition, JobNotFound) as exc:
            self._settled(record)
            return await self._not_writable(entry.job, exc)
        except Exception:
            self._postpone(entry)
            return None
        self._settled(record)
        return stored

    def _pending(self) -> Iterator[PendingSuccess]:
        return (record.success for record in self._records.values() if record.success is not None)

    def _settled(self, record: TrackedJob) -> None:
        record.success = None
        self._records.release(record)

    def _postpone(self, entry: PendingSuccess) -> None:
        entry.attempts += 1
        delay = min(self._max_delay, self._first_delay * 2 ** (entry.attempts - 1))
        entry.due = self._clock() + delay
        log.exception(
            "storing the success of job %s failed (attempt %d); retrying in %.1f s",
            entry.job.id,
            entry.attempts,
            delay,
            extra=job_fields(entry.job),
        )

    async def _not_writable(self, job: Job, exc: Exception) -> Job | None:
        # A write that landed although its caller saw an error leaves the job SUCCEEDED: take it.
        current = await self._store.get_job(job.id)
        if current is not None and current.status is JobStatus.SUCCEEDED:
            return current
        if current is not None and current.status is JobStatus.CANCELLED:
            log.info("job %s was cancelled; the provider's result is ignored", job.id)
            return None
        log.warning("job %s: provider success not stored: %s", job.id, exc, extra=job_fields(job))
        return None
