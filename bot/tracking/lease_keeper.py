"""Job leases for several processes on one shared store (PostgreSQL): keep ours, take over the dead's.

Each process acts only on jobs it holds a lease on. The keeper renews those leases every ``interval``
seconds; a job missing from the renewal was taken by another process (which found our lease expired,
or claimed it in a dispatch), so this process lets it go. Jobs whose lease expired (a process that
died, or stalled longer than a lease) are claimed and adopted like jobs found at start-up. A process
that cannot renew for a whole lease period lets go of everything: another process may own it by now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from bot.models import Job

log = logging.getLogger(__name__)

CLAIM_BATCH = 100


class LeaseStore(Protocol):
    """The store operations the keeper needs (``bot.store.JobStore`` provides them)."""

    async def renew_leases(self) -> frozenset[int]:
        """Extend this process's leases; return the ids it holds."""

    async def claim_expired(self, limit: int = CLAIM_BATCH) -> list[Job]:
        """Take over jobs whose lease expired; return them."""

    async def release_leases(self) -> int:
        """Give up every lease this process holds."""


class LeaseKeeper:
    """Renews this process's job leases and adopts the jobs of processes that stopped."""

    def __init__(
        self,
        store: LeaseStore,
        *,
        lease_seconds: float,
        interval: float,
        held: Callable[[], Iterable[int]],
        let_go: Callable[[int], None],
        adopt: Callable[[list[Job]], Awaitable[None]],
    ) -> None:
        self._store = store
        self._lease_seconds = lease_seconds
        self.interval = interval
        self._held = held
        self._let_go = let_go
        self._adopt = adopt
        self._renewed_at = time.monotonic()
        self.taken_over = 0
        self.let_go_total = 0

    async def take_over(self) -> int:
        """Claim and adopt every job whose lease expired (at start-up, and on every tick)."""
        total = 0
        while True:
            claimed = await self._store.claim_expired(CLAIM_BATCH)
            if claimed:
                count = len(claimed)
                log.info("took over %d %s of a process that stopped renewing its leases", count, _jobs(count))
                await self._adopt(claimed)
                total += len(claimed)
            if len(claimed) < CLAIM_BATCH:
                break
        self.taken_over += total
        return total

    async def renew(self) -> None:
        """Renew our leases and let go of the jobs another process holds now."""
        before = set(self._held())  # jobs added after the renewal started are not judged by it
        try:
            held = await self._store.renew_leases()
        except Exception:
            self._renewal_failed(before)
            raise
        self._renewed_at = time.monotonic()
        self._release(before - held)

    def _renewal_failed(self, held: set[int]) -> None:
        if time.monotonic() - self._renewed_at > self._lease_seconds:
            log.warning(
                "could not renew job leases for a whole lease period; letting %d %s go",
                len(held),
                _jobs(len(held)),
            )
            self._release(held)

    def _release(self, job_ids: Iterable[int]) -> None:
        for job_id in sorted(job_ids):
            log.info("job %s is now handled by another process", job_id)
            self._let_go(job_id)
            self.let_go_total += 1

    async def tick(self) -> None:
        """One round: renew, then take over expired leases."""
        await self.renew()
        await self.take_over()

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick every ``interval`` seconds until ``stopping`` is set; a failed tick is logged and retried."""
        while not stopping.is_set():
            try:
                await self.tick()
            except Exception as exc:
                log.warning("job lease round failed (%s: %s); retrying", type(exc).__name__, exc)
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    async def release(self) -> None:
        """Give our leases up on a clean stop, so other processes take the jobs over at once."""
        try:
            released = await self._store.release_leases()
        except Exception as exc:
            log.warning("could not release job leases (%s); they expire on their own", exc)
            return
        if released:
            log.info("released %d job leases to the other processes", released)


def _jobs(count: int) -> str:
    return "job" if count == 1 else "jobs"
