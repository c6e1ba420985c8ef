"""The job life cycle: creating jobs and every status change, written once for both engines.

Each change runs in one write transaction that loads the job (locking its row on PostgreSQL), checks
its status against the rules in ``bot.store.rows`` and runs the dialect's UPDATE … RETURNING; a
refused change leaves the row untouched. A change given ``token`` (the ``lease_token`` of the job as
the calling process claimed it) is fenced: if another process claimed the job since, it raises
``LeaseLost`` whatever the status, so a process that was paused past its lease never acts on a job
that is no longer its own. Writes a member's action makes (cancel, a retry) carry no token.

Creating a job writes its reservation in the spend ledger (``bot.store.ledger``), and every change
that can alter what the job is billed (submitted, failed, cancelled, delivered in part) settles it
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.models import FailureKind, Job, JobSource, JobStatus, NewJob, Standing
from bot.store.core import StoreCore
from bot.store.engine import ADMISSION_LOCK, Statements, Tx, fetch_job
from bot.store.errors import (
    CancelWouldCharge,
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    LeaseLost,
    StoreError,
    TooLateToCancel,
)
from bot.store.job_rules import (
    CANCELLABLE,
    DELIVERABLE,
    FAILABLE,
    REQUEUE_FROM,
    SUBMIT_START,
    SUBMITTED_FROM,
    TRACKED,
    late_success_allowed,
    merged_tracking_status,
)
from bot.store.ledger import read_standing, reserve, settle
from bot.store.rows import encode_clip_urls, new_job_params, same_source_params, utc

Pick = Callable[[Statements], str]
# Admission's check: raises (any exception) to refuse the job, given the person's standing as locked.
Admit = Callable[[Standing], None]
ANY_STATUS = frozenset(JobStatus)


class JobTransitions(StoreCore):
    """Creating jobs, reading one job, and every status change of ``JobStore``."""

    # -- jobs ----------------------------------------------------------------------------------

    async def create_job(self, new: NewJob) -> Job:
        """Store ``new`` as a QUEUED job with its ledger reservation, and return it (with its id).

        ``DuplicateJob`` (nothing stored): the member has a job, not failed, from the same source
        message and trigger within ``DUPLICATE_WINDOW``; one write transaction, so across processes too.
        No limit is checked: admission goes through ``admit_job``.
        """
        return await self.admit_job(new, None)

    async def admit_job(self, new: NewJob, check: Admit | None) -> Job:
        """Check ``new`` against the ledger and store it with its reservation, in ONE write transaction.

        ``check`` gets the requester's standing (their spend, their server's and the bot's, their
        active jobs) read inside the transaction and raises to refuse: nothing is stored and its
        exception comes out. On PostgreSQL the transaction first takes the admission lock, so two
        processes never both read the last room in a limit before either has written its reservation;
        on SQLite the write transaction already excludes every other writer. ``DuplicateJob`` as in
        ``create_job``.
        """

        async def work(tx: Tx) -> Job:
            if new.parent_job_id is not None:
                await self._load(tx, new.parent_job_id)
            now = self._now()
            if check is not None:
                await tx.lock(ADMISSION_LOCK)
            if new.source_message_id is not None:
                # Another process creating the same request waits here until this one commits.
                await tx.lock(new.source_message_id)
                params = same_source_params(new.requester_id, new.source_message_id, new.source, now)
                existing = await fetch_job(tx, tx.sql.SELECT_SAME_SOURCE_JOB, params)
                if existing is not None:
                    raise DuplicateJob(existing)
            if check is not None:
                check(await read_standing(tx, new.requester_id, new.guild_id, now))
            job = await self._returning(tx, tx.sql.INSERT_JOB, new_job_params(new, now, self._lease(now)))
            await reserve(tx, job)
            return job

        return await self._db.write(work)

    async def same_source_job(
        self, requester_id: int, source_message_id: int, source: JobSource
    ) -> Job | None:
        """Return the job ``create_job`` would call a duplicate of such a request, or None (a read)."""
        params = same_source_params(requester_id, source_message_id, source, self._now())
        return await self._db.read(lambda tx: fetch_job(tx, tx.sql.SELECT_SAME_SOURCE_JOB, params))

    async def get_job(self, job_id: int) -> Job | None:
        """Return the job with ``job_id``, or None."""
        return await self._db.read(lambda tx: fetch_job(tx, tx.sql.SELECT_JOB, (job_id,)))

    async def mark_submitting(self, job_id: int, *, token: int | None = None) -> Job:
        """QUEUED → SUBMITTING: a submit request is about to go on the wire."""
        params = (utc(self._now()), job_id)
        return await self._transition(
            job_id, SUBMIT_START, "start submitting", lambda sql: sql.MARK_SUBMITTING, params, token
        )

    async def requeue(self, job_id: int, *, token: int | None = None, no_instance: bool = False) -> Job:
        """Put a SUBMITTING job back in the queue (QUEUED): the provider was busy, so it is retried later.

        ``no_instance``: the provider had no account for this job (code 3); ``capacity_refused_at`` is
        set to now, and the job waits behind every other waiting job. Otherwise it keeps its place.
        """
        now = utc(self._now())
        params = (now, job_id, now if no_instance else None)
        return await self._transition(
            job_id, REQUEUE_FROM, "put it back in the queue", lambda sql: sql.REQUEUE, params, token
        )

    async def mark_submitted(self, job_id: int, task_id: str, *, token: int | None = None) -> Job:
        """QUEUED/SUBMITTING → SUBMITTED with the provider's ``task_id``."""
        if not task_id:
            raise ValueError("task_id must be a non-empty string")

        async def work(tx: Tx) -> Job:
            await self._check(tx, job_id, SUBMITTED_FROM, "mark it submitted", token)
            owners = await tx.rows(tx.sql.SELECT_JOB_ID_BY_TASK, (task_id,))
            if owners:
                raise StoreError(f"provider task {task_id!r} already belongs to job {owners[0]['id']}")
            now = self._now()
            job = await self._returning(tx, tx.sql.MARK_SUBMITTED, (task_id, utc(now), job_id))
            await settle(tx, job, now)  # the provider has the task: the job is charged
            return job

        return await self._db.write(work)

    async def update_progress_many(
        self, reports: Sequence[tuple[int, JobStatus, int]], *, tokens: Mapping[int, int] | None = None
    ) -> list[Job]:
        """Record many ``(job_id, status, progress)`` reports in ONE transaction (a poll's worth).

        Each report's status is SUBMITTED or RUNNING and its progress 0..100 (else ValueError). Neither
        moves backwards: progress keeps its highest value and a RUNNING job stays RUNNING if a late
        report still says SUBMITTED. A job that is no longer SUBMITTED/RUNNING is skipped, so one late
        report never undoes the batch, and so is a job whose lease token is not the one in ``tokens``
        (another process claimed it). Returns the jobs as stored after the change.
        """
        fences = tokens or {}
        for _, status, progress in reports:
            if status not in TRACKED or not 0 <= progress <= 100:
                raise ValueError(f"bad progress report: {status} {progress}")

        async def work(tx: Tx) -> list[Job]:
            now = utc(self._now())
            updated = []
            for job_id, status, progress in reports:
                current = await fetch_job(tx, tx.sql.SELECT_JOB_FOR_UPDATE, (job_id,))
                if current is None or current.status not in TRACKED:
                    continue
                if fences.get(job_id, current.lease_token) != current.lease_token:
                    continue
                params = (merged_tracking_status(current.status, status).value, progress, now, job_id)
                updated.append(await self._returning(tx, tx.sql.UPDATE_PROGRESS, params))
            return updated

        return await self._db.write(work)

    async def mark_succeeded(self, job_id: int, clip_urls: Sequence[str], *, token: int | None = None) -> Job:
        """SUBMITTED/RUNNING → SUCCEEDED with the clips (already charged since its submit).

        A job the bot timed out itself (``timed_out_at`` set) may succeed too: the provider finished it
        late, and the clips are delivered.
        """
        urls = encode_clip_urls(clip_urls)

        async def work(tx: Tx) -> Job:
            current = await self._load(tx, job_id)
            fence(current, token, "mark it succeeded")
            if current.status not in TRACKED and not late_success_allowed(current):
                raise InvalidTransition(job_id, current.status, "mark it succeeded")
            return await self._returning(tx, tx.sql.MARK_SUCCEEDED, (urls, utc(self._now()), job_id))

        return await self._db.write(work)

    async def mark_failed(
        self,
        job_id: int,
        kind: FailureKind,
        error: str,
        *,
        timed_out: bool = False,
        token: int | None = None,
    ) -> Job:
        """Any non-final status → FAILED (or TIMED_OUT when ``timed_out``), keeping ``error`` and ``kind``.

        A SUCCEEDED job may fail too: delivery can go wrong after the provider finished. The ledger
        releases the job unless the provider had its task and did not report the failure itself
        (``Job.billed``): a timeout or a delivery that failed stays charged.
        """
        final = JobStatus.TIMED_OUT if timed_out else JobStatus.FAILED
        now = self._now()
        params = (final.value, kind.value, error, utc(now), job_id)

        async def work(tx: Tx) -> Job:
            await self._check(tx, job_id, FAILABLE, f"mark it {final.value}", token)
            job = await self._returning(tx, tx.sql.MARK_FAILED, params)
            await settle(tx, job, now)
            return job

        return await self._db.write(work)

    async def mark_delivered(self, job_id: int, *, token: int | None = None) -> Job:
        """SUCCEEDED → DELIVERED: the clips reached Discord."""
        params = (utc(self._now()), job_id)
        return await self._transition(
            job_id, DELIVERABLE, "mark it delivered", lambda sql: sql.MARK_DELIVERED, params, token
        )

    async def mark_cancelled(self, job_id: int, *, free_only: bool = False) -> Job:
        """QUEUED/SUBMITTING/SUBMITTED/RUNNING → CANCELLED (final).

        A job still waiting (QUEUED) is free: its reservation is released. Once its submit went out
        (SUBMITTING, SUBMITTED, RUNNING) the provider has, or may have, the task, which it cannot
        recall and bills: the job stays charged. ``TooLateToCancel`` when the job already has its
        result (a SUCCEEDED job is being delivered) or was cancelled before; ``JobNotFound`` for an
        unknown id. The cancelling process takes the job's lease: it announces the cancel, and the
        process that tracked the job lets it go. ``free_only``: cancel only a job still waiting, else
        raise ``CancelWouldCharge`` and change nothing (the member was not told it would be charged).
        """

        async def work(tx: Tx) -> Job:
            current = await self._load(tx, job_id)
            if current.status not in CANCELLABLE:
                raise TooLateToCancel(job_id, current.status)
            if free_only and current.status is not JobStatus.QUEUED:
                raise CancelWouldCharge(job_id, current.status)
            now = self._now()
            job = await self._returning(tx, tx.sql.MARK_CANCELLED, (utc(now), job_id, *self._lease(now)))
            await settle(tx, job, now)
            return job

        return await self._db.write(work)

    async def set_card_message(self, job_id: int, message_id: int | None) -> Job:
        """Remember (or forget, with None) the Discord message that shows the job's card."""
        params = (message_id, utc(self._now()), job_id)
        return await self._update_any(job_id, lambda sql: sql.SET_CARD_MESSAGE, params)

    async def make_public(self, job_id: int, card_message_id: int) -> Job:
        """Record that a private job's requester posted it: its card is now the public ``card_message_id``."""
        params = (card_message_id, utc(self._now()), job_id)
        return await self._update_any(job_id, lambda sql: sql.MAKE_PUBLIC, params)

    async def mark_final_shown(self, job_id: int) -> Job:
        """Record that the job's final state reached its requester (on the card, or privately)."""
        return await self._update_any(job_id, lambda sql: sql.MARK_FINAL_SHOWN, (utc(self._now()), job_id))

    async def stop_late_watch(self, job_id: int) -> Job:
        """Stop accepting a late result for a job the bot timed out (a retry replaced it).

        The provider may still finish the old task; that result is then refused like any other
        result of a final job, so the member gets (and pays for) only the retry.
        """
        params = (utc(self._now()), job_id)
        return await self._update_any(job_id, lambda sql: sql.STOP_LATE_WATCH, params)

    async def reset_token(self, job_id: int) -> Job:
        """Forget the job's interaction token and its expiry once it can no longer be used."""
        return await self._update_any(job_id, lambda sql: sql.FORGET_INTERACTION, (utc(self._now()), job_id))

    # -- machinery -----------------------------------------------------------------------------

    async def _transition(
        self,
        job_id: int,
        allowed: frozenset[JobStatus],
        action: str,
        statement: Pick,
        params: Sequence[object],
        token: int | None = None,
    ) -> Job:
        """Run ``statement`` (picked from the engine's dialect) on the job if its status is in ``allowed``.

        The store's one "check the status, then update": one write transaction that holds the job (its
        row is locked on PostgreSQL); ``InvalidTransition`` (``LeaseLost`` when ``token`` is not the
        job's) leaves the row untouched.
        """

        async def work(tx: Tx) -> Job:
            await self._check(tx, job_id, allowed, action, token)
            return await self._returning(tx, statement(tx.sql), params)

        return await self._db.write(work)

    async def _update_any(self, job_id: int, statement: Pick, params: Sequence[object]) -> Job:
        """Run an UPDATE … RETURNING that is allowed in every status."""
        return await self._transition(job_id, ANY_STATUS, "update it", statement, params)

    async def _check(
        self, tx: Tx, job_id: int, allowed: frozenset[JobStatus], action: str, token: int | None = None
    ) -> Job:
        """Return the job (locked) if ``token`` is still its lease token and its status is in ``allowed``.

        Raises LeaseLost for a stale ``token`` (before looking at the status: whatever the job became,
        it is another process's now), else InvalidTransition for a status outside ``allowed``.
        """
        job = await self._load(tx, job_id)
        fence(job, token, action)
        if job.status not in allowed:
            raise InvalidTransition(job_id, job.status, action)
        return job

    async def _load(self, tx: Tx, job_id: int) -> Job:
        """Return the job, locked until the transaction ends (on PostgreSQL), or raise JobNotFound."""
        job = await fetch_job(tx, tx.sql.SELECT_JOB_FOR_UPDATE, (job_id,))
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def _returning(self, tx: Tx, statement: str, params: Sequence[object]) -> Job:
        """Run an ``… RETURNING *`` statement and return the job it wrote."""
        job = await fetch_job(tx, statement, params)
        if job is None:
            raise StoreError(f"no row came back from a write to the {self._db.describe()}")
        return job


def fence(job: Job, token: int | None, action: str) -> None:
    """Raise LeaseLost when ``token`` is given and another claim of the job's lease replaced it."""
    if token is not None and token != job.lease_token:
        raise LeaseLost(job.id, job.status, action, held=token, stored=job.lease_token)
