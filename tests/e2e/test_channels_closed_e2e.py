"""An emptied channel allow-list closes Motionbot everywhere; "all channels" is a choice of its own.

Before issue 18, removing the last channel left an empty list, which meant every channel: the admin
who meant to close the bot opened it everywhere. Now the last removal leaves none (the answer says
so and how to open it again), every entry point refuses, and ``action:all`` opens every channel.
"""

from __future__ import annotations

from tests.doubles.discord.model import Message
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, final_answer

CAT = ("cat.png", png_bytes(width=256, height=256), "image/png")
CLOSED = (
    "Motionbot is switched off in every channel of this server, so nothing was started. "
    "A server admin can choose its channels with /motionbot settings channels."
)
MODAL = 9


async def channels(world: World, options: dict) -> str:
    """The admin runs /motionbot settings channels; return the private answer."""
    handle = await world.discord.slash(world.discord.admin, "motionbot settings channels", options)
    return await final_answer(handle)


async def delivered_card(world: World) -> Message:
    """Alice animates in #general; return the card once its four clips are on it."""
    handle = await world.animate()
    await handle.wait_response()
    return await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)


async def private_answer(handle) -> str:
    """The ephemeral first answer of an interaction."""
    response = await handle.wait_response()
    assert handle.ephemeral and response.type == 4 and response.latency < 3.0
    return str(response.data["content"])


async def test_removing_the_last_channel_closes_every_entry_point(world: World) -> None:
    """#media was the only channel; once removed, no command, menu, form, reaction or button starts a job."""
    discord = world.discord
    card = await delivered_card(world)
    await channels(world, {"action": "add", "channel": discord.media})

    answer = await channels(world, {"action": "remove", "channel": discord.media})

    assert answer == (
        f"<#{discord.media.id}> removed from the list. No channel is left, so Motionbot now works in no "
        "channel of this server. To open it again, run /motionbot settings channels with the action "
        "All channels, or add a channel."
    )
    submits = world.comet.counts["submit"]
    for channel in (discord.general, discord.media):
        slash = await discord.slash(discord.alice, "animate", attachment=CAT, channel=channel)
        assert await private_answer(slash) == CLOSED
    form = await discord.slash(discord.alice, "animate", {}, channel=discord.media)
    assert (await form.wait_response()).type != MODAL
    assert await private_answer(form) == CLOSED
    image = await discord.post_message(discord.alice, discord.media, "look", attachments=[CAT])
    menu = await discord.message_command(discord.alice, "Animate image", image)
    assert await private_answer(menu) == CLOSED
    for custom_id in card.custom_ids[:3]:  # Extend low, Extend high, Extend with a prompt…
        click = await discord.click(discord.alice, card, custom_id)
        assert await private_answer(click) == CLOSED
    await discord.add_reaction(discord.alice, image, "🎬")
    inbox = discord.dm_channel(discord.alice).id
    dm = await world.wait_card(lambda m: m.channel_id == inbox)
    assert CLOSED in dm.content
    assert not [r for r in discord.requests if r.method == "GET" and r.path.endswith(f"/messages/{image.id}")]
    assert world.comet.counts["submit"] == submits and len(await world.store.all_jobs()) == 1


async def test_all_channels_opens_every_channel_again(world: World) -> None:
    """After clearing the list (none), ``action:all`` opens the bot in every channel, and show says so."""
    discord = world.discord
    await channels(world, {"action": "clear"})
    closed = await discord.slash(discord.alice, "animate", attachment=CAT)
    assert await private_answer(closed) == CLOSED
    shown = await discord.slash(discord.admin, "motionbot settings show")
    await shown.wait_response()
    fields = {f["name"]: f["value"] for f in (await shown.wait_original()).embeds[0]["fields"]}
    assert fields["Channels where Motionbot works"] == "No channel (Motionbot is switched off)"
    assert fields["Channels for the reaction trigger"] == "The same as for commands"

    assert await channels(world, {"action": "all"}) == "Motionbot now works in every channel of this server."

    opened = await world.animate(channel=discord.media)
    response = await opened.wait_response()
    assert response.type == 4 and not opened.ephemeral
    job = await world.wait_job(lambda j: j.card_message_id == opened.original_message_id)
    assert job.channel_id == discord.media.id


async def test_removing_a_channel_from_every_channel_changes_nothing(world: World) -> None:
    """With no list (every channel), "remove" explains how to limit the bot and leaves it open."""
    discord = world.discord

    answer = await channels(world, {"action": "remove", "channel": discord.media})

    assert answer == (
        f"Motionbot works in every channel, so there is no list to remove <#{discord.media.id}> from. "
        "To limit it, add the channels where it should work."
    )
    opened = await world.animate(channel=discord.media)
    assert (await opened.wait_response()).type == 4 and not opened.ephemeral
