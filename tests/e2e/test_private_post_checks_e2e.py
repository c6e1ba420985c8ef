""" "Post to channel" attacked (issue 22 review): what may never reach the channel through it.

The button posts a private job's clips publicly on its requester's word. A job someone deleted
stays deleted, and the requester speaks for themselves only where they could post themselves: a
member who left the server or may no longer send messages in the channel posts nothing through
the bot.
"""

from __future__ import annotations

from bot.models import Job
from tests.doubles.discord import Message
from tests.doubles.discord.model import Perm
from tests.e2e.harness import World, final_answer
from tests.e2e.test_forged_buttons_e2e import forged_card
from tests.e2e.test_private_e2e import final_answer_of, is_delivered, private_delivered, public_clips


async def delivered_by_dm(world: World) -> tuple[Message, Job]:
    """Alice's private job outlives its token: return the card that came by DM, and the job."""
    world.hold_jobs()
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    dm = world.discord.dm_channel(world.discord.alice)
    card = await world.wait_card(lambda m: m.channel_id == dm.id and is_delivered(m))
    return card, await world.wait_delivered(job.id)


async def test_post_to_channel_refuses_a_job_a_moderator_deleted(world: World) -> None:
    """A moderator deleted the private job; the requester's card still shows the button: nothing is posted.

    The delete came after the interaction's token died, so the ephemeral card could not be removed
    (only Alice may dismiss it now) and its Post to channel button is still there to press.
    """
    handle = await world.animate(private=True)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.ephemeral and is_delivered(m))
    job = await world.wait_delivered((await world.wait_job(lambda j: j.private)).id)
    world.discord.expire_interaction(handle)
    deleted = await world.discord.slash(world.discord.mod, "delete", {"job": job.id})
    assert "is deleted" in await final_answer(deleted)

    press = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    assert f"Video #{job.id} was deleted" in await final_answer(press)
    assert public_clips(world) == []
    stored = await world.store.get_job(job.id)
    assert stored is not None and stored.private and stored.deleted


async def test_post_to_channel_refuses_a_requester_who_may_no_longer_send_there(world: World) -> None:
    """Alice lost Send Messages in #general: the bot does not post her clips there for her."""
    card, job = await private_delivered(world)
    discord = world.discord
    await discord.set_channel_permissions(discord.general, discord.alice, deny=Perm.SEND_MESSAGES)

    press = await discord.click(discord.alice, card, f"mb:pc:{job.id}")
    assert "can no longer post in" in await final_answer(press)
    assert public_clips(world) == []
    stored = await world.store.get_job(job.id)
    assert stored is not None and stored.private


async def test_post_to_channel_refuses_a_requester_who_left_the_server(world: World) -> None:
    """Alice left (or was kicked) after her private job came by DM: its button posts nothing."""
    card, job = await delivered_by_dm(world)
    # No GUILD_MEMBER_REMOVE reaches the bot (it has no members intent): Discord just no longer lists her.
    del world.discord.guild.members[world.discord.alice.id]

    press = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    assert "can no longer post in" in await final_answer(press)
    assert public_clips(world) == []


async def test_post_to_channel_still_posts_for_a_requester_allowed_there(world: World) -> None:
    """The checks cost the requester nothing where they may post: the card goes to #general."""
    card, job = await private_delivered(world)
    press = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    assert "is posted in" in await final_answer_of(press)
    [posted] = public_clips(world)
    assert len(posted.files) == 4


async def test_a_double_press_posts_the_card_once(world: World) -> None:
    """Two presses close together (a double click, a lagging client): one post; the other is told why."""
    card, job = await private_delivered(world)
    first = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    second = await world.discord.click(world.discord.alice, card, f"mb:pc:{job.id}")
    answers = sorted([await final_answer(first), await final_answer(second)])
    assert len(public_clips(world)) == 1, answers
    assert any("being posted right now" in answer or "already posted" in answer for answer in answers)


async def test_no_forged_button_reaches_a_private_job_from_the_channel(world: World) -> None:
    """A moderator (or Alice) pressing the private job's ids on another message in its channel:
    Extend, Extend with a prompt, Post missing clips, Post to channel all refused; nothing public, no job."""
    _, job = await private_delivered(world)
    discord = world.discord
    ids = [f"mb:x:{job.id}:0:h", f"mb:p:{job.id}:0", f"mb:m:{job.id}", f"mb:pc:{job.id}"]
    for presser in (discord.mod, discord.alice):
        for custom_id in ids:
            press = await discord.click(presser, forged_card(world, discord.general, custom_id), custom_id)
            answer = await final_answer(press)
            assert press.ephemeral and "doesn't belong to" in answer, (custom_id, answer)
    assert public_clips(world) == []
    assert [j.id for j in await world.store.all_jobs()] == [job.id]
    assert world.comet.counts["submit"] == 1
