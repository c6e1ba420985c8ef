"""The rules the store holds jobs to, for both engines.

Which statuses each store write may start from (final statuses appear nowhere, so nothing leaves
them, except a job the bot timed out itself whose provider success arrives late), how progress
reports merge, how long a timed-out job is watched, and when a second request is the first one twice.
"""

from __future__ import annotations

import datetime as dt

from bot.models import Job, JobStatus

# Which statuses each store action may start from.
SUBMIT_START = frozenset({JobStatus.QUEUED})
REQUEUE_FROM = frozenset({JobStatus.SUBMITTING})
SUBMITTED_FROM = frozenset({JobStatus.QUEUED, JobStatus.SUBMITTING})
TRACKED = frozenset({JobStatus.SUBMITTED, JobStatus.RUNNING})
FAILABLE = frozenset(
    {JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING, JobStatus.SUCCEEDED}
)
DELIVERABLE = frozenset({JobStatus.SUCCEEDED})
# A SUCCEEDED job is being delivered (its clips exist and are charged): too late to cancel.
CANCELLABLE = frozenset({JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING})

# A job the bot timed out itself is watched this long for a late provider result (bot.tracking.late_watch),
# so a process must hold its lease that long.
LATE_WATCH_LEASE = dt.timedelta(hours=24)

# A member's second job from the same message by the same trigger within this window is the same
# request delivered twice (a re-added reaction, a second bot process, a repeated gateway event).
DUPLICATE_WINDOW = dt.timedelta(minutes=10)


def late_success_allowed(job: Job) -> bool:
    """Return True for a TIMED_OUT job that the bot timed out itself while the provider still worked on it."""
    return job.status is JobStatus.TIMED_OUT and job.timed_out_at is not None and bool(job.provider_task_id)


def merged_tracking_status(current: JobStatus, target: JobStatus) -> JobStatus:
    """Return the status after a progress report: RUNNING never goes back to SUBMITTED."""
    return JobStatus.RUNNING if JobStatus.RUNNING in (current, target) else JobStatus.SUBMITTED
