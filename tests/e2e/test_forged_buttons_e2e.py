"""Forged Extend ids: a button naming a job of another server, channel or card is refused.

Extend ids (``mb:x:<job>:<clip>:<l|h>``) are guessable. A click must never spend another server's
quota, nor post its prompt and clips somewhere else, whatever the clicker's permissions.
"""

from __future__ import annotations

import asyncio

from bot.models import Job
from tests.doubles.discord import Perm
from tests.doubles.discord.model import Channel, Guild, Message
from tests.e2e.harness import World

NOT_HERE = (
    "This button doesn't belong to a video job in this channel, so it does nothing here. "
    "Start a new video with /animate."
)


def has_clips(message: Message) -> bool:
    return len(message.files) == 4


async def delivered_job(world: World) -> tuple[Job, Message]:
    """Run /animate as alice in #general and return the delivered job and its card."""
    handle = await world.animate(prompt="a secret prompt of server A")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    job_id = int(card.custom_ids[0].split(":")[2])
    return await world.wait_delivered(job_id), card


IS_COMPONENTS_V2 = 1 << 15


def forged_card(world: World, channel: Channel, custom_id: str) -> Message:
    """Put a bot message carrying one Extend button with ``custom_id`` in ``channel``, as a tampering
    client would present it (the double only lets users click components that exist)."""
    discord = world.discord
    button = {"type": 2, "style": 2, "label": "Extend", "custom_id": custom_id, "id": 2}
    message = Message(
        id=discord.state.ids.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author=discord.bot_user,
        components=[{"type": 1, "id": 1, "components": [button]}],
    )
    return discord.state.add_message(channel, message)


async def joined_guild(world: World, name: str) -> Guild:
    """Have the bot join a second server and wait until it knows it."""
    guild = await world.discord.add_guild(name)
    async with asyncio.timeout(5):
        while world.bot.get_guild(guild.id) is None:
            await asyncio.sleep(0.02)
    return guild


async def refused_without_effect(world: World, click, parent: Job) -> None:
    """The click got the private refusal and nothing was stored, charged or sent to the provider."""
    response = await click.wait_response()
    assert click.ephemeral and response.data["content"] == NOT_HERE
    assert parent.prompt not in response.data["content"]


async def test_extend_id_of_another_servers_job_is_refused(world: World) -> None:
    """A moderator of server B forging an id of server A's job: refused, nothing made or charged."""
    discord = world.discord
    parent, _ = await delivered_job(world)
    other = await joined_guild(world, "Other Server")
    elsewhere = next(iter(other.channels.values()))
    stranger = await discord.add_user("stranger", permissions=Perm.MANAGE_MESSAGES, guild=other)
    usage_a = await world.store.usage_today(discord.guild.id, discord.alice.id)
    requests = sum(world.comet.counts.values())
    custom_id = f"mb:x:{parent.id}:0:h"

    click = await discord.click(stranger, forged_card(world, elsewhere, custom_id), custom_id)

    await refused_without_effect(world, click, parent)
    assert [job.id for job in await world.store.all_jobs()] == [parent.id]
    assert sum(world.comet.counts.values()) == requests
    assert await world.store.usage_today(discord.guild.id, discord.alice.id) == usage_a
    assert (await world.store.usage_today(other.id, stranger.id)).guild_today == 0
    # No card was posted there (cards are Components V2 messages; the forged one is classic).
    cards = [m for m in discord.bot_messages(elsewhere) if m.flags & IS_COMPONENTS_V2 or m.embeds]
    assert not [m for m in cards if not m.ephemeral]


async def test_extend_id_of_a_job_in_another_channel_is_refused(world: World) -> None:
    """A moderator clicking, in #media, a forged id of a job that lives in #general is refused."""
    discord = world.discord
    parent, _ = await delivered_job(world)
    requests = sum(world.comet.counts.values())
    custom_id = f"mb:x:{parent.id}:1:l"

    click = await discord.click(discord.mod, forged_card(world, discord.media, custom_id), custom_id)

    await refused_without_effect(world, click, parent)
    assert [job.id for job in await world.store.all_jobs()] == [parent.id]
    assert sum(world.comet.counts.values()) == requests


async def test_extend_id_on_another_card_of_the_same_channel_is_refused(world: World) -> None:
    """A button of one card rewritten to name another job of the same channel is refused."""
    discord = world.discord
    first, _ = await delivered_job(world)
    second, card = await delivered_job(world)
    original, forged = f"mb:x:{second.id}:0:l", f"mb:x:{first.id}:0:l"
    component = card.find_component(original)
    assert component is not None
    component["custom_id"] = forged
    requests = sum(world.comet.counts.values())

    click = await discord.click(discord.alice, card, forged)

    await refused_without_effect(world, click, first)
    assert {job.id for job in await world.store.all_jobs()} == {first.id, second.id}
    assert sum(world.comet.counts.values()) == requests
