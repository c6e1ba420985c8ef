"""Jobs delivered in part: some clips reached Discord, others could not be posted (issue 18, item 9).

Such a job is DELIVERED (the member holds clips) and lists the missing clips in ``missing_clips``. It
is charged what the delivered clips cost (``Job.charged_units``, and the same share of the price):
its ledger row, charged in full since the submit, is settled down to that when it is marked partly
delivered, and up again as missing clips are posted later (``bot.store.ledger``).
"""

from __future__ import annotations

from collections.abc import Collection

from bot.models import Job, JobStatus
from bot.store.engine import Tx
from bot.store.errors import InvalidTransition
from bot.store.job_rules import DELIVERABLE
from bot.store.ledger import settle
from bot.store.rows import encode_clip_indexes, utc
from bot.store.transitions import JobTransitions

PARTLY_DELIVERED_FROM = frozenset({JobStatus.DELIVERED})


class PartialDeliveries(JobTransitions):
    """``JobStore``'s writes and count for jobs whose clips did not all reach Discord."""

    async def mark_partly_delivered(
        self, job_id: int, missing: Collection[int], *, token: int | None = None
    ) -> Job:
        """SUCCEEDED → DELIVERED with ``missing`` (0-based clip indexes) still to post.

        Gives back what the clips that did not arrive cost; ``missing`` must leave at least one
        clip delivered (a job with none delivered fails instead, see ``mark_failed``). Fenced by
        ``token`` like ``mark_delivered`` (``LeaseLost`` when another process holds the job now).
        """

        async def work(tx: Tx) -> Job:
            current = await self._check(tx, job_id, DELIVERABLE, "mark it partly delivered", token)
            wanted = _checked_indexes(current, missing)
            if len(wanted) >= len(current.clip_urls):
                raise ValueError(f"job {job_id}: a delivery with no clip delivered is a failure")
            now = self._now()
            job = await self._returning(
                tx, tx.sql.MARK_PARTLY_DELIVERED, (encode_clip_indexes(wanted), utc(now), job_id)
            )
            await settle(tx, job, now)
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
            now = self._now()
            params = (encode_clip_indexes(still), utc(now), job_id)
            job = await self._returning(tx, tx.sql.SET_MISSING_CLIPS, params)
            await settle(tx, job, now)
            return job

        return await self._db.write(work)

    async def count_partly_delivered(self) -> int:
        """Return how many delivered jobs still miss clips."""

        async def work(tx: Tx) -> int:
            rows = await tx.rows(tx.sql.COUNT_PARTLY_DELIVERED)
            return int(rows[0]["jobs"]) if rows else 0

        return await self._db.read(work)


def _checked_indexes(job: Job, indexes: Collection[int]) -> list[int]:
    """Return ``indexes`` sorted without repeats, refusing one the job has no clip for."""
    wanted = sorted(set(indexes))
    if any(not 0 <= index < len(job.clip_urls) for index in wanted):
        raise InvalidTransition(job.id, job.status, f"name clips {wanted} of {len(job.clip_urls)}")
    return wanted
