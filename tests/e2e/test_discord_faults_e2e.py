"""Discord faults end to end: expired tokens, a deleted card, 429s, 5xx, missing permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import FailureKind, Job, JobStatus
from tests.doubles.discord import InteractionHandle, Message, Perm
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts

WEBHOOK_EDIT = "PATCH /webhooks/{webhook_id}/{token}/messages/{message_id}"
CHANNEL_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
CARD_DELETED = "The job card was deleted, so the result is posted here."
MISSING_PERMISSIONS = "I can't post in this channel"


def is_delivered(message: Message) -> bool:
    """The card of a delivered job: four clips and the requester mentioned."""
    return len(message.files) == 4 and "your video is ready" in card_parts(message).ready


async def waiting_job(world: World) -> Job:
    """Wait until a job is submitted and its card shows it waiting at the provider."""
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    await world.wait_card(
        lambda m: m.id == job.card_message_id and "waiting for the video" in card_parts(m).state
    )
    return job


async def animate_with(world: World, **slash_options: Any) -> InteractionHandle:
    """/animate as Alice with a PNG, passing driver options such as ``age=``."""
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    handle = await world.discord.slash(world.discord.alice, "animate", attachment=attachment, **slash_options)
    assert (await handle.wait_response()).accepted
    return handle


async def react_on_image(world: World) -> Message:
    """Bob posts a PNG in #general and Alice reacts 🎬 to it."""
    discord = world.discord
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    image = await discord.post_message(discord.bob, discord.general, "look", attachments=[attachment])
    await discord.add_reaction(discord.alice, image, "🎬")
    return image


def bot_token_edits(world: World, message_id: int) -> list[Any]:
    """Successful channel-route edits of ``message_id`` made with the bot token."""
    return [
        r
        for r in world.discord.requests_to(CHANNEL_EDIT)
        if r.path.endswith(f"/messages/{message_id}")
        and r.status == 200
        and r.authorization == f"Bot {world.discord.token}"
    ]


async def test_expired_token_moves_card_edits_and_delivery_to_the_bot_token(world):
    """After the token expires (401/50027) the card is edited through the channel and still delivered."""
    handle = await animate_with(world)
    world.discord.expire_interaction(handle)
    card = await world.wait_card(is_delivered)
    assert card.id == handle.original_message_id  # the same message, edited in place
    assert world.discord.requests_to(WEBHOOK_EDIT)[-1].status == 401  # never used again once refused
    edits = bot_token_edits(world, card.id)
    assert edits and len(edits[-1].files) == 4  # the clips went through the channel route
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED and j.interaction_token is None)


async def test_nearly_expired_interaction_is_never_edited_through_its_token(world):
    """An interaction 14.5 minutes old: every edit, the delivery included, uses the bot token."""
    handle = await animate_with(world, age=dt.timedelta(minutes=14, seconds=30))
    card = await world.wait_card(is_delivered)
    assert card.id == handle.original_message_id
    assert world.discord.requests_to(WEBHOOK_EDIT) == []
    assert len(bot_token_edits(world, card.id)) >= 2  # progress, then the clips
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)


async def test_card_deleted_by_a_moderator_is_posted_again_with_a_note(world):
    """The result goes out as a new message saying the card was deleted; the store points at it."""
    world.hold_jobs()
    handle = await animate_with(world)
    job = await waiting_job(world)
    old_card = handle.original_message
    assert old_card is not None
    await world.discord.delete_message(old_card)
    world.release(job)

    new_card = await world.wait_card(is_delivered)
    assert new_card.id != old_card.id and new_card.channel_id == old_card.channel_id
    assert CARD_DELETED in card_parts(new_card).notes
    stored = await world.wait_delivered(job.id)
    assert stored.card_message_id == new_card.id
    assert stored.interaction_token is None  # the new card is not the interaction's message


async def test_429s_on_webhook_edits_are_honoured_and_the_clips_still_arrive(world):
    """Two 429s on the interaction webhook: each retried after retry_after, the delivery arrives."""
    world.discord.inject_fault(WEBHOOK_EDIT, status=429, times=2, retry_after=0.1)
    await animate_with(world)
    await world.wait_card(is_delivered)
    assert world.discord.rate_limited_count == 2
    assert_retries_waited(world.discord.requests_to(WEBHOOK_EDIT), 0.1)
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)


async def test_429s_on_channel_edits_are_honoured_and_the_clips_still_arrive(world):
    """A reaction job edits through the channel: two 429s there are waited out, the delivery arrives."""
    world.discord.inject_fault(CHANNEL_EDIT, status=429, times=2, retry_after=0.1)
    await react_on_image(world)
    await world.wait_card(is_delivered)
    assert world.discord.rate_limited_count == 2
    assert_retries_waited(world.discord.requests_to(CHANNEL_EDIT), 0.1)
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)


def assert_retries_waited(requests: list[Any], retry_after: float) -> None:
    """Every request that drew a 429 was followed on its route no sooner than ``retry_after``."""
    for index, request in enumerate(requests):
        if request.status == 429:
            assert requests[index + 1].time - request.time >= retry_after * 0.9


async def test_five_concurrent_jobs_in_one_channel_draw_no_429(world):
    """Five members animate at once in #general: coalesced edits stay under every rate limit."""
    discord = world.discord
    people = [discord.alice, discord.bob, discord.mod, discord.admin, discord.owner]
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    handles = [await discord.slash(user, "animate", attachment=attachment) for user in people]
    for handle in handles:
        assert (await handle.wait_response()).accepted
    for user in people:
        await world.wait_job(lambda j, u=user: j.requester_id == u.id and j.status is JobStatus.DELIVERED)
    assert len([m for m in discord.bot_messages(discord.general) if is_delivered(m)]) == 5
    assert discord.rate_limited_count == 0


async def test_5xx_on_the_delivery_edit_is_retried_and_the_clips_still_arrive(world):
    """A 502 answering the delivery edit is retried; the clips arrive on the card."""
    world.hold_jobs()
    await animate_with(world)
    job = await waiting_job(world)
    world.discord.inject_fault(WEBHOOK_EDIT, status=502, times=1)
    world.release(job)
    card = await world.wait_card(is_delivered)
    statuses = [r.status for r in world.discord.requests_to(WEBHOOK_EDIT)]
    assert statuses[-2:] == [502, 200]
    assert card.id == job.card_message_id
    await world.wait_delivered(job.id)


async def test_animate_where_the_bot_cannot_post_is_refused_privately_and_not_stored(world):
    """Without Send Messages in #general, /animate is refused ephemerally before any job exists."""
    await world.discord.set_bot_permissions(world.discord.general, deny=Perm.SEND_MESSAGES)
    handle = await world.animate()
    response = await handle.wait_response()
    assert handle.ephemeral and MISSING_PERMISSIONS in response.payload["data"]["content"]
    assert await world.store.all_jobs() == []
    assert world.comet.counts["submit"] == 0
    usage = await world.store.usage_today(world.discord.guild.id, world.discord.alice.id)
    assert usage.user_today == 0


async def test_reaction_where_the_bot_cannot_post_is_explained_by_dm(world):
    """Without Send Messages in #general, a 🎬 reaction gets a DM saying why and starts no job."""
    discord = world.discord
    await discord.set_bot_permissions(discord.general, deny=Perm.SEND_MESSAGES)
    await react_on_image(world)
    dm_channel = discord.dm_channel(discord.alice)
    dm = await world.wait_card(lambda m: m.channel_id == dm_channel.id)
    assert MISSING_PERMISSIONS in dm.content
    assert await world.store.all_jobs() == []
    assert world.comet.counts["submit"] == 0
    assert discord.bot_messages(discord.general) == []


async def test_clips_that_cannot_be_posted_fail_the_job_keep_the_charge_and_tell_the_requester(world):
    """Permissions removed mid-job: FAILED (delivery), the requester told by DM. The video service made
    and bills the video, so it stays charged (issue 21)."""
    discord = world.discord
    world.hold_jobs()
    await react_on_image(world)
    job = await waiting_job(world)
    await discord.set_bot_permissions(discord.general, deny=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
    world.release(job)

    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    assert failed.failure_kind is FailureKind.DELIVERY
    usage = await world.store.usage_today(job.guild_id, job.requester_id)
    assert usage.user_today == 1
    dm_channel = discord.dm_channel(discord.alice)
    dm = await world.wait_card(lambda m: m.channel_id == dm_channel.id)
    assert f"#{job.id}" in dm.content and "still counts against your limits" in dm.content
