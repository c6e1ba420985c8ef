"""Deleting a job (issue 22, item 4) without Discord: who may, and what a deleted job answers.

The member who made the job, the member who posted the image it animated (a reaction or an "Animate
image" job: ``Job.source_author_id``) and moderators (Manage Messages in the job's own channel) may
delete it; a job of a channel the member cannot see does not exist for them, as for ``/show``. A
deleted job is refused by every path that would show or use it (``check_not_deleted``); deleting it
again, by those who may, removes whatever of it is left (a message Discord refused before, clips the
archive could not remove then).

From anywhere but the job's own server (a DM, a group DM, another server: a user install) only the
member who made it or posted its image may delete it, moderators no more (``check_may_delete_elsewhere``);
anyone else is told it does not exist, since job ids are easy to guess. A job of a server that hosts
the bot still follows that server: a channel the member cannot see there hides it.
"""

from __future__ import annotations

from bot.checks import Refusal
from bot.media.recall import ChannelAccess
from bot.models import Job, JobStatus


def may_delete(job: Job, user_id: int, access: ChannelAccess) -> bool:
    """Return True if the member made the job, posted its image, or moderates its channel."""
    return user_id in (job.requester_id, job.source_author_id) or access.can_moderate


def check_may_delete(job: Job, user_id: int, access: ChannelAccess) -> None:
    """Raise the ``Refusal`` saying why a member may not delete ``job`` now; return if they may."""
    if not access.can_view:
        raise Refusal("show.not_found", job_id=job.id)
    if not may_delete(job, user_id, access):
        # A private job exists for its owners alone (as for /show): ids are easy to guess.
        raise Refusal("show.not_found" if job.private else "delete.not_allowed", job_id=job.id)
    if job.status is JobStatus.SUCCEEDED:
        raise Refusal("delete.delivering", job_id=job.id)


def check_may_delete_elsewhere(
    job: Job | None, job_id: int, user_id: int, access: ChannelAccess | None, *, refusal: str
) -> Job:
    """Return ``job`` if a member may delete it from outside its own server; else raise the ``Refusal``.

    ``access`` is the member's in the job's channel when the job's server hosts the bot, else None
    (a job of a DM, a group DM or a server without the bot has no rules but its owners'). A job that
    is not theirs, or of a channel they cannot see, answers ``refusal``: as for an id that does not exist.
    """
    owner = job is not None and user_id in (job.requester_id, job.source_author_id)
    if job is None or not owner or (access is not None and not access.can_view):
        raise Refusal(refusal, job_id=job_id)
    if job.status is JobStatus.SUCCEEDED:
        raise Refusal("delete.delivering", job_id=job.id)
    return job


def check_not_deleted(job: Job) -> None:
    """Raise ``delete.gone`` for a job a member deleted: no path shows or uses it again."""
    if job.deleted:
        raise Refusal("delete.gone", job_id=job.id)
