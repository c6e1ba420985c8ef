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
from collections.abc import Callable

from bot.checks import ProviderImages
from bot.models import FailureKind, Job, JobStatus, utcnow
from bot.ops import job_fields
from bot.provider import (
    AuthenticationError,
    CometAPIClient,
    CometAPIError,
    NoInstanceError,
    ProviderBusyError,
    ProviderState,
    ProviderUnavailableError,
)
from bot.store import InvalidTransition, JobStore
from bot.tracking.dispatcher import DEFAULT_PROVIDER_CAP, QueuePlace, QueueView, RunningLimit
from bot.tracking.dispatcher_shared import SharedDispatcher, dispatcher_for
from bot.tracking.events import EventHandler, JobEventKind
from bot.tracking.lease_keeper import LeaseKeeper
from bot.tracking.polling import KeyRejectedHandler, TrackerPolling
from bot.tracking.submission import NotSendable, ProviderRequest, build_request, failure_kind, send_request

log = logging.getLogger(__name__)


SUBMIT_CONCURRENCY = 8
BUSY_RETRY_SECONDS = 5.0  # first back-off after a busy answer; doubles while it lasts, capped
STOP_GRACE_SECONDS = 6.0


class TrackerHalted(Exception):  # noqa: N818 - an expected condition, not a fault
    """Raised to callers when the tracker no longer accepts jobs (shutdown or bad provider key)."""


class JobTracker(TrackerPolling):
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
        provider_cap: int = DEFAULT_PROVIDER_CAP,
        running_limit: RunningLimit | None = None,
        images: ProviderImages | None = None,
    ) -> None:
        dispatcher = dispatcher_for(
            shared=store.shared,
            refresh_seconds=poll_interval,
            cap=provider_cap,
            running_limit=running_limit,
            busy_base=busy_retry_seconds,
            clock=clock,
        )
        super().__init__(
            store,
            client,
            poll_interval=poll_interval,
            job_timeout=job_timeout,
            clock=clock,
            dispatcher=dispatcher,
        )
        self._images = images
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._submit_slots = asyncio.Semaphore(SUBMIT_CONCURRENCY)
        self.cycles = 0
        self.last_cycle_at: float | None = None
        self._leases: LeaseKeeper | None = None
        self._lease_task: asyncio.Task[None] | None = None
        self._leases_stop = asyncio.Event()
        if store.shared:
            self._leases = LeaseKeeper(
                store,
                lease_seconds=store.lease_seconds,
                # A stopped process's jobs are found within a poll interval of their lease's end.
                interval=min(store.lease_seconds / 3, poll_interval),
                held=self._held_jobs,
                let_go=self._forget,
                adopt=self._adopt,
            )

    # -- public API -------------------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        """Return True while new jobs may be started."""
        return not self._stopping and not self.auth_failed

    @property
    def in_flight(self) -> int:
        """Return how many jobs the tracker is submitting or polling."""
        return len(self._records.active)

    @property
    def running(self) -> bool:
        """Return True while the loop task is alive (started and neither stopped nor crashed)."""
        return self._loop_task is not None and not self._loop_task.done()

    @property
    def max_poll_interval(self) -> float:
        """Return the longest the loop waits between two cycles, in seconds."""
        return self._schedule.max_interval

    @property
    def provider_state(self) -> ProviderState:
        """Return the provider's condition as last seen (normal, busy or unreachable, and since when)."""
        return self._dispatch.state

    @property
    def provider_running(self) -> int:
        """Return how many jobs are at the provider or on their way there."""
        return self._dispatch.running_count(self._records.active)

    @property
    def waiting(self) -> int:
        """Return how many jobs wait for a provider slot."""
        return len(self._dispatch.queue)

    def queue_place(self, job_id: int) -> QueuePlace | None:
        """Return a waiting job's place in line and wait estimate, or None when it is not waiting."""
        return self._dispatch.place(job_id, self._schedule.expected_seconds)

    def queue_view(self, guild_id: int, limit: int) -> QueueView:
        """Return a server's running and waiting jobs (at most ``limit`` of each) with their counts."""
        return self._dispatch.view(self._records.active, guild_id, limit)

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every job event (in order per job, concurrently across jobs)."""
        self.events.subscribe(handler)

    def on_key_rejected(self, handler: KeyRejectedHandler) -> None:
        """Call ``handler`` once, when the provider first rejects the API key in this process."""
        self._key_rejected.append(handler)

    @property
    def jobs_taken_over(self) -> int:
        """Return how many jobs this process took over from processes that stopped (shared store)."""
        return self._leases.taken_over if self._leases is not None else 0

    @property
    def jobs_let_go(self) -> int:
        """Return how many jobs this process let go because another process holds them now."""
        return self._leases.let_go_total if self._leases is not None else 0

    async def start(self) -> None:
        """Resume in-flight jobs from the store (or, shared, take over expired leases) and start the loop."""
        if self._leases is None:
            await self._resume()
        else:
            await self._leases.take_over()
            self._lease_task = asyncio.create_task(self._leases.run(self._leases_stop), name="job-leases")
        self._loop_task = asyncio.create_task(self._run(), name="job-tracker")

    def _held_jobs(self) -> set[int]:
        return set(self._records)

    async def enqueue(self, job: Job) -> None:
        """Hand over a stored QUEUED job for submission; raises TrackerHalted when not accepting."""
        if not self.accepting:
            raise TrackerHalted
        self._records.track(job)
        self._dispatch.add(job)
        self._wake.set()

    def withdraw(self, job_id: int) -> Job | None:
        """Stop handling a job (cancelled): out of the line if waiting, never polled again.

        Returns the job as last tracked, or None if the tracker did not hold it. Whoever withdraws
        stores the job's new state; the jobs behind it move up at the next cycle.
        """
        job = self._records.active.get(job_id)
        self._forget(job_id)
        self._wake.set()
        return job

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
        await self._stop_leases()

    async def _stop_leases(self) -> None:
        # Leases are kept until the last delivery above is done, then handed to the other processes.
        if self._leases is None or self._lease_task is None:
            return
        self._leases_stop.set()
        await self._lease_task
        await self._leases.release()

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the cycle, not after: a wake-up set while the cycle awaits (a job
            # enqueued, a slot freed) is for work the cycle may have missed, so it must not be lost.
            self._wake.clear()
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
        marks = (self._dispatch.hold_until(), self._dispatch.next_refresh())
        wakeup = min([next_poll, *(mark for mark in marks if mark is not None), *self._later_wakeups()])
        delay = max(0.0, wakeup - now)
        if self._stopping:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        except TimeoutError:
            pass

    async def _cycle(self) -> None:
        # Submissions and the poll run as owned tasks, so a poll that waits out provider retries
        # never holds up new submissions or the timeout sweep.
        await self._launch_due_submissions()
        self._launch_due_poll()
        self._launch_due_success_writes()
        self._launch_late_poll()
        await self._expire_stuck()
        self.cycles += 1
        self.last_cycle_at = time.monotonic()

    # -- submission -------------------------------------------------------------------------

    async def _launch_due_submissions(self) -> None:
        if isinstance(self._dispatch, SharedDispatcher):
            for job in await self._dispatch.claim(self._store.dispatch, self._records.active):
                self._track(job)
                self._own(self._submit_claimed(job), name=f"submit-{job.id}")
        else:
            for job_id in await self._dispatch.take(self._records.active):
                self._own(self._submit(job_id), name=f"submit-{job_id}")
        for job_id in self._dispatch.moved():
            waiting = self._records.active.get(job_id)
            if waiting is not None:
                self._emit(JobEventKind.POSITION, waiting)

    async def _submit(self, job_id: int) -> None:
        job = self._records.active.get(job_id)
        if job is None:
            return  # withdrawn (cancelled) after the line handed it out
        try:
            async with self._submit_slots:
                await self._submit_one(job)
        except Exception:
            log.exception("submitting job %s failed unexpectedly", job_id)
            await self._fail(job, FailureKind.INTERNAL, "unexpected error while submitting")

    async def _submit_one(self, job: Job) -> None:
        current = await self._store.get_job(job.id)
        if current is None or current.status is not JobStatus.QUEUED:
            return
        request = await self._prepare(job)
        if request is None:
            return
        try:
            # The store's transition is the gate: a job cancelled meanwhile is never sent.
            job = self._track(await self._store.mark_submitting(job.id, token=job.lease_token))
        except InvalidTransition as exc:
            if not self._dropped(exc, "its submit"):
                log.info("job %s not submitted: it is %s", job.id, exc.current)
            return
        await self._send(job, request)

    async def _submit_claimed(self, job: Job) -> None:
        """Send a job the shared dispatch already moved to SUBMITTING for this process."""
        try:
            async with self._submit_slots:
                request = await self._prepare(job)
                if request is not None and await self._claim_submit(job):
                    await self._send(job, request)
        except Exception:
            log.exception("submitting job %s failed unexpectedly", job.id)
            await self._fail(job, FailureKind.INTERNAL, "unexpected error while submitting")

    async def _claim_submit(self, job: Job) -> bool:
        """Return True when the job is still ours to send, right before the request goes on the wire.

        This process may have stalled since the dispatch handed it the job; another process then
        failed it as interrupted, and a submit now would make (and bill) a task nobody delivers.
        """
        try:
            await self._store.claim_submit(job.id, token=job.lease_token)
        except InvalidTransition as exc:
            if not self._dropped(exc, "its submit"):
                log.info("job %s not submitted: it is %s", job.id, exc.current)
            return False
        return True

    async def _prepare(self, job: Job) -> ProviderRequest | None:
        """Return the provider request for ``job``, or fail the job (and return None) when there is none."""
        if self.auth_failed:
            await self._fail(job, FailureKind.CONFIGURATION, "the provider rejected the API key")
            return None
        try:
            return await build_request(self._store, job, self._images)
        except NotSendable as exc:
            await self._fail(job, exc.kind, str(exc))
            return None

    async def _send(self, job: Job, request: ProviderRequest) -> None:
        try:
            result = await send_request(self._client, request)
        except ProviderBusyError as exc:
            await self._retry_later(job, exc)
            return
        except CometAPIError as exc:
            await self._submit_failed(job, exc)
            return
        self._dispatch.answered()
        try:
            submitted = await self._store.mark_submitted(job.id, result.task_id, token=job.lease_token)
        except InvalidTransition as exc:
            # Cancelled (or taken over) while the submit was on the wire; the provider has no cancel.
            task = result.task_id
            if not self._dropped(exc, f"its provider task {task}"):
                log.info("job %s is %s; its provider task %s is left alone", job.id, exc.current, task)
            return
        updated = self._track(submitted)
        self._record_of(updated).poll = self._schedule.start(time.monotonic())
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
        # Back to its own place in line (the order follows the job id), and nothing is sent until
        # the back-off ends, so the provider is not hammered by the jobs behind it. With no account
        # for it (code 3, maybe for its kind of video only) it goes behind the others, for a bounded time.
        delay = self._dispatch.busy(exc.retry_after)
        no_instance = isinstance(exc, NoInstanceError)
        if no_instance and self._capacity.outlasted(self._record_of(job)):
            await self._fail(job, FailureKind.NO_CAPACITY, self._capacity.reason(exc.description))
            return
        try:
            requeued = await self._store.requeue(job.id, token=job.lease_token, no_instance=no_instance)
        except InvalidTransition as gone:
            if not self._dropped(gone, "its retry after a busy answer"):
                log.info("provider busy, and job %s is %s: not retried", job.id, gone.current)
            return
        self._dispatch.add(self._track(requeued))
        log.warning("provider busy; submissions held for %.1f s", delay, extra=job_fields(job))

    async def _submit_failed(self, job: Job, exc: CometAPIError) -> None:
        if isinstance(exc, ProviderUnavailableError):
            self._dispatch.unreachable()
        if isinstance(exc, AuthenticationError):
            self._halt_on_auth(exc)
        await self._fail(job, failure_kind(exc), exc.description)
