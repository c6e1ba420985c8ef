"""The tracker's polling half: one batched list call per poll interval for every job due.

The base of ``bot.tracking.tracker.JobTracker``: progress is written in one transaction per poll,
outcomes go through ``TrackerOutcomes``, a rejected key halts submissions. Each job's poll times and
missed listings live in its record (``bot.tracking.tracked``); the figures of the polls live here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from bot.models import FailureKind, Job, JobStatus
from bot.provider import (
    AuthenticationError,
    CometAPIClient,
    CometAPIError,
    ProviderUnavailableError,
    TaskNotFoundError,
    TaskSnapshot,
    TaskState,
)
from bot.store import JobStore
from bot.tracking.dispatcher import Dispatcher
from bot.tracking.events import JobEventKind
from bot.tracking.outcomes import TrackerOutcomes
from bot.tracking.tracked import TrackedJob

log = logging.getLogger(__name__)

# (job id, status, progress) reports of one poll, written together.
ProgressReport = tuple[int, JobStatus, int]
KeyRejectedHandler = Callable[[], Awaitable[None]]

MISSES_BEFORE_SINGLE_FETCH = 2


class TrackerPolling(TrackerOutcomes):
    """Polls in-flight jobs in batches and acts on what the provider reports."""

    def __init__(
        self,
        store: JobStore,
        client: CometAPIClient,
        *,
        poll_interval: float,
        job_timeout: dt.timedelta,
        clock: Callable[[], dt.datetime],
        dispatcher: Dispatcher,
    ) -> None:
        super().__init__(
            store,
            client,
            poll_interval=poll_interval,
            job_timeout=job_timeout,
            clock=clock,
            dispatcher=dispatcher,
        )
        self._key_rejected: list[KeyRejectedHandler] = []
        self._poll_task: asyncio.Task[None] | None = None
        self.auth_failed = False
        self.last_cycle_cpu = 0.0
        self.cpu_seconds_total = 0.0
        self.last_poll_at: float | None = None
        self.last_poll_started: float | None = None

    def _halt_on_auth(self, exc: AuthenticationError) -> None:
        if not self.auth_failed:
            log.critical("%s Submissions are stopped until COMETAPI_KEY is fixed and the bot restarts.", exc)
            for handler in self._key_rejected:
                self._own(self._announce(handler), name="key-rejected")
        self.auth_failed = True

    async def _announce(self, handler: KeyRejectedHandler) -> None:
        try:
            await handler()
        except Exception:
            log.exception("a key-rejected handler failed")

    # -- polling ----------------------------------------------------------------------------

    def _next_poll_at(self, now: float) -> float:
        # At most one list call per poll interval: jobs falling due meanwhile share the next one.
        earliest = (self.last_poll_started or 0.0) + self._schedule.base_interval
        return max(self._schedule.next_wakeup(self._records.polled(), now), earliest)

    def _launch_due_poll(self) -> None:
        if self._poll_task is not None and not self._poll_task.done():
            return
        now = time.monotonic()
        if self._next_poll_at(now) > now:
            return
        due = self._schedule.due(self._records.polled(), now)
        if not due or (self.auth_failed and self._recently_polled(now)):
            return
        self.last_poll_started = now
        self._poll_task = self._own(self._poll(due), name="poll")

    async def _poll(self, due: list[int]) -> None:
        started = time.process_time()
        try:
            await self._poll_due(due)
        except Exception:
            log.exception("polling %d jobs failed unexpectedly; they are retried at the base pace", len(due))
            self._reschedule_missed(due)
        finally:
            self.last_poll_at = time.monotonic()
            self.last_cycle_cpu = time.process_time() - started
            self.cpu_seconds_total += max(0.0, self.last_cycle_cpu)
            self._wake.set()

    def _reschedule_missed(self, job_ids: list[int]) -> None:
        now = time.monotonic()
        for job_id in job_ids:
            record = self._records.get(job_id)
            if record is not None and record.poll is not None:
                self._schedule.missed(record.poll, now)

    async def _poll_due(self, due: list[int]) -> None:
        jobs = {job.provider_task_id: job for job in self._tracked(due) if job.provider_task_id}
        try:
            snapshots = await self._client.fetch_tasks(list(jobs))
        except CometAPIError as exc:
            self._poll_failed(exc, due)
            return
        self._dispatch.reached()
        reports: list[ProgressReport] = []
        for task_id, job in jobs.items():
            try:
                report = await self._observe(job, snapshots.get(task_id))
            except Exception:
                log.exception("handling job %s failed; the tracker carries on", job.id)
                continue
            if report is not None:
                reports.append(report)
        await self._record_progress(reports, {job.id: job.lease_token for job in jobs.values()})

    async def _record_progress(self, reports: list[ProgressReport], tokens: dict[int, int]) -> None:
        """Store a poll's progress changes in one transaction, then announce them.

        A job another process took over meanwhile (its lease token moved on) is skipped by the store,
        so its card is not edited from here; the lease keeper lets it go at its next renewal.
        """
        if not reports:
            return
        try:
            updated = await self._store.update_progress_many(reports, tokens=tokens)
        except Exception:
            log.exception("recording the progress of %d jobs failed; the next poll retries", len(reports))
            return
        for job in updated:
            self._emit(JobEventKind.PROGRESS, self._track(job))

    def _recently_polled(self, now: float) -> bool:
        # With a rejected key, keep polling at the slowest pace only: nothing will change soon.
        return self.last_poll_at is not None and now - self.last_poll_at < self._schedule.max_interval

    def _poll_failed(self, exc: CometAPIError, job_ids: list[int]) -> None:
        if isinstance(exc, ProviderUnavailableError):
            self._dispatch.unreachable()
        if isinstance(exc, AuthenticationError):
            self._halt_on_auth(exc)
        else:
            log.warning("polling %d jobs failed: %s", len(job_ids), exc.description)
        self._reschedule_missed(job_ids)

    def _tracked(self, job_ids: Iterable[int]) -> list[Job]:
        """Return the jobs still active of ``job_ids`` (one may have been cancelled or let go since)."""
        active = self._records.active
        return [active[job_id] for job_id in job_ids if job_id in active]

    async def _observe(self, job: Job, snapshot: TaskSnapshot | None) -> ProgressReport | None:
        """Act on one job's poll result; a mere progress change is returned for the batched write."""
        now = time.monotonic()
        record = self._record_of(job)
        if snapshot is None:
            snapshot = await self._fetch_missing(record, job)
            if snapshot is None:
                if record.poll is not None:
                    self._schedule.missed(record.poll, now)
                return None
        record.misses = 0
        if snapshot.state is TaskState.SUCCEEDED:
            await self._succeeded(job, snapshot, now)
        elif snapshot.state is TaskState.FAILED:
            await self._provider_failed(job, snapshot, now)
        else:
            return self._progressed(job, snapshot, now)
        return None

    async def _fetch_missing(self, record: TrackedJob, job: Job) -> TaskSnapshot | None:
        """Handle a task the batch listing omitted: after a few misses ask for it directly."""
        record.misses += 1
        if record.misses < MISSES_BEFORE_SINGLE_FETCH or job.provider_task_id is None:
            return None
        try:
            return await self._client.fetch_task(job.provider_task_id)
        except TaskNotFoundError:
            record.misses, record.poll = 0, None
            await self._fail(job, FailureKind.PROVIDER_FAILED, "the provider no longer knows this task")
            return None

    def _progressed(self, job: Job, snapshot: TaskSnapshot, now: float) -> ProgressReport | None:
        poll = self._record_of(job).poll
        if poll is not None:
            self._schedule.observed(poll, now, snapshot.progress)
        status = JobStatus.RUNNING if snapshot.state is TaskState.RUNNING else JobStatus.SUBMITTED
        if status is job.status and snapshot.progress <= job.progress:
            return None
        return (job.id, status, snapshot.progress)

    async def _succeeded(self, job: Job, snapshot: TaskSnapshot, now: float) -> None:
        record = self._record_of(job)
        if record.poll is not None:
            self._schedule.finished(record.poll, now)
            record.poll = None
        if not snapshot.clip_urls:
            await self._fail(job, FailureKind.PROVIDER_FAILED, "the provider finished without any clip")
            return
        await self._store_success(job, snapshot.clip_urls)

    async def _provider_failed(self, job: Job, snapshot: TaskSnapshot, now: float) -> None:
        self._record_of(job).poll = None
        kind = FailureKind.NEEDS_INPUT if snapshot.needs_input else FailureKind.PROVIDER_FAILED
        reason = snapshot.fail_reason or "the provider could not make this video"
        await self._fail(job, kind, reason)
