"""Leases: several Motionbot processes sharing one store each act on their own jobs.

A job is LEASABLE while some process must still act on it: it is not final yet (queued to succeeded),
or it is final but its card does not say so yet, or the bot timed it out and may still receive the
provider's late result (``LATE_WATCH_LEASE``). The process named in ``lease_owner`` acts on it until
``lease_expires_at``; it renews its leases well before then, and a lease nobody renews expires, so
another process claims the job. On SQLite there is one process, and leases cost one small UPDATE.

Every claim (creating the job, ``claim_expired``, ``dispatch``) bumps the job's ``lease_token``; a
renewal keeps it. The claimer's writes carry the token (``bot.store.transitions``), so a process
that was paused past its lease finds, at its next write, that the job is no longer its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.models import Job, JobStatus
from bot.store.core import StoreCore
from bot.store.engine import DISPATCH_LOCK, Tx, fetch_jobs, fetch_jobs_by_id
from bot.store.job_rules import LATE_WATCH_LEASE
from bot.store.rows import utc

AT_PROVIDER = [JobStatus.SUBMITTING.value, JobStatus.SUBMITTED.value, JobStatus.RUNNING.value]

# decide(waiting, at_provider, served_meanwhile) -> the ids to move to SUBMITTING
Decide = Callable[[list[Job], list[Job], list[Job]], Awaitable[list[int]]]


class JobLeases(StoreCore):
    """The lease methods of ``JobStore`` and ``dispatch``, the one place jobs leave the queue together."""

    @property
    def lease_owner(self) -> str:
        """The name this store's leases carry (``host:pid:random`` unless given)."""
        return self._lease_owner

    @property
    def lease_seconds(self) -> float:
        """How long a lease lasts without renewal: another process takes the job over after that."""
        return self._lease_seconds

    async def renew_leases(self) -> frozenset[int]:
        """Extend this owner's leases on every LEASABLE job; return the ids this owner holds now.

        A job another process took after our lease expired is absent: stop acting on it.
        """
        now = self._now()
        owner, expires = self._lease(now)
        params = (owner, expires, utc(now) - LATE_WATCH_LEASE)

        async def work(tx: Tx) -> frozenset[int]:
            return frozenset(int(row["id"]) for row in await tx.rows(tx.sql.RENEW_LEASES, params))

        return await self._db.write(work)

    async def claim_expired(self, limit: int = 100) -> list[Job]:
        """Take up to ``limit`` LEASABLE jobs nobody holds (no owner, or an expired lease), in id order.

        Two processes claiming at once never get the same job.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        now = self._now()
        owner, expires = self._lease(now)
        params = (owner, expires, utc(now) - LATE_WATCH_LEASE, utc(now), limit)
        return await self._db.write(lambda tx: fetch_jobs_by_id(tx, tx.sql.CLAIM_EXPIRED, params))

    async def release_leases(self) -> int:
        """Give up this owner's leases (clean shutdown) so others take the jobs at once; return how many."""

        async def work(tx: Tx) -> int:
            return len(await tx.rows(tx.sql.RELEASE_LEASES, (self._lease_owner,)))

        return await self._db.write(work)

    async def dispatch(self, decide: Decide) -> list[Job]:
        """Move the queued jobs ``decide`` picks to SUBMITTING under this owner's lease, in one transaction.

        Holds the global dispatch lock (one dispatch at a time across every process), loads every
        QUEUED job and every job at the provider (SUBMITTING, SUBMITTED, RUNNING) in id order, and the
        jobs that were at the provider while the oldest waiting job waited but have finished since
        (the fair rounds count them), awaits ``decide(waiting, at_provider, served)`` and moves exactly
        the returned ids that are still QUEUED. Returns the moved jobs in id order.
        """

        async def work(tx: Tx) -> list[Job]:
            await tx.lock(DISPATCH_LOCK)
            waiting = await fetch_jobs(tx, tx.sql.JOBS_WITH_STATUS, ([JobStatus.QUEUED.value],))
            at_provider = await fetch_jobs(tx, tx.sql.JOBS_WITH_STATUS, (AT_PROVIDER,))
            served = await self._served_meanwhile(tx, waiting)
            chosen = sorted({int(job_id) for job_id in await decide(waiting, at_provider, served)})
            if not chosen:
                return []
            now = self._now()
            owner, expires = self._lease(now)
            params = (owner, expires, utc(now), chosen)
            return await fetch_jobs_by_id(tx, tx.sql.DISPATCH_MOVE, params)

        return await self._db.write(work)

    async def _served_meanwhile(self, tx: Tx, waiting: list[Job]) -> list[Job]:
        """Return finished jobs that were at the provider after the oldest waiting job arrived."""
        if not waiting:
            return []
        oldest = min(job.created_at for job in waiting)
        return await fetch_jobs(tx, tx.sql.SERVED_SINCE, (utc(oldest),))
