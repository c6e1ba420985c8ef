"""Requests for consent as the store keeps them (both engines): asked once, decided once, due in time."""

from __future__ import annotations

import datetime as dt

from bot.models import ConsentMode, ConsentStatus, GuildSettings, JobSource
from tests.store_fixtures import GUILD, START, USER, consent_request, save_settings


async def test_a_request_is_stored_whole_and_asked_only_once_while_it_waits(store):
    asked, new = await store.open_consent(consent_request(source=JobSource.CONTEXT_MENU))
    assert new and asked.id == 1 and asked.status is ConsentStatus.PENDING
    assert (asked.requester_id, asked.source, asked.locale, asked.prompt_message_id) == (
        USER,
        JobSource.CONTEXT_MENU,
        "vi",
        None,
    )
    again, new_again = await store.open_consent(consent_request())
    assert (again, new_again) == (asked, False)

    await store.set_consent_prompt(asked.id, 6001)
    assert (await store.get_consent(asked.id)).prompt_message_id == 6001  # type: ignore[union-attr]
    other, new_other = await store.open_consent(consent_request(source_message_id=4002, poster_id=USER + 7))
    assert new_other and other.id == 2


async def test_a_requester_waits_for_one_answer_per_poster_and_a_deny_of_an_image_stands(store):
    """Each request pings its poster: one waits per requester and poster; a Deny is not asked again."""
    asked, _ = await store.open_consent(consent_request())
    blocked, new = await store.open_consent(consent_request(source_message_id=4002))
    assert (blocked, new) == (asked, False)  # the same poster, another image: wait for the answer
    _, by_other = await store.open_consent(consent_request(requester_id=USER + 9, source_message_id=4002))
    assert by_other  # another requester asks freely

    denied = await store.decide_consent(asked.id, ConsentStatus.DENIED)
    again, new_again = await store.open_consent(consent_request())
    assert (again, new_again) == (denied, False)
    _, other_image = await store.open_consent(consent_request(source_message_id=4002))
    assert other_image


async def test_a_request_is_decided_once(store):
    asked, _ = await store.open_consent(consent_request())
    allowed = await store.decide_consent(asked.id, ConsentStatus.ALLOWED)
    assert allowed is not None and allowed.status is ConsentStatus.ALLOWED
    assert await store.decide_consent(asked.id, ConsentStatus.DENIED) is None
    assert await store.decide_consent(999, ConsentStatus.DENIED) is None
    assert (await store.get_consent(asked.id)).status is ConsentStatus.ALLOWED  # type: ignore[union-attr]
    _, new = await store.open_consent(consent_request())
    assert new  # decided: a new request may be asked


async def test_waiting_requests_fall_due_at_their_expiry(store, clock):
    first, _ = await store.open_consent(consent_request())
    await store.open_consent(
        consent_request(source_message_id=4002, poster_id=USER + 7, expires_at=START + dt.timedelta(hours=1))
    )
    assert await store.due_consents() == []
    assert await store.next_consent_expiry() == first.expires_at

    clock.advance(minutes=10)
    assert [c.id for c in await store.due_consents()] == [first.id]
    _, new = await store.open_consent(consent_request(expires_at=START + dt.timedelta(hours=2)))
    assert new  # an expired request no longer stands in the way of asking again
    await store.decide_consent(first.id, ConsentStatus.EXPIRED)
    assert await store.due_consents() == []


async def test_the_consent_mode_round_trips_with_the_other_settings(store):
    await save_settings(
        store, GuildSettings(guild_id=GUILD, consent=ConsentMode.POSTER_ONLY, max_daily_per_user=2)
    )
    assert (await store.get_guild_settings(GUILD)).consent is ConsentMode.POSTER_ONLY  # type: ignore[union-attr]
