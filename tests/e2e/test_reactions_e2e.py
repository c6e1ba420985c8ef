"""The reaction trigger end to end: who owns the job, where the card goes, what is ignored, refusals."""

from __future__ import annotations

import logging

from bot.__main__ import run_bot
from bot.cli.parser import EXIT_CONFIG
from bot.models import JobSource, JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import Channel, DiscordDouble, Intent, Message, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, card_text, final_answer, make_world, settings_for

TRIGGER = "🎬"


async def post_image(world: World, channel: Channel | None = None) -> Message:
    """Bob posts a PNG in ``channel`` (#general by default)."""
    discord = world.discord
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    return await discord.post_message(
        discord.bob, channel or discord.general, "look", attachments=[attachment]
    )


async def dm_to(world: World, user: User) -> Message:
    """Wait for the bot's first direct message to ``user``."""
    dm_channel = world.discord.dm_channel(user)
    return await world.wait_card(lambda m: m.channel_id == dm_channel.id)


async def react_on_text_and_wait_dm(world: World, channel: Channel, emoji: str = TRIGGER) -> Message:
    """Alice triggers on a message with no image and gets the DM: every earlier reaction was handled."""
    discord = world.discord
    text_only = await discord.post_message(discord.bob, channel, "no picture here")
    await discord.add_reaction(discord.alice, text_only, emoji)
    return await dm_to(world, discord.alice)


async def assert_ignored(world: World, target: Message) -> None:
    """The reaction on ``target`` reached no provider, no store, and posted nothing in a channel."""
    discord = world.discord
    assert world.comet.counts["submit"] == 0
    assert await world.store.all_jobs() == []
    fetched = [r for r in discord.requests if r.method == "GET" and r.path.endswith(f"/messages/{target.id}")]
    assert fetched == []
    assert public_bot_messages(world) == []


def public_bot_messages(world: World) -> list[Message]:
    """What the bot posted for everyone to see in server channels."""
    return [m for m in world.discord.bot_messages() if m.guild_id is not None and not m.ephemeral]


async def change_setting(world: World, setting: str, value: str) -> None:
    """The admin changes one server setting through /motionbot settings set."""
    handle = await world.discord.slash(
        world.discord.admin, "motionbot settings set", {"setting": setting, "value": value}
    )
    assert (await handle.wait_response()).accepted
    await final_answer(handle)  # the change is stored once its answer is final


def has_clips(message: Message) -> bool:
    """The card carries the four delivered clips."""
    return len(message.files) == 4


async def test_reaction_by_a_member_animates_another_members_image_for_the_reacting_member(world):
    """🎬 on Bob's PNG by Alice: Alice's reaction job, a card replying to the image, clips delivered."""
    discord = world.discord
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)

    card = await world.wait_card(has_clips)
    assert card.reference is not None and card.reference["message_id"] == str(image.id)
    assert card.channel_id == discord.general.id
    assert f"<@{discord.alice.id}>" in card_parts(card).ready and f"<@{discord.bob.id}>" not in card_text(
        card
    )
    assert all(file.filename.endswith(".mp4") for file in card.files)
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    assert job.requester_id == discord.alice.id
    assert job.source is JobSource.REACTION
    assert job.source_message_id == image.id and job.card_message_id == card.id
    assert job.locale == "en"
    assert world.comet.submissions[-1]["state"] == f"motionbot:{job.id}"


async def test_reaction_card_speaks_the_servers_preferred_locale(world):
    """A reaction has no client locale: the card and the job use the server's (Vietnamese) locale."""
    await world.discord.set_preferred_locale("vi")
    image = await post_image(world)
    await world.discord.add_reaction(world.discord.alice, image, TRIGGER)
    card = await world.wait_card(has_clips)
    field_names = list(card_parts(card).fields)
    assert "Người yêu cầu" in field_names and "Requested by" not in field_names
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    assert job.locale == "vi"


async def test_another_emoji_does_nothing(world):
    """👍 on an image: no fetch, no provider call, no job, no message."""
    image = await post_image(world)
    await world.discord.add_reaction(world.discord.alice, image, "👍")
    await react_on_text_and_wait_dm(world, world.discord.general)
    await assert_ignored(world, image)


async def test_reaction_on_a_message_without_an_image_is_explained_by_dm(world):
    """The member who reacted is told privately what to react on; nothing is posted in the channel."""
    dm = await react_on_text_and_wait_dm(world, world.discord.general)
    assert TRIGGER in dm.content and f"<#{world.discord.general.id}>" in dm.content
    assert "no image" in dm.content
    assert world.comet.counts["submit"] == 0 and await world.store.all_jobs() == []
    assert public_bot_messages(world) == []


async def test_closed_dms_get_a_short_reply_in_the_channel_that_mentions_the_member(world):
    """Alice's DMs are closed (403/50007): the explanation is a channel message mentioning her."""
    discord = world.discord
    discord.alice.dms_open = False
    text_only = await discord.post_message(discord.bob, discord.general, "no picture here")
    await discord.add_reaction(discord.alice, text_only, TRIGGER)

    notice = await world.wait_card(lambda m: m.channel_id == discord.general.id)
    assert notice.content.startswith(f"<@{discord.alice.id}>") and "no image" in notice.content
    refused = [
        r for r in discord.requests if r.status == 403 and r.route == "POST /channels/{channel_id}/messages"
    ]
    assert len(refused) == 1  # the DM attempt
    assert not discord.dm_channel(discord.alice).messages


async def test_reactions_by_the_bot_itself_and_by_other_bots_are_ignored(world):
    """Only humans trigger: the bot's own 🎬 and another bot's 🎬 start nothing."""
    discord = world.discord
    other_bot = await discord.add_user("helper-bot")
    other_bot.bot = True
    image = await post_image(world)
    await discord.add_reaction(discord.bot_user, image, TRIGGER)
    await discord.add_reaction(other_bot, image, TRIGGER)
    await react_on_text_and_wait_dm(world, discord.general)
    await assert_ignored(world, image)


async def test_server_can_turn_the_reaction_trigger_off(world):
    """With reactions_enabled off for the server, 🎬 is ignored, while /animate still works."""
    await change_setting(world, "reactions_enabled", "off")
    image = await post_image(world)
    await world.discord.add_reaction(world.discord.alice, image, TRIGGER)
    # /animate after the reaction: its job is stored well after the reaction event was handled.
    handle = await world.animate()
    await handle.wait_response()
    await world.wait_job(lambda j: j.source is JobSource.SLASH)
    jobs = await world.store.all_jobs()
    assert [job.source for job in jobs] == [JobSource.SLASH]
    assert not [r for r in world.discord.requests if r.path.endswith(f"/messages/{image.id}")]


async def test_server_emoji_replaces_the_default_trigger(world):
    """With 🎞️ set for the server, 🎬 is ignored and 🎞️ starts the job."""
    discord = world.discord
    await change_setting(world, "reaction_emoji", "🎞️")
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await react_on_text_and_wait_dm(world, discord.general, emoji="🎞️")
    await assert_ignored(world, image)

    await discord.add_reaction(discord.alice, image, "🎞️")
    card = await world.wait_card(has_clips)
    assert card.reference is not None and card.reference["message_id"] == str(image.id)


async def test_reaction_channels_limit_where_the_trigger_works(world):
    """With #media as the only reaction channel, 🎬 in #general is ignored and 🎬 in #media works."""
    discord = world.discord
    handle = await discord.slash(
        discord.admin,
        "motionbot settings channels",
        {"action": "add", "scope": "reactions", "channel": discord.media},
    )
    assert (await handle.wait_response()).accepted
    await final_answer(handle)
    ignored = await post_image(world, discord.general)
    await discord.add_reaction(discord.alice, ignored, TRIGGER)
    await react_on_text_and_wait_dm(world, discord.media)
    await assert_ignored(world, ignored)

    accepted = await post_image(world, discord.media)
    await discord.add_reaction(discord.alice, accepted, TRIGGER)
    card = await world.wait_card(has_clips)
    assert card.channel_id == discord.media.id


async def test_bot_refuses_to_start_without_the_message_content_intent(tmp_path, caplog):
    """Portal toggle off + REACTIONS_ENABLED=true: exit code 2 and one CRITICAL line saying what to do."""
    async with (
        DiscordDouble(message_content=False) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path, reactions_enabled=True)
        with caplog.at_level(logging.INFO):
            code = await run_bot(settings, install_signals=False)
        assert code == EXIT_CONFIG == 2
        assert discord.hub.connections[-1].close_code == 4014
    critical = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert len(critical) == 1
    line = critical[0].getMessage()
    assert "Message Content" in line and "developer portal" in line and "REACTIONS_ENABLED=false" in line


async def test_without_reactions_the_bot_starts_without_asking_for_the_intent(tmp_path):
    """REACTIONS_ENABLED=false with the toggle off: the bot connects, never asks for message content."""
    async with make_world(tmp_path, message_content=False, reactions_enabled=False) as world:
        assert world.discord.gateway_connected
        assert world.discord.hub.intents & Intent.MESSAGE_CONTENT == 0
        assert all(record.close_code != 4014 for record in world.discord.hub.connections)
        handle = await world.animate()
        assert (await handle.wait_response()).accepted
        await world.wait_card(has_clips)
