"""Deleting a job (issue 22, item 4) without Discord: who may, and what a deleted job answers.

The member who made the job, the member who posted the image it animated (a reaction or an "Animate
image" job: ``Job.source_author_id``) and moderators (Manage Messages in the job's own channel) may
delete it; a job of a channel the member cannot see does not exist for them, as for ``/show``. A
deleted job is refused by every path that would show or use it (``check_not_deleted``).
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
    check_not_deleted(job)
    if not may_delete(job, user_id, access):
        raise Refusal("delete.not_allowed", job_id=job.id)
    if job.status is JobStatus.SUCCEEDED:
        raise Refusal("delete.delivering", job_id=job.id)


def check_not_deleted(job: Job) -> None:
    """Raise ``delete.gone`` for a job a member deleted: no path shows or uses it again."""
    if job.deleted:
        raise Refusal("delete.gone", job_id=job.id)
