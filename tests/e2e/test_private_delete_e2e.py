"""Deleting a private or personal job end to end (issue 22, round 2): what its requester was shown goes.

A private job's card and clips are ephemeral messages while the interaction's token lives and DMs
after it; a job of a user install where the bot is no member lives on the interaction's webhook.
Deleting removes each of them where Discord allows it, says how many only the member can dismiss
now, and ``/delete`` (and 🗑 on a DM card) works outside servers for the job's requester alone:
to anyone else, from there, the job does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from bot.models import JobStatus
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import Message
from tests.doubles.discord.installs import CommandNotAvailableError
from tests.doubles.discord.model import Perm
from tests.e2e.harness import World, card_parts, make_world
from tests.e2e.test_delete_e2e import DONE, by_button, by_command, private_answer

MIB = 1024 * 1024
STRANDED_ONE = (
    "1 of its messages stays where the command was used: Discord lets me remove such messages only "
    "in the first 15 minutes."
)
STRANDED_VI = "1 tin nhắn của nó vẫn còn ở nơi đã dùng lệnh"
NOT_YOURS = "You have no video #{job_id} to delete."
NOT_IN_SERVER = "There is no video #{job_id} in this server."


def is_delivered(message: Message) -> bool:
    return "your video is ready" in card_parts(message).ready


def clip_files(messages: Iterable[Message]) -> list[str]:
    return sorted(f.filename for m in messages for f in m.files)


def all_gone(world: World, messages: Iterable[Message]) -> bool:
    return all(world.discord.state.messages[m.id].deleted for m in messages)


async def split_clips(world: World, *, held: bool = False) -> None:
    """Four 7 MiB clips: three fit in one message, the fourth comes in a second one.

    ``held``: the job waits at the provider until ``world.release``.
    """
    held_plan = TaskPlan(duration=60, initial_fraction=0.5, clip_min_bytes=7 * MIB)
    world.comet.default_plan = held_plan if held else TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)


async def test_a_private_job_deleted_while_the_token_lives_loses_its_ephemeral_card_and_clip_follow_up(
    world: World,
) -> None:
    """Alice's private card (3 clips) and its ephemeral follow-up (clip 4) both go; nothing is left."""
    await split_clips(world)
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_delivered((await world.wait_job(lambda j: j.private)).id, timeout=20)
    card = world.discord.state.messages[job.card_message_id]
    [follow_up] = [m for m in handle.followups if m.files]
    assert card.ephemeral and follow_up.ephemeral
    assert clip_files([card, follow_up]) == [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]

    assert await by_button(world, world.discord.alice, card, job) == DONE.format(job_id=job.id)

    assert all_gone(world, [card, follow_up])
    stored = await world.store.get_job(job.id)
    assert stored is not None and stored.deleted


async def test_a_private_job_delivered_by_dm_is_deleted_there_and_the_stranded_card_is_named(
    world: World,
) -> None:
    """The token died while the job ran: the card and clips came by DM. 🗑 on the DM card removes both
    DMs; the first, ephemeral card can no longer be removed by the bot, and the answer says so."""
    await split_clips(world, held=True)
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    job = await world.wait_delivered(job.id, timeout=20)
    dm = world.discord.dm_channel(world.discord.alice)
    dms = [m for m in world.discord.bot_messages(dm) if m.files]
    assert len(dms) == 2 and clip_files(dms) == [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]
    card = world.discord.state.messages[job.card_message_id]
    assert card.channel_id == dm.id

    answer = await by_button(world, world.discord.alice, card, job)

    assert answer.startswith(f"{DONE.format(job_id=job.id)}\n{STRANDED_ONE}")
    assert all_gone(world, dms)
    ephemeral = handle.original_message
    assert ephemeral is not None and not ephemeral.deleted  # Discord lets nobody but Alice dismiss it


async def test_the_stranded_count_is_said_in_vietnamese_too(world: World) -> None:
    world.hold_jobs()
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    job = await world.wait_delivered(job.id)
    card = world.discord.state.messages[job.card_message_id]
    answer = await by_button(world, world.discord.alice, card, job, locale="vi")
    assert answer.startswith(f"Đã xóa video #{job.id}") and STRANDED_VI in answer


async def test_a_private_job_posted_to_the_channel_then_deleted_loses_the_private_card_too(
    world: World,
) -> None:
    """Post to channel made a public card; deleting removes it and the private card it came from."""
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_delivered((await world.wait_job(lambda j: j.private)).id)
    private_card = world.discord.state.messages[job.card_message_id]
    press = await world.discord.click(world.discord.alice, private_card, f"mb:pc:{job.id}")
    await press.wait_original(lambda m: not m.loading)
    public = await world.wait_job(lambda j: j.id == job.id and not j.private)
    public_card = world.discord.state.messages[public.card_message_id]

    assert await by_command(world, world.discord.alice, job.id) == DONE.format(job_id=job.id)

    assert all_gone(world, [public_card, private_card])


async def test_a_webhook_only_job_is_deleted_from_its_group_dm_by_its_requester_alone(tmp_path) -> None:
    """A user install in a group DM: /delete is offered there; Bob (in the group) is told there is no
    such video of his; Alice's /delete removes the card through the interaction's webhook."""
    async with make_world(tmp_path, user_install="everyone") as world:
        discord = world.discord
        discord.install_for_user(discord.alice)
        discord.install_for_user(discord.bob)
        group = discord.add_group_dm(discord.alice, [discord.bob])
        handle = await world.animate(channel=group)
        await handle.wait_response()
        job = await world.wait_delivered((await world.wait_job(lambda j: j.webhook_only)).id)
        card = handle.original_message
        assert card is not None and card.id == job.card_message_id

        by_bob = await discord.slash(discord.bob, "delete", {"job": job.id}, channel=group)
        assert (await private_answer(by_bob)).startswith(NOT_YOURS.format(job_id=job.id))
        assert not card.deleted

        by_alice = await discord.slash(discord.alice, "delete", {"job": job.id}, channel=group)
        assert await private_answer(by_alice) == DONE.format(job_id=job.id)
        assert discord.state.messages[card.id].deleted
        assert (await world.store.get_job(job.id)).deleted


async def test_delete_from_the_bots_dm_obeys_the_jobs_server(tmp_path) -> None:
    """From their DMs with the bot: a moderator of #general and Bob are told Alice's job does not exist;
    Alice may not either once #general is hidden from her; she may while she sees it."""
    async with make_world(tmp_path, user_install="everyone") as world:
        discord = world.discord
        for user in (discord.alice, discord.bob, discord.mod):
            discord.install_for_user(user)
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

        for stranger in (discord.bob, discord.mod):
            dm = discord.dm_channel(stranger)
            refused = await discord.slash(stranger, "delete", {"job": job.id}, channel=dm)
            assert (await private_answer(refused)).startswith(NOT_YOURS.format(job_id=job.id))
        unknown = await discord.slash(
            discord.alice, "delete", {"job": job.id + 1}, channel=discord.dm_channel(discord.alice)
        )
        assert (await private_answer(unknown)).startswith(NOT_YOURS.format(job_id=job.id + 1))

        await discord.set_channel_permissions(discord.general, discord.alice, deny=Perm.VIEW_CHANNEL)
        hidden = await discord.slash(
            discord.alice, "delete", {"job": job.id}, channel=discord.dm_channel(discord.alice)
        )
        assert (await private_answer(hidden)).startswith(NOT_YOURS.format(job_id=job.id))
        await discord.set_channel_permissions(discord.general, discord.alice)

        mine = await discord.slash(
            discord.alice, "delete", {"job": job.id}, channel=discord.dm_channel(discord.alice)
        )
        assert await private_answer(mine) == DONE.format(job_id=job.id)
        assert discord.state.messages[job.card_message_id].deleted


async def test_a_guessed_id_of_someone_elses_private_job_does_not_exist_in_the_server(world: World) -> None:
    """Bob tries Alice's private job's id in the server: no such video, as /show answers him."""
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_delivered((await world.wait_job(lambda j: j.private)).id)
    answer = await by_command(world, world.discord.bob, job.id)
    assert answer.startswith(NOT_IN_SERVER.format(job_id=job.id))
    assert not (await world.store.get_job(job.id)).deleted


async def test_with_user_installs_off_delete_stays_a_server_command_and_the_dm_card_button_still_works(
    world: World,
) -> None:
    """USER_INSTALL=off: no client offers /delete in a DM; 🗑 on a private DM card deletes it anyway."""
    discord = world.discord
    with pytest.raises(CommandNotAvailableError):
        await discord.slash(discord.alice, "delete", {"job": 1}, channel=discord.dm_channel(discord.alice))
    world.hold_jobs()
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    discord.expire_interaction(handle)
    world.release(job)
    job = await world.wait_delivered(job.id)
    card = discord.state.messages[job.card_message_id]
    assert not card.ephemeral and card.guild_id is None
    assert (await by_button(world, discord.alice, card, job)).startswith(DONE.format(job_id=job.id))
    assert discord.state.messages[card.id].deleted
