"""The job tracker: ONE loop that submits queued jobs and polls every in-flight job in batches.

It persists every state change before telling anyone, emits events to subscribers (the Discord
surface), times out stuck jobs, resumes in-flight jobs from the store at start-up and shuts down
cleanly. A failure while handling one job is logged with the job id and never stops the loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from bot.cometapi import CometAPIClient
from bot.cometapi_types import (
    AuthenticationError,
    CometAPIError,
    ProviderBusyError,
    TaskNotFoundError,
    TaskSnapshot,
    TaskState,
)
from bot.events import EventHandler, JobEventKind
from bot.logs import job_fields
from bot.models import FailureKind, Job, JobStatus, utcnow
from bot.store import InvalidTransition, JobStore
from bot.submission import ProviderRequest, build_request, failure_kind, send_request
from bot.tracker_outcomes import TrackerOutcomes

log = logging.getLogger(__name__)

# (job id, status, progress) reports of one poll, written together.
ProgressReport = tuple[int, JobStatus, int]
KeyRejectedHandler = Callable[[], Awaitable[None]]

SUBMIT_CONCURRENCY = 8
BUSY_RETRY_SECONDS = 30.0
STOP_GRACE_SECONDS = 6.0
MISSES_BEFORE_SINGLE_FETCH = 2


class TrackerHalted(Exception):  # noqa: N818 - an expected condition, not a fault
    """Raised to callers when the tracker no longer accepts jobs (shutdown or bad provider key)."""


class JobTracker(TrackerOutcomes):
    """Submits queued jobs and follows in-flight jobs until they succeed, fail or time out."""

    def __init__(
        self,
        store: JobStore,
        client: CometAPIClient,
        *,
        poll_interval: float,
        job_timeout: dt.timedelta,
        clock: Callable[[], dt.datetime] = utcnow,
        busy_retry_seconds: float = BUSY_RETRY_SECONDS,
    ) -> None:
        super().__init__(store, client, poll_interval=poll_interval, job_timeout=job_timeout, clock=clock)
        self._busy_retry = busy_retry_seconds
        self._misses: dict[int, int] = {}
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._submit_slots = asyncio.Semaphore(SUBMIT_CONCURRENCY)
        self._key_rejected: list[KeyRejectedHandler] = []
        self.auth_failed = False
        self.cycles = 0
        self.last_cycle_at: float | None = None
        self.last_cycle_cpu = 0.0
        self.last_poll_at: float | None = None
        self.last_poll_started: float | None = None
        self._poll_task: asyncio.Task[None] | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        """Return True while new jobs may be started."""
        return not self._stopping and not self.auth_failed

    @property
    def in_flight(self) -> int:
        """Return how many jobs the tracker is submitting or polling."""
        return len(self._active)

    @property
    def running(self) -> bool:
        """Return True while the loop task is alive (started and neither stopped nor crashed)."""
        return self._loop_task is not None and not self._loop_task.done()

    @property
    def max_poll_interval(self) -> float:
        """Return the longest the loop waits between two cycles, in seconds."""
        return self._schedule.max_interval

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every job event (in order per job, concurrently across jobs)."""
        self.events.subscribe(handler)

    def on_key_rejected(self, handler: KeyRejectedHandler) -> None:
        """Call ``handler`` once, when the provider first rejects the API key in this process."""
        self._key_rejected.append(handler)

    async def start(self) -> None:
        """Resume in-flight jobs from the store and start the loop."""
        await self._resume()
        self._loop_task = asyncio.create_task(self._run(), name="job-tracker")

    async def enqueue(self, job: Job) -> None:
        """Hand over a stored QUEUED job for submission; raises TrackerHalted when not accepting."""
        if not self.accepting:
            raise TrackerHalted
        self._active[job.id] = job
        self._queued[job.id] = time.monotonic()
        self._wake.set()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop taking jobs, finish the current cycle, submissions and event handlers within ``grace``."""
        deadline = time.monotonic() + grace
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self.events.drain(max(0.1, deadline - time.monotonic()))

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._cycle()
            except Exception:
                log.exception("tracker cycle failed; continuing")
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        now = time.monotonic()
        # While a poll is in flight its jobs stay due; it wakes the loop itself when it ends.
        polling = self._poll_task is not None and not self._poll_task.done()
        next_poll = now + self._schedule.max_interval if polling else self._next_poll_at(now)
        wakeup = min([next_poll, *self._queued.values(), *self._later_wakeups()])
        delay = max(0.0, wakeup - now)
        self._wake.clear()
        if self._stopping:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        except TimeoutError:
            pass

    async def _cycle(self) -> None:
        # Submissions and the poll run as owned tasks, so a poll that waits out provider retries
        # never holds up new submissions or the timeout sweep.
        self._launch_due_submissions()
        self._launch_due_poll()
        self._launch_due_success_writes()
        self._launch_late_poll()
        await self._expire_stuck()
        self.cycles += 1
        self.last_cycle_at = time.monotonic()

    # -- submission -------------------------------------------------------------------------

    def _launch_due_submissions(self) -> None:
        now = time.monotonic()
        for job_id, due in list(self._queued.items()):
            if due <= now:
                del self._queued[job_id]
                self._own(self._submit(job_id), name=f"submit-{job_id}")

    async def _submit(self, job_id: int) -> None:
        try:
            async with self._submit_slots:
                await self._submit_one(job_id)
        except Exception:
            log.exception("submitting job %s failed unexpectedly", job_id)
            await self._fail(job_id, FailureKind.INTERNAL, "unexpected error while submitting")

    async def _submit_one(self, job_id: int) -> None:
        job = await self._store.get_job(job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return
        if self.auth_failed:
            await self._fail(job_id, FailureKind.CONFIGURATION, "the provider rejected the API key")
            return
        try:
            request = await build_request(self._store, job)
        except LookupError as exc:
            await self._fail(job_id, FailureKind.REFUSED, str(exc))
            return
        try:
            # The store's transition is the gate: a job cancelled meanwhile is never sent.
            job = self._track(await self._store.mark_submitting(job_id))
        except InvalidTransition as exc:
            log.info("job %s not submitted: it is %s", job_id, exc.current)
            return
        await self._send(job, request)

    async def _send(self, job: Job, request: ProviderRequest) -> None:
        try:
            result = await send_request(self._client, request)
        except ProviderBusyError as exc:
            await self._retry_later(job, exc)
            return
        except CometAPIError as exc:
            await self._submit_failed(job, exc)
            return
        try:
            updated = self._track(await self._store.mark_submitted(job.id, result.task_id))
        except InvalidTransition as exc:
            # Cancelled while the submit was on the wire; the provider has no cancel endpoint.
            log.info("job %s is %s; its provider task %s is left alone", job.id, exc.current, result.task_id)
            return
        self._schedule.add(job.id, time.monotonic())
        log.info(
            "job %s submitted as task %s (user %s)",
            job.id,
            result.task_id,
            job.requester_id,
            extra=job_fields(job),
        )
        self._emit(JobEventKind.SUBMITTED, updated)
        self._wake.set()

    async def _retry_later(self, job: Job, exc: ProviderBusyError) -> None:
        delay = max(self._busy_retry, exc.retry_after or 0.0)
        try:
            self._track(await self._store.requeue(job.id))
        except InvalidTransition as gone:
            log.info("provider busy, and job %s is %s: not retried", job.id, gone.current)
            return
        log.warning("provider busy; job %s retried in %.0f s", job.id, delay, extra=job_fields(job))
        self._queued[job.id] = time.monotonic() + delay

    async def _submit_failed(self, job: Job, exc: CometAPIError) -> None:
        if isinstance(exc, AuthenticationError):
            self._halt_on_auth(exc)
        await self._fail(job.id, failure_kind(exc), exc.description)

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
        # Leave a short gap after each poll so jobs falling due meanwhile share the next request.
        earliest = (self.last_poll_started or 0.0) + self._schedule.min_interval / 2
        return max(self._schedule.next_wakeup(now), earliest)

    def _launch_due_poll(self) -> None:
        if self._poll_task is not None and not self._poll_task.done():
            return
        now = time.monotonic()
        if self._next_poll_at(now) > now:
            return
        due = self._schedule.due(now)
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
            self._wake.set()

    def _reschedule_missed(self, job_ids: list[int]) -> None:
        now = time.monotonic()
        for job_id in job_ids:
            self._schedule.missed(job_id, now)

    async def _poll_due(self, due: list[int]) -> None:
        jobs = {job.provider_task_id: job for job in self._tracked(due) if job.provider_task_id}
        try:
            snapshots = await self._client.fetch_tasks(list(jobs))
        except CometAPIError as exc:
            self._poll_failed(exc, due)
            return
        reports: list[ProgressReport] = []
        for task_id, job in jobs.items():
            try:
                report = await self._observe(job, snapshots.get(task_id))
            except Exception:
                log.exception("handling job %s failed; the tracker carries on", job.id)
                continue
            if report is not None:
                reports.append(report)
        await self._record_progress(reports)

    async def _record_progress(self, reports: list[ProgressReport]) -> None:
        """Store a poll's progress changes in one transaction, then announce them."""
        if not reports:
            return
        try:
            updated = await self._store.update_progress_many(reports)
        except Exception:
            log.exception("recording the progress of %d jobs failed; the next poll retries", len(reports))
            return
        for job in updated:
            self._emit(JobEventKind.PROGRESS, self._track(job))

    def _recently_polled(self, now: float) -> bool:
        # With a rejected key, keep polling at the slowest pace only: nothing will change soon.
        return self.last_poll_at is not None and now - self.last_poll_at < self._schedule.max_interval

    def _poll_failed(self, exc: CometAPIError, job_ids: list[int]) -> None:
        if isinstance(exc, AuthenticationError):
            self._halt_on_auth(exc)
        else:
            log.warning("polling %d jobs failed: %s", len(job_ids), exc.description)
        self._reschedule_missed(job_ids)

    def _tracked(self, job_ids: Iterable[int]) -> list[Job]:
        jobs = []
        for job_id in job_ids:
            job = self._active.get(job_id)
            if job is None:
                self._schedule.remove(job_id)
            else:
                jobs.append(job)
        return jobs

    async def _observe(self, job: Job, snapshot: TaskSnapshot | None) -> ProgressReport | None:
        """Act on one job's poll result; a mere progress change is returned for the batched write."""
        now = time.monotonic()
        if snapshot is None:
            snapshot = await self._fetch_missing(job)
            if snapshot is None:
                self._schedule.missed(job.id, now)
                return None
        self._misses.pop(job.id, None)
        if snapshot.state is TaskState.SUCCEEDED:
            await self._succeeded(job, snapshot, now)
        elif snapshot.state is TaskState.FAILED:
            await self._provider_failed(job, snapshot, now)
        else:
            return self._progressed(job, snapshot, now)
        return None

    async def _fetch_missing(self, job: Job) -> TaskSnapshot | None:
        """Handle a task the batch listing omitted: after a few misses ask for it directly."""
        misses = self._misses.get(job.id, 0) + 1
        self._misses[job.id] = misses
        if misses < MISSES_BEFORE_SINGLE_FETCH or job.provider_task_id is None:
            return None
        try:
            return await self._client.fetch_task(job.provider_task_id)
        except TaskNotFoundError:
            self._misses.pop(job.id, None)
            self._schedule.remove(job.id)
            await self._fail(job.id, FailureKind.PROVIDER_FAILED, "the provider no longer knows this task")
            return None

    def _progressed(self, job: Job, snapshot: TaskSnapshot, now: float) -> ProgressReport | None:
        self._schedule.observed(job.id, now, snapshot.progress)
        status = JobStatus.RUNNING if snapshot.state is TaskState.RUNNING else JobStatus.SUBMITTED
        if status is job.status and snapshot.progress <= job.progress:
            return None
        return (job.id, status, snapshot.progress)

    async def _succeeded(self, job: Job, snapshot: TaskSnapshot, now: float) -> None:
        self._schedule.finished(job.id, now)
        if not snapshot.clip_urls:
            await self._fail(job.id, FailureKind.PROVIDER_FAILED, "the provider finished without any clip")
            return
        await self._store_success(job, snapshot.clip_urls)

    async def _provider_failed(self, job: Job, snapshot: TaskSnapshot, now: float) -> None:
        self._schedule.remove(job.id)
        kind = FailureKind.NEEDS_INPUT if snapshot.needs_input else FailureKind.PROVIDER_FAILED
        reason = snapshot.fail_reason or "the provider could not make this video"
        await self._fail(job.id, kind, reason)
