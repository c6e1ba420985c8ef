"""One job per member, source message and trigger: a repeated reaction or menu use is not billed twice."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.models import JobSource
from tests.doubles.discord import Message
from tests.doubles.media import png_bytes
from tests.e2e.harness import World

TRIGGER = "🎬"
COMMAND = "Animate image"


async def post_image(world: World) -> Message:
    """Bob posts a PNG in #general."""
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    return await world.discord.post_message(
        world.discord.bob, world.discord.general, "look", attachments=[attachment]
    )


async def logged(caplog: pytest.LogCaptureFixture, text: str, count: int = 1, timeout: float = 10.0) -> None:
    """Wait until ``text`` appears in ``count`` log records (the bot logs the duplicates it ignores)."""
    async with asyncio.timeout(timeout):
        while sum(text in record.getMessage() for record in caplog.records) < count:
            await asyncio.sleep(0.02)


def cards(world: World) -> list[Message]:
    """Every message the bot posted in #general (deleted ones included)."""
    return world.discord.bot_messages(world.discord.general)


def dms_to_alice(world: World) -> list[Message]:
    """The bot's direct messages to alice."""
    return world.discord.bot_messages(world.discord.dm_channel(world.discord.alice))


async def test_removing_and_re_adding_the_reaction_makes_no_second_job(world, caplog):
    caplog.set_level(logging.INFO, logger="cogs.triggers._reactions")
    discord = world.discord
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    job = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    await world.wait_delivered(job.id)

    await discord.remove_reaction(discord.alice, image, TRIGGER)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await logged(caplog, "ignored a duplicate reaction")

    assert [j.id for j in await world.store.all_jobs()] == [job.id]
    assert world.comet.counts["submit"] == 1
    assert len(cards(world)) == 1
    assert dms_to_alice(world) == []  # silently ignored: the card already answers


async def test_the_gateway_delivering_one_reaction_twice_makes_one_job_and_one_card(world, caplog):
    caplog.set_level(logging.INFO, logger="cogs.triggers._reactions")
    discord = world.discord
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await discord.events.reaction(image, discord.alice, TRIGGER, added=True)  # the same event again

    job = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    await world.wait_delivered(job.id)
    await logged(caplog, "ignored a")  # a repeated (in flight) or duplicate (stored) reaction

    assert [j.id for j in await world.store.all_jobs()] == [job.id]
    assert world.comet.counts["submit"] == 1
    assert len(cards(world)) == 1
    assert dms_to_alice(world) == []


async def test_two_members_reacting_on_the_same_image_get_a_job_each(world):
    discord = world.discord
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await discord.add_reaction(discord.bob, image, TRIGGER)

    first = await world.wait_job(lambda j: j.requester_id == discord.alice.id)
    second = await world.wait_job(lambda j: j.requester_id == discord.bob.id)
    await world.wait_delivered(first.id)
    await world.wait_delivered(second.id)

    assert world.comet.counts["submit"] == 2
    assert {first.source_message_id, second.source_message_id} == {image.id}


async def test_the_context_menu_used_twice_refuses_the_second_naming_the_first_job(world):
    discord = world.discord
    image = await post_image(world)
    first = await discord.message_command(discord.alice, COMMAND, image)
    assert (await first.wait_response()).type == 4 and not first.ephemeral
    job = await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)

    second = await discord.message_command(discord.alice, COMMAND, image)
    response = await second.wait_response()

    assert response.latency < 3.0 and second.ephemeral
    assert f"#{job.id}" in response.data["content"]
    assert "already started" in response.data["content"]
    await world.wait_delivered(job.id)
    assert [j.id for j in await world.store.all_jobs()] == [job.id]
    assert world.comet.counts["submit"] == 1


async def test_a_reaction_after_a_context_menu_job_is_another_trigger_and_runs(world):
    """Same member and message but another trigger: not a duplicate."""
    discord = world.discord
    image = await post_image(world)
    await (await discord.message_command(discord.alice, COMMAND, image)).wait_response()
    await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)
    await discord.add_reaction(discord.alice, image, TRIGGER)

    reaction_job = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    await world.wait_delivered(reaction_job.id)
    assert len(await world.store.all_jobs()) == 2
