"""/show of one's own private video (issue 22): the requester alone gets its card and clips again.

A private job, or one started where the bot is not a member, is never re-posted: its requester's
/show answers ephemerally with the card (no buttons) and every clip, nothing public appears and
nothing is recorded; anyone else, a moderator included, is told it does not exist. It is the way back
to the clips of a private job whose delivery Discord refused in part.
"""

from __future__ import annotations

import pytest

from bot.models import Job, JobStatus
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import InteractionHandle, Message
from tests.doubles.discord.installs import CommandNotAvailableError
from tests.e2e.harness import World, card_parts, final_answer
from tests.e2e.test_private_e2e import private_delivered, public_clips
from tests.e2e.test_show_e2e import NOT_FOUND, provider_clips, provider_forgets
from tests.e2e.test_user_install_e2e import delivered_by_dm_after_the_token, installed_world

MIB = 1024 * 1024
WEBHOOK_POST = "POST /webhooks/{webhook_id}/{token}"
ONLY_YOU = "Only you can see this copy: nothing was posted in the channel."
NOT_FOUND_HERE = "You have no private video #{job_id} to show here."
IN_ITS_SERVER = "Video #{job_id} is public: use /show in a channel of the server where it was made"


def names(job: Job, *numbers: int) -> list[str]:
    return [f"motionbot-{job.id}-clip{n}.mp4" for n in numbers]


async def shown_privately(handle: InteractionHandle) -> Message:
    """The ephemeral answer of a /show, filled in with the card: deferred as ephemeral "thinking"."""
    response = await handle.wait_response()
    assert response.type == 5 and response.data.get("flags", 0) & 64, "an ephemeral deferral"
    card = await handle.wait_original(lambda m: not m.loading, timeout=20)
    assert handle.ephemeral and card.ephemeral
    assert card.custom_ids == [], "no button acts from a copy only its requester sees"
    assert ONLY_YOU in card_parts(card).notes
    return card


async def test_the_requester_sees_a_private_job_again_ephemerally_and_a_moderator_is_told_it_does_not_exist(
    world: World,
) -> None:
    """Alice's /show: her card with all four clips, ephemeral; nothing public, nothing recorded.
    The moderator's /show: "no such video"."""
    _, job = await private_delivered(world)
    discord = world.discord

    card = await shown_privately(await discord.slash(discord.alice, "show", {"job": job.id}))
    assert [f.filename for f in card.files] == names(job, 1, 2, 3, 4)
    assert [f.data for f in card.files] == provider_clips(world, job)
    assert "your video is ready" in card_parts(card).ready

    by_mod = await discord.slash(discord.mod, "show", {"job": job.id})
    assert await final_answer(by_mod) == NOT_FOUND.format(job_id=job.id)
    assert public_clips(world) == []
    stored = await world.store.get_job(job.id)
    assert stored is not None and stored.posts == job.posts and stored.private_posts == job.private_posts


async def test_a_private_job_delivered_in_part_gets_every_clip_back_by_show(world: World) -> None:
    """The ephemeral follow-up with clip 4 was refused: /show answers with clips 1-3 on the card and
    clip 4 in an ephemeral follow-up, all of them the provider's files."""
    world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)  # 3 fit in one message
    world.discord.inject_fault(WEBHOOK_POST, status=403)
    await (await world.animate(private=True)).wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED and j.missing_clips == (3,), 20)

    handle = await world.discord.slash(world.discord.alice, "show", {"job": job.id})
    card = await shown_privately(handle)
    (more,) = await handle.wait_followups(1, timeout=20)
    assert more.ephemeral
    assert [f.filename for f in (*card.files, *more.files)] == names(job, 1, 2, 3, 4)
    assert [f.data for f in (*card.files, *more.files)] == provider_clips(world, job)
    assert public_clips(world) == []


async def test_a_webhook_only_job_is_shown_from_the_bots_dm_after_its_token_expired(tmp_path) -> None:
    """Started in a server without the bot, delivered by DM once the token died; the provider forgot it:
    /show in the bot's DM answers ephemerally with the four clips read afresh from those DMs."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        discord = world.discord
        dm_card, job = await delivered_by_dm_after_the_token(world, lounge)
        dm = discord.dm_channel(discord.alice)
        assert dm_card.channel_id == dm.id
        clips = provider_clips(world, job)
        provider_forgets(world, job)

        before = len(discord.bot_messages(dm))
        card = await shown_privately(await discord.slash(discord.alice, "show", {"job": job.id}, channel=dm))
        assert [f.filename for f in card.files] == names(job, 1, 2, 3, 4)
        assert [f.data for f in card.files] == clips
        assert len(discord.bot_messages(dm)) == before + 1  # the ephemeral answer alone


async def test_outside_its_server_a_public_job_is_not_shown(tmp_path) -> None:
    """From the bot's DM: Alice is told her public job is shown in its server; Bob that it does not
    exist for him; nothing is posted anywhere."""
    async with installed_world(tmp_path, "everyone") as (world, _):
        discord = world.discord
        discord.install_for_user(discord.bob)
        await (await world.animate()).wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

        mine = await discord.slash(
            discord.alice, "show", {"job": job.id}, channel=discord.dm_channel(discord.alice)
        )
        assert (await final_answer(mine)).startswith(IN_ITS_SERVER.format(job_id=job.id))
        theirs = await discord.slash(
            discord.bob, "show", {"job": job.id}, channel=discord.dm_channel(discord.bob)
        )
        assert (await final_answer(theirs)).startswith(NOT_FOUND_HERE.format(job_id=job.id))
        assert mine.ephemeral and theirs.ephemeral
        assert len(public_clips(world)) == 1  # the job's own card


async def test_user_install_off_keeps_show_in_servers_only(tmp_path) -> None:
    """USER_INSTALL=off (the default): no client offers /show in the bot's DM, as today."""
    async with installed_world(tmp_path, "off") as (world, _):
        dm = world.discord.dm_channel(world.discord.alice)
        with pytest.raises(CommandNotAvailableError):
            await world.discord.slash(world.discord.alice, "show", {"job": 1}, channel=dm)
