"""Jobs delivered in part: some clips reached Discord, others could not be posted (issue 18, item 9).

Such a job is DELIVERED (the member holds clips) and lists the missing clips in ``missing_clips``. Its
usage is what the delivered clips cost (``Job.charged_units``): ``mark_succeeded`` counted the whole
cost, so marking it partly delivered gives back the rest, and each later posting of missing clips
counts again what they add, on the day the provider finished the job (where the cost was counted).
"""

from __future__ import annotations

from collections.abc import Collection

from bot.models import Job, JobStatus
from bot.store.engine import Tx
from bot.store.errors import InvalidTransition
from bot.store.job_rules import DELIVERABLE
from bot.store.rows import day_key, encode_clip_indexes, usage_guild, utc
from bot.store.transitions import JobTransitions

PARTLY_DELIVERED_FROM = frozenset({JobStatus.DELIVERED})


class PartialDeliveries(JobTransitions):
    """``JobStore``'s writes and count for jobs whose clips did not all reach Discord."""

    async def mark_partly_delivered(
        self, job_id: int, missing: Collection[int], *, token: int | None = None
    ) -> Job:
        """SUCCEEDED → DELIVERED with ``missing`` (0-based clip indexes) still to post.

        Gives back the units of the clips that did not arrive; ``missing`` must leave at least one
        clip delivered (a job with none delivered fails instead, see ``mark_failed``). Fenced by
        ``token`` like ``mark_delivered`` (``LeaseLost`` when another process holds the job now).
        """

        async def work(tx: Tx) -> Job:
            current = await self._check(tx, job_id, DELIVERABLE, "mark it partly delivered", token)
            wanted = _checked_indexes(current, missing)
            if len(wanted) >= len(current.clip_urls):
                raise ValueError(f"job {job_id}: a delivery with no clip delivered is a failure")
            stamp = utc(self._now())
            job = await self._returning(
                tx, tx.sql.MARK_PARTLY_DELIVERED, (encode_clip_indexes(wanted), stamp, job_id)
            )
            await self._charge(tx, job, job.charged_units - current.cost)
            return job

        return await self._db.write(work)

    async def mark_clips_posted(self, job_id: int, posted: Collection[int]) -> Job:
        """Record that the missing clips ``posted`` reached Discord after all; count what they add.

        Clips that were not missing are ignored, so recording the same posting twice changes nothing.
        """

        async def work(tx: Tx) -> Job:
            current = await self._check(tx, job_id, PARTLY_DELIVERED_FROM, "record clips posted")
            still = set(current.missing_clips) - set(_checked_indexes(current, posted))
            if still == set(current.missing_clips):
                return current
            params = (encode_clip_indexes(still), utc(self._now()), job_id)
            job = await self._returning(tx, tx.sql.SET_MISSING_CLIPS, params)
            await self._charge(tx, job, job.charged_units - current.charged_units)
            return job

        return await self._db.write(work)

    async def count_partly_delivered(self) -> int:
        """Return how many delivered jobs still miss clips."""

        async def work(tx: Tx) -> int:
            rows = await tx.rows(tx.sql.COUNT_PARTLY_DELIVERED)
            return int(rows[0]["jobs"]) if rows else 0

        return await self._db.read(work)

    async def _charge(self, tx: Tx, job: Job, units: int) -> None:
        """Add ``units`` (negative: give back) to the usage of the day the job finished."""
        if units == 0 or job.finished_at is None:
            return
        key = (day_key(job.finished_at), usage_guild(job.guild_id), job.requester_id, abs(units))
        await tx.execute(tx.sql.COUNT_SUCCESS if units > 0 else tx.sql.REFUND_SUCCESS, key)


def _checked_indexes(job: Job, indexes: Collection[int]) -> list[int]:
    """Return ``indexes`` sorted without repeats, refusing one the job has no clip for."""
    wanted = sorted(set(indexes))
    if any(not 0 <= index < len(job.clip_urls) for index in wanted):
        raise InvalidTransition(job.id, job.status, f"name clips {wanted} of {len(job.clip_urls)}")
    return wanted
