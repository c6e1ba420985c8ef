"""How the tracker records the end of a job, and makes sure no provider outcome is lost.

The base of ``bot.tracking.tracker.JobTracker``: storing and announcing outcomes, the timeout sweep, the
retried success writes (``bot.tracking.success_writes``), the slow watch of jobs the bot timed out itself
(``bot.tracking.late_watch``), the resume of every unfinished job at start-up, and the writes of a delivery.

Every write about a job carries the lease token the job had when this process claimed it. A write
refused with ``LeaseLost`` means another process took the job over while this one was stalled: the
work in hand is dropped (one log line, one count in ``jobs_lost``), never announced or acted on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Collection

from bot.models import FailureKind, Job, JobStatus
from bot.ops import job_fields
from bot.provider import CometAPIClient
from bot.store import InvalidTransition, JobStore, LeaseLost, StoreError
from bot.tracking.capacity_waits import CapacityWaits
from bot.tracking.dispatcher import Dispatcher
from bot.tracking.events import EventBus, JobEventKind
from bot.tracking.late_watch import LateWatch
from bot.tracking.schedule import PollSchedule
from bot.tracking.success_writes import SuccessWrites
from bot.tracking.tracked import TrackedJob, TrackedJobs

log = logging.getLogger(__name__)

# Stored states the tracker acts on at start-up, besides unannounced failures and late watches.
UNFINISHED = (
    JobStatus.SUBMITTING,
    JobStatus.QUEUED,
    JobStatus.SUBMITTED,
    JobStatus.RUNNING,
    JobStatus.SUCCEEDED,
)
LATE_POLL_FACTOR = 4  # timed-out jobs are polled at 4 × the longest gap between polls of a running one


class TrackerOutcomes:
    """Stores outcomes before announcing them; retries success writes; watches timed-out jobs late."""

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
        self._store = store
        self._client = client
        self._timeout = job_timeout
        self._clock = clock
        self._schedule = PollSchedule(base_interval=poll_interval)
        self._dispatch = dispatcher
        # Everything this process keeps about a job is in its record; the dispatcher's line aside.
        self._records = TrackedJobs()
        self.events = EventBus()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._successes = SuccessWrites(store, self._records)
        self._capacity = CapacityWaits(job_timeout, clock)
        late_interval = self._schedule.max_interval * LATE_POLL_FACTOR
        self._late = LateWatch(client, self._records, interval=late_interval, clock=clock)
        self._late_task: asyncio.Task[None] | None = None
        self.jobs_lost = 0

    def _later_wakeups(self) -> list[float]:
        """Return when a success write retry or the slow poll of timed-out jobs is next due."""
        return [due for due in (self._successes.next_due(), self._late.next_due()) if due is not None]

    def _track(self, job: Job) -> Job:
        """Remember the latest stored version of a job; once it is not active, what only that needed goes."""
        previous = self._records.active.get(job.id)
        if previous is None or previous.status is not job.status:
            # Progress alone moves nobody in line; on a shared store every look costs a transaction.
            self._dispatch.changed()
        if not job.status.is_active:
            self._dispatch.forget(job.id)
        self._records.track(job)
        return job

    def _record_of(self, job: Job) -> TrackedJob:
        """Return the job's record; a detached one (changes to it go nowhere) once the job was forgotten."""
        return self._records.get(job.id) or TrackedJob(job)

    def _forget(self, job_id: int) -> None:
        """Forget a job whole: its record and its place in line (cancelled, or another process holds it).

        The one routine that forgets a job at once: cancel, withdraw and a let-go all come here.
        """
        self._dispatch.forget(job_id)
        self._records.drop(job_id)

    async def _store_success(self, job: Job, clip_urls: tuple[str, ...]) -> None:
        """Store a provider success and announce it; a failed write stays pending and is retried."""
        try:
            stored = await self._successes.write(job, clip_urls)
        except LeaseLost as exc:
            self._lost(exc, "its provider success")
            return
        if stored is None:
            self._wake.set()  # the loop sleeps until the retry is due
            return
        self._late.remove(job.id)
        updated = self._track(stored)
        late = " after the bot's timeout" if updated.arrived_late else ""
        log.info("job %s succeeded%s with %d clips", job.id, late, len(clip_urls), extra=job_fields(job))
        self._emit(JobEventKind.SUCCEEDED, updated)

    def _launch_due_success_writes(self) -> None:
        for pending in self._successes.take_due(time.monotonic()):
            self._own(self._store_success(pending.job, pending.clip_urls), name=f"success-{pending.job.id}")

    def _launch_late_poll(self) -> None:
        running = self._late_task is not None and not self._late_task.done()
        if not running and self._late.due(time.monotonic()):
            self._late_task = self._own(self._poll_late(), name="late-poll")

    async def _poll_late(self) -> None:
        try:
            for job, snapshot in await self._late.poll():
                await self._store_success(job, snapshot.clip_urls)
        except Exception:
            log.exception("polling timed-out jobs failed unexpectedly; retried at the slow pace")

    async def _expire_stuck(self) -> None:
        # Time at the provider only: a job waiting in line for a slot is not stuck (see README).
        deadline = self._clock() - self._timeout
        stuck = [job for job in self._records.active.values() if _sent_before(job, deadline)]
        minutes = max(1, round(self._timeout.total_seconds() / 60))
        for job in stuck:
            if job.status is JobStatus.SUBMITTING or self._record_of(job).success is not None:
                # A submit in flight decides (bounded by the client's retries); a known success is
                # stored by its retries, never timed out.
                continue
            await self._fail(job, FailureKind.TIMEOUT, f"no result after {minutes} minutes", True)

    async def cancel(self, job_id: int, *, free_only: bool = False) -> Job:
        """Cancel a job that has no result yet: stored first, then forgotten everywhere and announced.

        Raises ``TooLateToCancel`` (its result exists, or it was cancelled before) or ``JobNotFound``;
        with ``free_only``, ``CancelWouldCharge`` (nothing changed) for a job no longer waiting. A submit
        already on the wire cannot be recalled (the provider has no cancel endpoint): its task id is
        only logged when it comes back, any later result of the job is ignored, and the job stays
        charged (``Job.billed``).
        """
        job = await self._store.mark_cancelled(job_id, free_only=free_only)
        self._forget(job_id)
        log.info("job %s cancelled", job_id, extra=job_fields(job))
        self._emit(JobEventKind.CANCELLED, job)
        self._wake.set()  # its running slot is free now
        return job

    async def replaced_by_retry(self, job_id: int) -> None:
        """Stop watching a timed-out job for a late result: a retry took its place.

        Without this a member who retried could receive, and pay for, both videos.
        """
        job = await self._store.get_job(job_id)
        if job is None or job.status is not JobStatus.TIMED_OUT or job.timed_out_at is None:
            return
        self._late.remove(job_id)
        await self._store.stop_late_watch(job_id)
        log.info("job %s was retried; a late result of it will be ignored", job_id, extra=job_fields(job))

    async def _fail(self, job: Job, kind: FailureKind, reason: str, timed_out: bool = False) -> None:
        job_id = job.id
        try:
            failed = await self._store.mark_failed(
                job_id, kind, reason, timed_out=timed_out, token=job.lease_token
            )
        except LeaseLost as exc:
            self._lost(exc, f"its failure ({kind}: {reason})")
            return
        except InvalidTransition as exc:
            if exc.current is not JobStatus.CANCELLED:
                log.exception("could not record failure of job %s", job_id)
            else:
                log.info("job %s was cancelled; its failure (%s: %s) is ignored", job_id, kind, reason)
            return
        except Exception:
            log.exception("could not record failure of job %s", job_id)
            return
        updated = self._track(failed)
        self._late.add(updated)
        log.info("job %s failed (%s): %s", job_id, kind, reason, extra=job_fields(updated))
        self._emit(JobEventKind.FAILED, updated)

    def _lost(self, exc: LeaseLost, work: str) -> None:
        """Drop ``work`` on a job another process took over: one log line, one count, nothing else."""
        self.jobs_lost += 1
        self._forget(exc.job_id)
        log.warning(
            "job %s was taken over by another process while this one stalled; %s is dropped (it is %s "
            "now, lease token %s, ours %s)",
            exc.job_id,
            work,
            exc.current.value,
            exc.stored,
            exc.held,
        )

    def _dropped(self, exc: InvalidTransition, work: str) -> bool:
        """Return True, having dropped ``work``, when ``exc`` says another process holds the job now."""
        if isinstance(exc, LeaseLost):
            self._lost(exc, work)
            return True
        return False

    # -- the Cards cog's writes and checks ---------------------------------------------------------

    async def holds(self, job: Job) -> bool:
        """Return True unless another process took ``job`` over since this one claimed it.

        Asked before a progress edit of the card: a process that stalled past its lease must not
        draw its stale view over the card the new holder shows (a plain edit would even drop the
        clips the new holder attached). One read on a shared store; nothing with one process.
        """
        if not self._store.shared:
            return True
        try:
            stored = await self._store.get_job(job.id)
        except StoreError as exc:
            # Unknown: act as before fencing. The delivery's own claim still needs the database.
            log.info("job %s: could not check who holds it (%s)", job.id, exc)
            return True
        # The tracked version, when there is one, knows of this process's own claims since (dispatch).
        mine = self._records.active.get(job.id, job)
        if stored is not None and stored.lease_token == mine.lease_token:
            return True
        log.info("job %s: card not edited, another process holds the job now", job.id)
        return False

    async def claim_delivery(self, job: Job) -> bool:
        """Return True when this process may post ``job``'s clips now, its lease renewed for the upload.

        False when another process took the job over (logged, counted) or it is no longer waiting for
        its clips: post nothing. Asked right before the first upload, the last moment the database can
        still stop a stalled process; with one process on the store nobody can take a job, so nothing
        is asked.
        """
        if not self._store.shared:
            return True
        try:
            await self._store.claim_delivery(job.id, token=job.lease_token)
        except InvalidTransition as exc:
            if not self._dropped(exc, "its delivery"):
                log.info("job %s is %s: its clips are not posted", job.id, exc.current.value)
            return False
        return True

    async def delivered(self, job: Job) -> bool:
        """Record that ``job``'s clips reached Discord; False when another process holds the job now."""
        try:
            await self._store.mark_delivered(job.id, token=job.lease_token)
        except LeaseLost as exc:
            self._lost(exc, "its delivered mark")
            return False
        return True

    async def partly_delivered(self, job: Job, missing: Collection[int]) -> bool:
        """Record that only some of ``job``'s clips reached Discord (``missing``: the others).

        False when another process holds the job now (nothing written).
        """
        try:
            await self._store.mark_partly_delivered(job.id, missing, token=job.lease_token)
        except LeaseLost as exc:
            self._lost(exc, "its partial delivery")
            return False
        return True

    async def delivery_failed(
        self, job: Job, reason: str, kind: FailureKind = FailureKind.DELIVERY
    ) -> Job | None:
        """Record that ``job``'s clips cannot be posted (free); return the failed job.

        None when another process holds the job now (nothing written).
        """
        try:
            return await self._store.mark_failed(job.id, kind, reason, token=job.lease_token)
        except LeaseLost as exc:
            self._lost(exc, "its delivery failure")
            return None

    def _emit(self, kind: JobEventKind, job: Job) -> None:
        self.events.emit(kind, job)

    def _own(self, coro: Awaitable[None], *, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _resume(self) -> None:
        """Take up every unfinished job in the store: this process is the only one on it."""
        found = [
            *await self._store.unannounced_failures(),
            *await self._store.jobs_with_status(*UNFINISHED),
            *await self._store.late_watch_jobs(self._late.window_start()),
        ]
        # A timed-out job can be both unannounced and watched: take it up once.
        await self._adopt(list({job.id: job for job in found}.values()))
        log.info(
            "tracker resumed %d queued, %d running and %d timed-out jobs",
            len(self._dispatch.queue),
            sum(1 for _ in self._records.polled()),
            len(self._late),
        )

    async def _adopt(self, jobs: list[Job]) -> None:
        """Take up unfinished jobs: found at start-up, or left by a process whose leases expired."""
        now, wall = time.monotonic(), self._clock()
        for job in jobs:
            try:
                await self._adopt_one(job, now, wall)
            except Exception:
                log.exception("taking up job %s failed; the tracker carries on", job.id)

    async def _adopt_one(self, job: Job, now: float, wall: dt.datetime) -> None:
        if job.status is JobStatus.SUBMITTING:
            # The submit was on the wire when the process died and the provider cannot be searched
            # by our state tag, so the outcome is unknowable: fail it honestly (and free of charge).
            await self._fail(job, FailureKind.INTERRUPTED, "the bot restarted while sending this job")
        elif job.status is JobStatus.QUEUED:
            # Order and positions follow from the stored rows, so the line is the same as before.
            self._records.hold(job)
            self._dispatch.add(job)
        elif job.status in (JobStatus.SUBMITTED, JobStatus.RUNNING):
            started = job.submitted_at or job.created_at
            started_at = now - (wall - started).total_seconds()
            self._records.hold(job).poll = self._schedule.start(now, started_at=started_at)
        elif job.status is JobStatus.SUCCEEDED:
            self._emit(JobEventKind.SUCCEEDED, job)
        elif job.final_shown_at is None and job.status is not JobStatus.DELIVERED:
            # Stored as failed or cancelled, but the process died before the card (or a DM) said so.
            cancelled = job.status is JobStatus.CANCELLED
            self._emit(JobEventKind.CANCELLED if cancelled else JobEventKind.FAILED, job)
        self._late.add(job)  # watched only if the bot timed it out and the window is still open


def _sent_before(job: Job, deadline: dt.datetime) -> bool:
    return job.submitted_at is not None and job.submitted_at <= deadline
