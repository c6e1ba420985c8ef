"""Consent attacked (issue 22 review): the poster's answer stands, and asking is not a way to ping them.

Each request mentions the poster. A requester who was denied could ask again at once (remove the 🎬,
add it again), and one who wanted to could ask about every image the poster ever posted: a ping each
time. Here a Deny of an image stands for that requester, and a requester waits for one answer from a
poster before asking them again.
"""

from __future__ import annotations

from tests.doubles.discord import Message
from tests.e2e.harness import World, final_answer
from tests.e2e.test_consent_e2e import (
    COMMAND,
    TRIGGER,
    answer_ids,
    assert_nothing_spent,
    bobs_image,
    dm_containing,
    set_consent,
    wait_prompt,
)


def prompts_to_bob(world: World) -> list[Message]:
    """The requests for consent the bot posted under Bob's images (each one pinged him)."""
    bob = f"<@{world.discord.bob.id}>"
    general = world.discord.bot_messages(world.discord.general)
    return [m for m in general if m.reference is not None and (m.content or "").startswith(bob)]


async def alice_asks(world: World, image: Message) -> Message:
    """Alice runs Animate image on Bob's ``image``; return the request for consent posted under it."""
    await final_answer(await world.discord.message_command(world.discord.alice, COMMAND, image))
    return await wait_prompt(world, image)


async def bob_denies(world: World, prompt: Message) -> None:
    """Bob presses Deny under ``prompt``; Alice is told by DM."""
    _, deny = answer_ids(prompt)
    await (await world.discord.click(world.discord.bob, prompt, deny)).wait_response()
    await dm_containing(world, world.discord.alice, "declined your request")


async def test_a_deny_stands_the_same_requester_cannot_ask_again_about_that_image(world: World) -> None:
    """Bob denied Alice; her second ask (command, then reaction) is refused without pinging Bob."""
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await bob_denies(world, await alice_asks(world, image))

    again = await discord.message_command(discord.alice, COMMAND, image)
    assert "already declined your request" in await final_answer(again)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await dm_containing(world, discord.alice, "already declined")
    assert len(prompts_to_bob(world)) == 1
    await assert_nothing_spent(world)


async def test_a_requester_waits_for_one_answer_before_asking_the_same_poster_again(world: World) -> None:
    """Alice asked about one of Bob's images; asking about another while he has not answered is refused."""
    discord = world.discord
    await set_consent(world, "ask")
    first, second = await bobs_image(world), await bobs_image(world)
    await alice_asks(world, first)

    again = await discord.message_command(discord.alice, COMMAND, second)
    assert "still waiting for the member who posted this image to answer" in await final_answer(again)
    assert len(prompts_to_bob(world)) == 1
    await assert_nothing_spent(world)


async def test_once_the_poster_answered_the_requester_may_ask_about_another_image(world: World) -> None:
    """The Deny is about its image: after it, Alice may ask Bob about a different one."""
    discord = world.discord
    await set_consent(world, "ask")
    first, second = await bobs_image(world), await bobs_image(world)
    await bob_denies(world, await alice_asks(world, first))

    asked = await discord.message_command(discord.alice, COMMAND, second)
    assert f"I asked <@{discord.bob.id}>" in await final_answer(asked)
    await wait_prompt(world, second)
    assert len(prompts_to_bob(world)) == 2


async def test_the_notice_in_the_channel_pings_only_the_requester(world: World) -> None:
    """Alice's DMs are closed, so Bob's Deny is told to her in the channel: Bob is named, not pinged again."""
    discord = world.discord
    discord.alice.dms_open = False
    await set_consent(world, "ask")
    image = await bobs_image(world)
    prompt = await alice_asks(world, image)
    _, deny = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, deny)).wait_response()

    notice = await world.wait_card(
        lambda m: m.channel_id == discord.general.id and "declined your request" in (m.content or "")
    )
    assert f"<@{discord.bob.id}>" in (notice.content or "")
    assert [user.id for user in notice.mentions] == [discord.alice.id]
