"""Who may press a job's buttons, without Discord: the requester, moderators, and for Extend maybe everyone.

A server's "everyone may press" setting (``GuildSettings.buttons_everyone``) opens Extend (with or
without a prompt) to every member: an extension is a new job charged to whoever pressed it. Cancel
stops another member's job, and Retry replaces it (a timed-out job's late result is then dropped),
so both stay with the member who started the job and members with Manage Messages.
"""

from __future__ import annotations

from enum import StrEnum

from bot.checks import Refusal
from bot.models import GuildSettings, Job


class JobAction(StrEnum):
    """What a job button does."""

    EXTEND = "extend"
    CANCEL = "cancel"
    RETRY = "retry"


NOT_YOURS = "error.not_your_job"
# Where everyone may press, a member refused Cancel or Retry hears that the setting covers Extend only.
NOT_FOR_EVERYONE = {JobAction.CANCEL: "cancel.not_yours", JobAction.RETRY: "retry.not_yours"}


def everyone_may(action: JobAction, settings: GuildSettings | None) -> bool:
    """Return True if the server lets every member press ``action``'s button on anyone's job."""
    return action is JobAction.EXTEND and settings is not None and settings.buttons_everyone


def check_may_press(
    action: JobAction, job: Job, *, user_id: int, moderator: bool, settings: GuildSettings | None
) -> None:
    """Raise the ``Refusal`` for ``action`` unless the member started the job, moderates, or everyone may."""
    if user_id == job.requester_id or moderator or everyone_may(action, settings):
        return
    if settings is not None and settings.buttons_everyone:
        raise Refusal(NOT_FOR_EVERYONE.get(action, NOT_YOURS), job_id=job.id)
    raise Refusal(NOT_YOURS, job_id=job.id)
