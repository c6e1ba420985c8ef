"""Who may press a job's buttons: "everyone may press" opens Extend only, never Cancel or Retry."""

import pytest

from bot.access.press_rules import JobAction, check_may_press
from bot.checks import Refusal
from bot.models import GuildSettings
from tests.bot.media.test_recall import JOB, OTHER, REQUESTER

EVERYONE = GuildSettings(guild_id=JOB.guild_id, buttons_everyone=True)


@pytest.mark.parametrize("action", list(JobAction))
@pytest.mark.parametrize("settings", [None, EVERYONE])
def test_the_requester_and_moderators_may_press_everything(action, settings):
    check_may_press(action, JOB, user_id=REQUESTER, moderator=False, settings=settings)
    check_may_press(action, JOB, user_id=OTHER, moderator=True, settings=settings)


@pytest.mark.parametrize(
    ("action", "key"),
    [(JobAction.CANCEL, "cancel.not_yours"), (JobAction.RETRY, "retry.not_yours")],
)
def test_everyone_may_press_leaves_cancel_and_retry_with_the_requester(action, key):
    with pytest.raises(Refusal) as refused:
        check_may_press(action, JOB, user_id=OTHER, moderator=False, settings=EVERYONE)
    assert refused.value.key == key and refused.value.params == {"job_id": JOB.id}


@pytest.mark.parametrize("action", list(JobAction))
def test_without_everyone_may_press_another_member_hears_it_is_not_their_job(action):
    with pytest.raises(Refusal) as refused:
        check_may_press(action, JOB, user_id=OTHER, moderator=False, settings=None)
    assert refused.value.key == "error.not_your_job"


def test_everyone_may_press_opens_extend():
    check_may_press(JobAction.EXTEND, JOB, user_id=OTHER, moderator=False, settings=EVERYONE)
