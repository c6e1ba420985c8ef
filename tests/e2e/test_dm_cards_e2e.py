"""A private card delivered by DM keeps working (issue 22): its buttons act for the requester alone.

Once a private job's interaction token is gone its card reaches the requester by DM. Extend, Retry and
Cancel work there as on the server card: a job they start belongs to the parent's server and channel,
under that server's rules (membership, ``/animate``'s permissions, the channel allow-list, quotas),
and stays private. A click in a DM counts only from the requester, on the job's recorded card.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.models import Job, JobStatus
from tests.doubles.discord.model import Channel, Message, User
from tests.e2e.harness import World, card_parts
from tests.e2e.test_forged_buttons_e2e import NOT_HERE, forged_card
from tests.e2e.test_user_install_e2e import (
    bot_token_calls_to,
    delivered_by_dm_after_the_token,
    installed_world,
)

EPHEMERAL = 64


def extend_id(job_id: int, clip: int = 0, motion: str = "h") -> str:
    return f"mb:x:{job_id}:{clip}:{motion}"


def is_delivered(message: Message) -> bool:
    return "your video is ready" in card_parts(message).ready


def public_clips(world: World) -> list[Message]:
    """The bot's messages in #general that everyone sees and that carry files."""
    general = world.discord.general
    return [m for m in world.discord.bot_messages(general) if not m.ephemeral and not m.deleted and m.files]


async def card_by_dm(world: World, user: User | None = None, *, fail: bool = False) -> tuple[Job, Message]:
    """Run /animate private:true as ``user`` (alice); its token dies while the job runs, so the finished
    (or failed, with ``fail``) card arrives by DM. Return the job, as stored with that card, and the card."""
    discord = world.discord
    user = user or discord.alice
    world.hold_jobs()
    handle = await world.animate(user, private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.requester_id == user.id and j.provider_task_id is not None)
    discord.expire_interaction(handle)
    if fail:
        world.comet.fail(str(job.provider_task_id))
        final = await world.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)
    else:
        world.release(job)
        final = await world.wait_delivered(job.id)
    dm = discord.dm_channel(user)
    card = await world.wait_card(lambda m: m.channel_id == dm.id and m.id == final.card_message_id)
    return final, card


async def answer_text(click: object) -> str:
    response = await click.wait_response()  # type: ignore[attr-defined]
    return str(response.data.get("content", ""))


async def test_extend_on_the_dm_card_starts_a_private_extension_in_the_jobs_channel(world: World) -> None:
    """Alice extends from her DM card: a private child of #general, its card her DM answer, delivered."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    world.comet.default_plan = dataclasses.replace(world.comet.default_plan, duration=0.0)

    click = await discord.click(discord.alice, card, extend_id(parent.id))
    response = await click.wait_response()

    assert response.type == 4 and response.data.get("flags", 0) & EPHEMERAL, "the child's card, privately"
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert (child.guild_id, child.channel_id) == (discord.guild.id, discord.general.id)
    assert child.private and child.requester_id == discord.alice.id
    assert child.card_message_id == click.original_message_id
    await world.wait_delivered(child.id)
    assert world.comet.submissions[-1]["action"] == "extend"
    assert public_clips(world) == []


async def test_retry_on_the_dm_card_starts_a_private_job_in_the_jobs_channel(world: World) -> None:
    """The job failed after its token died: Retry on the DM card starts it again, private, in #general."""
    discord = world.discord
    failed, card = await card_by_dm(world, fail=True)
    assert failed.status is JobStatus.FAILED and f"mb:r:{failed.id}" in card.custom_ids
    world.comet.default_plan = dataclasses.replace(world.comet.default_plan, duration=0.0)

    click = await discord.click(discord.alice, card, f"mb:r:{failed.id}")
    response = await click.wait_response()

    assert response.type == 4 and response.data.get("flags", 0) & EPHEMERAL
    retried = await world.wait_job(lambda j: j.id != failed.id)
    assert (retried.guild_id, retried.channel_id) == (discord.guild.id, discord.general.id)
    assert retried.private and retried.card_message_id == click.original_message_id
    await world.wait_delivered(retried.id)
    assert public_clips(world) == []


def dm_of(world: World, user: User) -> Channel:
    return world.discord.dm_channel(user)


async def test_another_users_forged_click_in_their_own_dm_is_refused(world: World) -> None:
    """Bob forges Extend of Alice's private job on a bot message in his own DM: refused, nothing made;
    Alice's own click on her DM card works."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    custom_id = extend_id(parent.id)
    submits = world.comet.counts["submit"]

    in_bobs_dm = forged_card(world, dm_of(world, discord.bob), custom_id)
    forged = await discord.click(discord.bob, in_bobs_dm, custom_id)
    assert await answer_text(forged) == NOT_HERE and forged.ephemeral
    assert [j.id for j in await world.store.all_jobs()] == [parent.id]
    assert world.comet.counts["submit"] == submits

    own = await discord.click(discord.alice, card, custom_id)
    assert (await own.wait_response()).type == 4
    await world.wait_job(lambda j: j.parent_job_id == parent.id)


async def test_a_click_on_a_dm_message_that_is_not_the_card_is_refused(world: World) -> None:
    """Alice's own DM, a bot message other than the recorded card, carrying her job's Extend id:
    refused (message ids are global; only the card counts); the card itself works."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    custom_id = extend_id(parent.id)

    other = forged_card(world, dm_of(world, discord.alice), custom_id)
    refused = await discord.click(discord.alice, other, custom_id)
    assert await answer_text(refused) == NOT_HERE
    assert [j.id for j in await world.store.all_jobs()] == [parent.id]

    own = await discord.click(discord.alice, card, custom_id)
    assert (await own.wait_response()).type == 4
    await world.wait_job(lambda j: j.parent_job_id == parent.id)


async def test_extend_with_a_prompt_from_the_dm_card(world: World) -> None:
    """The modal opens from the DM card; its submit starts a private extension in #general."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    opened = await discord.click(discord.alice, card, f"mb:p:{parent.id}:1")
    assert (await opened.wait_response()).type == 9, "the modal"

    submitted = await discord.submit_modal(
        discord.alice, opened, {"prompt": "a slow zoom", "motion": ["low"]}
    )
    response = await submitted.wait_response()

    assert response.type == 4 and submitted.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert (child.channel_id, child.clip_index, child.prompt) == (discord.general.id, 1, "a slow zoom")
    assert child.private and child.card_message_id == submitted.original_message_id


async def test_the_child_card_in_the_dm_works_too(world: World) -> None:
    """The extension's card (the DM click's private answer) carries working buttons in turn."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    world.comet.default_plan = dataclasses.replace(world.comet.default_plan, duration=0.0)
    click = await discord.click(discord.alice, card, extend_id(parent.id))
    await click.wait_response()
    child = await world.wait_delivered((await world.wait_job(lambda j: j.parent_job_id == parent.id)).id)
    child_card = await click.wait_original(is_delivered)

    again = await discord.click(discord.alice, child_card, extend_id(child.id, 2, "l"))
    assert (await again.wait_response()).type == 4
    grandchild = await world.wait_job(lambda j: j.parent_job_id == child.id)
    assert grandchild.channel_id == discord.general.id and grandchild.private


async def test_a_personal_install_jobs_dm_card_extends_in_its_own_place(tmp_path: Path) -> None:
    """A job where the bot is no member (webhook only) finished by DM: Extend there makes a child of
    the same place (no server, no server rules), answered in the DM; Bob's forged click is refused."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        discord = world.discord
        card, parent = await delivered_by_dm_after_the_token(world, lounge)
        assert card.channel_id == dm_of(world, discord.alice).id

        custom_id = extend_id(parent.id)
        in_bobs_dm = forged_card(world, dm_of(world, discord.bob), custom_id)
        assert await answer_text(await discord.click(discord.bob, in_bobs_dm, custom_id)) == NOT_HERE

        click = await discord.click(discord.alice, card, custom_id)
        assert (await click.wait_response()).type == 4
        child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
        assert child.webhook_only and (child.guild_id, child.channel_id) == (None, lounge.id)
        assert child.card_message_id == click.original_message_id
        assert bot_token_calls_to(world, lounge) == []


async def test_cancel_and_cancel_anyway_on_a_card_in_the_dm(world: World) -> None:
    """An extension started from the DM card runs at the provider: Cancel on its card in the DM asks
    privately, and "Cancel anyway" there cancels it (still charged); Bob's forged one is refused."""
    discord = world.discord
    parent, card = await card_by_dm(world)  # new jobs stay "sent, waiting" at the provider
    click = await discord.click(discord.alice, card, extend_id(parent.id))
    await click.wait_response()
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.provider_task_id is not None)
    child_card = await click.wait_original(lambda m: f"mb:c:{child.id}" in m.custom_ids)

    asked = await discord.click(discord.alice, child_card, f"mb:c:{child.id}")
    assert (await asked.wait_response()).type == 4 and asked.ephemeral
    question = asked.original_message
    assert question is not None and f"mb:cc:{child.id}" in question.custom_ids

    # Bob forges "Cancel anyway" of Alice's job on a private bot message in his own DM: refused there.
    forged = forged_card(world, dm_of(world, discord.bob), f"mb:cc:{child.id}")
    forged.flags |= EPHEMERAL
    assert await answer_text(await discord.click(discord.bob, forged, f"mb:cc:{child.id}")) == NOT_HERE
    assert (await world.store.get_job(child.id)).status is child.status

    confirmed = await discord.click(discord.alice, question, f"mb:cc:{child.id}")
    assert (await confirmed.wait_response()).type == 7
    cancelled = await world.wait_job(lambda j: j.id == child.id and j.status is JobStatus.CANCELLED)
    assert cancelled.requester_id == discord.alice.id
