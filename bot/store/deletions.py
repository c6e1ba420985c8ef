"""Deleted jobs (issue 22, item 4): the bot's posts of a job, and the mark that no path shows it again.

A job's card is ``card_message_id``; its other messages (clip replies, ``/show`` re-posts and their
replies) are appended to ``posts`` as they are sent, and the messages channel history never shows (a
private job's ephemeral and DM messages, a webhook-only job's) to ``private_posts`` with their place
and clips, so a delete can remove every one of them, in any
channel, after a restart or from another process. Deleting leaves the ledger alone: what the job
cost stays spent (issue 21).
"""

from __future__ import annotations

import json

from bot.models import FINAL_STATUSES, Job, PrivatePost
from bot.store.engine import Tx
from bot.store.rows import private_post_entry, utc
from bot.store.transitions import JobTransitions

# Only a job nothing more happens to may be deleted: the surface cancels a waiting or running one first.
DELETABLE = FINAL_STATUSES


class JobDeletions(JobTransitions):
    """``JobStore``'s writes for the posts of a job and for deleting it."""

    async def record_post(self, job_id: int, channel_id: int, message_id: int) -> None:
        """Remember that the bot's message ``message_id`` in ``channel_id`` carries job ``job_id``."""

        async def work(tx: Tx) -> None:
            await tx.execute(tx.sql.ADD_POST, (json.dumps([channel_id, message_id]), job_id))

        await self._db.write(work)

    async def record_private_post(self, job_id: int, post: PrivatePost) -> Job:
        """Remember a message of job ``job_id`` that channel history does not show; return the job.

        An ephemeral or webhook message, or a DM: a delete removes it while Discord allows, and a
        restarted delivery reads its clips here instead of in the channel.
        """

        async def work(tx: Tx) -> Job:
            params = (json.dumps(private_post_entry(post)), job_id)
            return await self._returning(tx, tx.sql.ADD_PRIVATE_POST, params)

        return await self._db.write(work)

    async def mark_deleted(self, job_id: int) -> Job:
        """Mark a finished job deleted and return it (``InvalidTransition`` while it is not finished).

        Deleting twice keeps the first time.
        """

        async def work(tx: Tx) -> Job:
            current = await self._check(tx, job_id, DELETABLE, "delete it")
            if current.deleted:
                return current
            return await self._returning(tx, tx.sql.MARK_DELETED, (utc(self._now()), job_id))

        return await self._db.write(work)
