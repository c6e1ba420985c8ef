"""Whether animating an image needs its poster's consent (issue 22), for each server mode."""

from __future__ import annotations

import pytest

from bot.access import Consent, ImageOwner, consent_needed
from bot.checks import Refusal
from bot.models import ConsentMode, GuildSettings

ALICE, BOB = 1, 2


def server(mode: ConsentMode) -> GuildSettings:
    return GuildSettings(guild_id=9, consent=mode)


@pytest.mark.parametrize("settings", [None, server(ConsentMode.ANYONE)])
def test_anyone_needs_no_consent_as_before(settings):
    assert consent_needed(settings, ALICE, ImageOwner(BOB), moderator=False) is Consent.NOT_NEEDED
    assert consent_needed(settings, ALICE, ImageOwner(BOB, bot=True), moderator=False) is Consent.NOT_NEEDED


@pytest.mark.parametrize("mode", [ConsentMode.ASK, ConsentMode.POSTER_ONLY])
def test_ones_own_image_and_moderators_never_need_consent(mode):
    assert consent_needed(server(mode), BOB, ImageOwner(BOB), moderator=False) is Consent.NOT_NEEDED
    assert consent_needed(server(mode), ALICE, ImageOwner(BOB), moderator=True) is Consent.NOT_NEEDED
    assert (
        consent_needed(server(mode), ALICE, ImageOwner(BOB, bot=True), moderator=True) is Consent.NOT_NEEDED
    )


def test_ask_asks_the_poster_and_poster_only_refuses():
    assert consent_needed(server(ConsentMode.ASK), ALICE, ImageOwner(BOB), moderator=False) is Consent.ASK
    with pytest.raises(Refusal) as refused:
        consent_needed(server(ConsentMode.POSTER_ONLY), ALICE, ImageOwner(BOB), moderator=False)
    assert refused.value.key == "consent.poster_only"


@pytest.mark.parametrize("mode", [ConsentMode.ASK, ConsentMode.POSTER_ONLY])
def test_an_image_a_bot_posted_has_nobody_to_ask(mode):
    with pytest.raises(Refusal) as refused:
        consent_needed(server(mode), ALICE, ImageOwner(BOB, bot=True), moderator=False)
    assert refused.value.key == "consent.no_poster_to_ask"
