"""Private results end to end (issue 22, item 1): only the requester sees the card and the clips.

Ephemeral while the interaction token lives, by DM after it; "Post to channel" puts the finished card
in the channel on the requester's word; no other path (``/show`` by a moderator included) shows it.
"""

from __future__ import annotations

import dataclasses

from bot.models import Job
from tests.doubles.discord import Message
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, final_answer


def is_delivered(message: Message) -> bool:
    """The card shows the finished job."""
    return "your video is ready" in card_parts(message).ready


def public_clips(world: World) -> list[Message]:
    """The bot's messages in #general that everyone sees and that carry files."""
    general = world.discord.general
    return [m for m in world.discord.bot_messages(general) if not m.ephemeral and not m.deleted and m.files]


async def private_delivered(world: World) -> tuple[Message, Job]:
    """Run /animate private:true as Alice; return her delivered (ephemeral) card and the job."""
    handle = await world.animate(private=True)
    response = await handle.wait_response()
    assert response.data.get("flags", 0) & 64, "the card is the ephemeral answer"
    card = await world.wait_card(lambda m: m.ephemeral and is_delivered(m))
    job = await world.wait_delivered((await world.wait_job(lambda j: j.private)).id)
    return card, job


async def test_a_private_job_is_delivered_ephemerally_while_the_token_lives(world: World) -> None:
    """The card and its four clips are the ephemeral answer; nothing reaches the channel or a DM."""
    card, job = await private_delivered(world)
    assert card.id == job.card_message_id
    assert [f.filename for f in card.files] == [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]
    assert f"mb:pc:{job.id}" in card.custom_ids  # Post to channel
    assert public_clips(world) == []
    assert world.discord.bot_messages(world.discord.dm_channel(world.discord.alice)) == []


async def test_a_private_job_finished_after_the_token_died_goes_to_the_requester_by_dm(world: World) -> None:
    """The token expired while the job ran: the finished card and clips arrive in Alice's DMs."""
    world.hold_jobs()
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)

    dm = world.discord.dm_channel(world.discord.alice)
    card = await world.wait_card(lambda m: m.channel_id == dm.id and is_delivered(m))
    assert [f.filename for f in card.files] == [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]
    assert f"mb:pc:{job.id}" in card.custom_ids
    delivered = await world.wait_delivered(job.id)
    assert delivered.card_message_id == card.id and delivered.interaction_token is None
    assert public_clips(world) == []


async def test_post_to_channel_posts_the_finished_card_publicly(world: World) -> None:
    """Alice presses Post to channel: the card and clips appear in #general; the job is public now."""
    card, job = await private_delivered(world)
    press = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    assert "is posted in" in await final_answer_of(press)

    [posted] = public_clips(world)
    assert is_delivered(posted) and f"mb:pc:{job.id}" not in posted.custom_ids
    assert [f.filename for f in posted.files] == [f.filename for f in card.files]
    assert [f.data for f in posted.files] == [f.data for f in card.files]
    stored = await world.store.get_job(job.id)
    assert stored is not None and not stored.private and stored.card_message_id == posted.id


async def test_post_to_channel_from_the_dm_card_posts_in_the_jobs_channel(world: World) -> None:
    """The card came by DM (token dead): its button posts the card in the channel of the command."""
    world.hold_jobs()
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    dm = world.discord.dm_channel(world.discord.alice)
    card = await world.wait_card(lambda m: m.channel_id == dm.id and is_delivered(m))
    await world.wait_delivered(job.id)  # the DM card is stored as the job's card

    press = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    assert "is posted in" in await final_answer_of(press)
    [posted] = public_clips(world)
    assert len(posted.files) == 4


async def test_show_never_reposts_a_private_job_not_even_for_a_moderator(world: World) -> None:
    """/show by a moderator: "no such video"; by the requester: an ephemeral copy (test_private_show_e2e)."""
    _, job = await private_delivered(world)
    by_mod = await world.discord.slash(world.discord.mod, "show", {"job": job.id})
    assert f"There is no video #{job.id} in this server" in await final_answer(by_mod)
    by_alice = await world.discord.slash(world.discord.alice, "show", {"job": job.id})
    await by_alice.wait_original(lambda m: not m.loading, timeout=20)
    assert by_alice.ephemeral
    assert public_clips(world) == []


async def test_the_servers_default_makes_animate_private_unless_the_member_says_otherwise(
    world: World,
) -> None:
    """private_default on: /animate without the option is private; private:false is public."""
    await world.store.update_guild_settings(
        world.discord.guild.id, lambda s: dataclasses.replace(s, private_default=True)
    )
    quiet = await world.animate()
    assert (await quiet.wait_response()).data.get("flags", 0) & 64
    loud = await world.animate(world.discord.bob, private=False)
    assert not (await loud.wait_response()).data.get("flags", 0) & 64
    alice, bob = world.discord.alice.id, world.discord.bob.id
    assert (await world.wait_job(lambda j: j.requester_id == alice)).private
    assert not (await world.wait_job(lambda j: j.requester_id == bob)).private


async def final_answer_of(handle: object) -> str:
    """The text of a deferred private answer once it is filled in."""
    original = await handle.wait_original(lambda m: not m.loading)  # type: ignore[attr-defined]
    return str(original.content or "")


async def test_the_servers_default_leaves_the_reaction_trigger_public(world: World) -> None:
    """private_default on: a 🎬 reaction (public itself, no interaction to answer) still posts publicly."""
    await world.store.update_guild_settings(
        world.discord.guild.id, lambda s: dataclasses.replace(s, private_default=True)
    )
    discord = world.discord
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    image = await discord.post_message(discord.bob, discord.general, "look", attachments=[attachment])
    await discord.add_reaction(discord.alice, image, "🎬")
    job = await world.wait_delivered((await world.wait_job(lambda j: j.requester_id == discord.alice.id)).id)
    assert not job.private
    [card] = public_clips(world)
    assert card.id == job.card_message_id
