"""The job store: jobs, per-server settings, daily usage and meta values in one SQLite file.

All access goes through one ``SerialConnection`` (``bot.store_connection``), the owner of the
writer and the reader connection: each transition checks the job's status and updates it in one
write transaction, and reads never wait for a write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from bot import store_sql as sql
from bot.models import FailureKind, Job, JobSource, JobStatus, NewJob, utcnow
from bot.store_connection import SerialConnection, fetch_job
from bot.store_errors import DuplicateJob, InvalidTransition, JobNotFound, StoreError, TooLateToCancel
from bot.store_queries import JobQueries
from bot.store_rows import (
    CANCELLABLE,
    DELIVERABLE,
    DUPLICATE_WINDOW,
    FAILABLE,
    REQUEUE_FROM,
    SUBMIT_START,
    SUBMITTED_FROM,
    TRACKED,
    day_key,
    encode_clip_urls,
    encode_time,
    late_success_allowed,
    merged_tracking_status,
    new_job_params,
    same_source_params,
    usage_guild,
)
from bot.store_schema import connect, connect_reader, load_migrations, migrate

__all__ = [
    "DUPLICATE_WINDOW",
    "DuplicateJob",
    "InvalidTransition",
    "JobNotFound",
    "JobStore",
    "StoreError",
    "TooLateToCancel",
]

DEFAULT_BUSY_TIMEOUT_MS = 5000
DEFAULT_LOCK_RETRY_SECONDS = 30.0


class JobStore(JobQueries):
    """Jobs, per-server settings, daily usage and meta values in one SQLite file.

    Create it with ``await JobStore.open(path)`` and ``await store.close()`` on shutdown (or use it
    as an async context manager). Every method returns frozen records from ``bot.models``.
    """

    def __init__(self, connection: SerialConnection, path: Path, *, clock: Callable[[], dt.datetime]) -> None:
        """Wrap an open, migrated connection; use ``JobStore.open`` instead of calling this."""
        self._db = connection
        self._path = path
        self._clock = clock

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        lock_retry_seconds: float = DEFAULT_LOCK_RETRY_SECONDS,
    ) -> JobStore:
        """Open (creating folder and file if needed) and migrate the database at ``path``.

        ``clock`` supplies "now" (aware UTC) for timestamps and the usage day. ``busy_timeout_ms`` is
        how long SQLite itself waits for another process's lock; a write still locked after that is
        retried with backoff for up to ``lock_retry_seconds``. Raises ``StoreError`` for a damaged
        file, an unwritable path or a database from a newer Motionbot.
        """
        db_path = Path(path)
        conn = await connect(db_path, busy_timeout_ms=busy_timeout_ms)
        try:
            await migrate(conn, db_path, load_migrations())
            reader = await connect_reader(db_path, busy_timeout_ms=busy_timeout_ms)
        except BaseException:
            await conn.close()
            raise
        connection = SerialConnection(conn, db_path, lock_retry_seconds=lock_retry_seconds, reader=reader)
        return cls(connection, db_path, clock=clock)

    @property
    def path(self) -> Path:
        """Return the database file path."""
        return self._path

    async def close(self) -> None:
        """Close both connections; safe to call twice. Later calls raise ``StoreError``."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- jobs ----------------------------------------------------------------------------------

    async def create_job(self, new: NewJob) -> Job:
        """Store ``new`` as a QUEUED job and return it (with its id, for the provider ``state``).

        ``DuplicateJob`` (nothing stored): the member has a job, not failed, from the same source
        message and trigger within ``DUPLICATE_WINDOW``; one write transaction, so across processes too.
        """

        async def work(conn: aiosqlite.Connection) -> Job:
            if new.parent_job_id is not None:
                await self._load(conn, new.parent_job_id)
            now = self._now()
            if new.source_message_id is not None:
                params = same_source_params(new.requester_id, new.source_message_id, new.source, now)
                existing = await fetch_job(conn, sql.SELECT_SAME_SOURCE_JOB, params)
                if existing is not None:
                    raise DuplicateJob(existing)
            return await self._returning(conn, sql.INSERT_JOB, new_job_params(new, now))

        return await self._db.write(work)

    async def same_source_job(
        self, requester_id: int, source_message_id: int, source: JobSource
    ) -> Job | None:
        """Return the job ``create_job`` would call a duplicate of such a request, or None (a read)."""
        params = same_source_params(requester_id, source_message_id, source, self._now())
        return await self._db.read(lambda conn: fetch_job(conn, sql.SELECT_SAME_SOURCE_JOB, params))

    async def get_job(self, job_id: int) -> Job | None:
        """Return the job with ``job_id``, or None."""
        return await self._db.read(lambda conn: fetch_job(conn, sql.SELECT_JOB, (job_id,)))

    async def get_job_by_task(self, task_id: str) -> Job | None:
        """Return the job the provider knows as ``task_id``, or None if the task is not ours."""
        return await self._db.read(lambda conn: fetch_job(conn, sql.SELECT_JOB_BY_TASK, (task_id,)))

    async def mark_submitting(self, job_id: int) -> Job:
        """QUEUED → SUBMITTING: a submit request is about to go on the wire."""
        params = (encode_time(self._now()), job_id)
        return await self._transition(job_id, SUBMIT_START, "start submitting", sql.MARK_SUBMITTING, params)

    async def requeue(self, job_id: int) -> Job:
        """Put a SUBMITTING job back in the queue (QUEUED): the provider was busy, so it is retried later."""
        params = (encode_time(self._now()), job_id)
        return await self._transition(job_id, REQUEUE_FROM, "put it back in the queue", sql.REQUEUE, params)

    async def mark_submitted(self, job_id: int, task_id: str) -> Job:
        """QUEUED/SUBMITTING → SUBMITTED with the provider's ``task_id``."""
        if not task_id:
            raise ValueError("task_id must be a non-empty string")

        async def work(conn: aiosqlite.Connection) -> Job:
            await self._check(conn, job_id, SUBMITTED_FROM, "mark it submitted")
            owners = list(await conn.execute_fetchall(sql.SELECT_JOB_ID_BY_TASK, (task_id,)))
            if owners:
                raise StoreError(f"provider task {task_id!r} already belongs to job {owners[0]['id']}")
            stamp = encode_time(self._now())
            return await self._returning(conn, sql.MARK_SUBMITTED, (task_id, stamp, job_id))

        return await self._db.write(work)

    async def update_progress(self, job_id: int, status: JobStatus, progress: int) -> Job:
        """Record a provider report on a SUBMITTED/RUNNING job.

        ``status`` must be SUBMITTED or RUNNING. Neither moves backwards: progress keeps its highest
        value and a RUNNING job stays RUNNING if a late report still says SUBMITTED.
        """
        if not 0 <= progress <= 100:
            raise ValueError(f"progress must be between 0 and 100, not {progress}")

        async def work(conn: aiosqlite.Connection) -> Job:
            action = f"record progress as {status.value}"
            current = await self._check(conn, job_id, TRACKED, action)
            if status not in TRACKED:
                raise InvalidTransition(job_id, current.status, action)
            new_status = merged_tracking_status(current.status, status)
            params = (new_status.value, progress, encode_time(self._now()), job_id)
            return await self._returning(conn, sql.UPDATE_PROGRESS, params)

        return await self._db.write(work)

    async def update_progress_many(self, reports: Sequence[tuple[int, JobStatus, int]]) -> list[Job]:
        """Record many ``(job_id, status, progress)`` reports in ONE transaction (a poll's worth).

        Same rules as ``update_progress``; a job that is no longer SUBMITTED/RUNNING is skipped, so
        one late report never undoes the batch. Returns the jobs as stored after the change.
        """
        for _, status, progress in reports:
            if status not in TRACKED or not 0 <= progress <= 100:
                raise ValueError(f"bad progress report: {status} {progress}")

        async def work(conn: aiosqlite.Connection) -> list[Job]:
            now = encode_time(self._now())
            updated = []
            for job_id, status, progress in reports:
                current = await fetch_job(conn, sql.SELECT_JOB, (job_id,))
                if current is None or current.status not in TRACKED:
                    continue
                params = (merged_tracking_status(current.status, status).value, progress, now, job_id)
                updated.append(await self._returning(conn, sql.UPDATE_PROGRESS, params))
            return updated

        return await self._db.write(work)

    async def mark_succeeded(self, job_id: int, clip_urls: Sequence[str]) -> Job:
        """SUBMITTED/RUNNING → SUCCEEDED with the clips, counting the job in today's usage.

        A job the bot timed out itself (``timed_out_at`` set) may succeed too: the provider finished it
        late, the clips are delivered, so it counts then.
        """
        urls = encode_clip_urls(clip_urls)

        async def work(conn: aiosqlite.Connection) -> Job:
            current = await self._load(conn, job_id)
            if current.status not in TRACKED and not late_success_allowed(current):
                raise InvalidTransition(job_id, current.status, "mark it succeeded")
            now = self._now()
            usage_key = (day_key(now), usage_guild(current.guild_id), current.requester_id, current.cost)
            await conn.execute(sql.COUNT_SUCCESS, usage_key)
            return await self._returning(conn, sql.MARK_SUCCEEDED, (urls, encode_time(now), job_id))

        return await self._db.write(work)

    async def mark_failed(
        self, job_id: int, kind: FailureKind, error: str, *, timed_out: bool = False
    ) -> Job:
        """Any non-final status → FAILED (or TIMED_OUT when ``timed_out``), keeping ``error`` and ``kind``.

        A SUCCEEDED job may fail too: delivery can go wrong after the provider finished.
        """
        final = JobStatus.TIMED_OUT if timed_out else JobStatus.FAILED
        params = (final.value, kind.value, error, encode_time(self._now()), job_id)

        async def work(conn: aiosqlite.Connection) -> Job:
            current = await self._check(conn, job_id, FAILABLE, f"mark it {final.value}")
            if current.status is JobStatus.SUCCEEDED and current.finished_at is not None:
                # Only delivered videos are charged: give back what mark_succeeded counted.
                usage_key = (
                    day_key(current.finished_at),
                    usage_guild(current.guild_id),
                    current.requester_id,
                    current.cost,
                )
                await conn.execute(sql.REFUND_SUCCESS, usage_key)
            return await self._returning(conn, sql.MARK_FAILED, params)

        return await self._db.write(work)

    async def mark_delivered(self, job_id: int) -> Job:
        """SUCCEEDED → DELIVERED: the clips reached Discord."""
        params = (encode_time(self._now()), job_id)
        return await self._transition(job_id, DELIVERABLE, "mark it delivered", sql.MARK_DELIVERED, params)

    async def mark_cancelled(self, job_id: int) -> Job:
        """QUEUED/SUBMITTING/SUBMITTED/RUNNING → CANCELLED (final, never charged).

        ``TooLateToCancel`` when the job already has its result (a SUCCEEDED job is being delivered) or
        was cancelled before; ``JobNotFound`` for an unknown id.
        """

        async def work(conn: aiosqlite.Connection) -> Job:
            current = await self._load(conn, job_id)
            if current.status not in CANCELLABLE:
                raise TooLateToCancel(job_id, current.status)
            return await self._returning(conn, sql.MARK_CANCELLED, (encode_time(self._now()), job_id))

        return await self._db.write(work)

    async def set_card_message(self, job_id: int, message_id: int | None) -> Job:
        """Remember (or forget, with None) the Discord message that shows the job's card."""
        params = (message_id, encode_time(self._now()), job_id)
        return await self._update_any(job_id, sql.SET_CARD_MESSAGE, params)

    async def mark_final_shown(self, job_id: int) -> Job:
        """Record that the job's final state reached its requester (on the card, or privately)."""
        return await self._update_any(job_id, sql.MARK_FINAL_SHOWN, (encode_time(self._now()), job_id))

    async def stop_late_watch(self, job_id: int) -> Job:
        """Stop accepting a late result for a job the bot timed out (a retry replaced it).

        The provider may still finish the old task; that result is then refused like any other
        result of a final job, so the member gets (and pays for) only the retry.
        """
        params = (encode_time(self._now()), job_id)
        return await self._update_any(job_id, sql.STOP_LATE_WATCH, params)

    async def reset_token(self, job_id: int) -> Job:
        """Forget the job's interaction token and its expiry once it can no longer be used."""
        return await self._update_any(job_id, sql.FORGET_INTERACTION, (encode_time(self._now()), job_id))

    # -- machinery -----------------------------------------------------------------------------

    async def _transition(
        self,
        job_id: int,
        allowed: frozenset[JobStatus],
        action: str,
        statement: str,
        params: Sequence[object],
    ) -> Job:
        """Run ``statement`` on the job if its status is in ``allowed``, else raise InvalidTransition."""

        async def work(conn: aiosqlite.Connection) -> Job:
            await self._check(conn, job_id, allowed, action)
            return await self._returning(conn, statement, params)

        return await self._db.write(work)

    async def _update_any(self, job_id: int, statement: str, params: Sequence[object]) -> Job:
        """Run an UPDATE … RETURNING that is allowed in every status."""

        async def work(conn: aiosqlite.Connection) -> Job:
            await self._load(conn, job_id)
            return await self._returning(conn, statement, params)

        return await self._db.write(work)

    async def _check(
        self, conn: aiosqlite.Connection, job_id: int, allowed: frozenset[JobStatus], action: str
    ) -> Job:
        job = await self._load(conn, job_id)
        if job.status not in allowed:
            raise InvalidTransition(job_id, job.status, action)
        return job

    async def _load(self, conn: aiosqlite.Connection, job_id: int) -> Job:
        job = await fetch_job(conn, sql.SELECT_JOB, (job_id,))
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def _returning(self, conn: aiosqlite.Connection, statement: str, params: Sequence[object]) -> Job:
        job = await fetch_job(conn, statement, params)
        if job is None:
            raise StoreError(f"no row came back from a write to {self._path}")
        return job
