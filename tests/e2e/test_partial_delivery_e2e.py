"""A job whose later clips could not be posted (issue 18, item 9): charged for what arrived, the card
names the missing clips, and its "Post missing clips" button posts only those, for the requester or a
moderator of the job's channel, after a restart too."""

from __future__ import annotations

import sqlite3
from collections import Counter

from bot.models import GuildSettings, Job, JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, InteractionHandle, Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import (
    World,
    card_parts,
    gallery_files,
    make_world,
    running_motionbot,
    settings_for,
    uploads_per_file,
)
from tests.store_fixtures import save_settings

MIB = 1024 * 1024
CHANNEL_POST = "POST /channels/{channel_id}/messages"


def is_delivered(message: Message) -> bool:
    return "your video is ready" in card_parts(message).ready


def missing_button(job: Job) -> str:
    return f"mb:m:{job.id}"


def names(job: Job, *numbers: int) -> list[str]:
    return [f"motionbot-{job.id}-clip{n}.mp4" for n in numbers]


async def partly_delivered(world: World) -> tuple[Job, Message]:
    """/animate as Alice; four 7 MiB clips: three fit on the card, the reply with the fourth is refused.

    The card is edited through the interaction's webhook; the reply goes through the channel with the
    bot token, which Discord refuses there (403 Missing Permissions, injected once).
    """
    world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
    world.discord.inject_fault(CHANNEL_POST, status=403)
    await (await world.animate()).wait_response()
    job = await world.wait_job(lambda j: j.status.is_final and j.final_shown_at is not None, timeout=20)
    card = await world.wait_card(
        lambda m: m.id == job.card_message_id and bool(m.find_component(missing_button(job)))
    )
    return job, card


async def used_today(world: World, job: Job) -> int:
    return (await world.store.usage_today(job.guild_id, job.requester_id)).user_today


async def press(world: World, user, card: Message, job: Job) -> tuple[InteractionHandle, str]:
    """``user`` presses "Post missing clips"; return the handle and the private answer's text."""
    handle = await world.discord.click(user, card, missing_button(job))
    response = await handle.wait_response()
    if response.type == 4:
        return handle, str(response.data.get("content") or "")
    answer = await handle.wait_original(lambda m: not m.loading, timeout=20)
    return handle, answer.content


async def test_a_delivery_whose_last_clip_could_not_be_posted_is_charged_and_names_the_clip(world):
    """The card keeps its three clips (no upload again), says clip 4 is missing and offers the button."""
    job, card = await partly_delivered(world)
    assert job.status is JobStatus.DELIVERED and job.missing_clips == (3,)
    assert await used_today(world, job) == 1  # charged: the member holds the video, most of it
    assert is_delivered(card) and gallery_files(card) == names(job, 1, 2, 3)
    assert [f.filename for f in card.files] == names(job, 1, 2, 3)
    assert uploads_per_file(world.discord) == Counter(names(job, 1, 2, 3))
    parts = card_parts(card)
    assert parts.state == "Done: 3 of 4 clips below"
    assert "Clip 4 could not be posted; press “Post missing clips” to try again." in parts.notes
    assert card.find_component(missing_button(job))["label"] == "Post missing clips"


async def test_the_button_posts_only_the_missing_clip_and_the_card_becomes_fully_delivered(world):
    job, card = await partly_delivered(world)
    _, answer = await press(world, world.discord.alice, card, job)
    assert answer == "Posted clip 4 of video #1."
    reply = next(m for m in world.discord.bot_messages() if m.files and m.id != card.id)
    assert [f.filename for f in reply.files] == names(job, 4)
    assert reply.reference is not None and reply.reference["message_id"] == str(card.id)
    assert uploads_per_file(world.discord) == Counter(names(job, 1, 2, 3, 4))  # each clip uploaded once
    stored = await world.store.get_job(job.id)
    assert stored.missing_clips == () and stored.status is JobStatus.DELIVERED
    final = world.discord.state.messages[card.id]
    assert missing_button(job) not in final.custom_ids
    assert "could not be posted" not in card_parts(final).notes
    assert card_parts(final).state == "Done: 4 clips below"
    assert [f.filename for f in final.files] == names(job, 1, 2, 3)  # kept, not uploaded again
    assert await used_today(world, job) == 1


async def test_per_clip_charging_counts_the_clips_that_arrived_then_the_one_posted_later(world):
    guild = world.discord.guild.id
    await save_settings(world.store, GuildSettings(guild_id=guild, count_clips=True))
    job, card = await partly_delivered(world)
    assert job.cost == 4 and await used_today(world, job) == 3
    await press(world, world.discord.alice, card, job)
    assert await used_today(world, job) == 4


async def test_a_stranger_is_refused_even_when_everyone_may_press_buttons_and_a_moderator_may(world):
    """Bob (not the requester, no Manage Messages) is refused with a clear answer, in English and
    Vietnamese, though the server lets everyone press Extend; a moderator posts the clip."""
    guild = world.discord.guild.id
    await save_settings(world.store, GuildSettings(guild_id=guild, buttons_everyone=True))
    job, card = await partly_delivered(world)
    handle, answer = await press(world, world.discord.bob, card, job)
    assert handle.ephemeral
    assert answer == (
        "Only the member who made video #1, or someone with Manage Messages in this channel, "
        "can post its missing clips."
    )
    vi = await world.discord.click(world.discord.bob, card, missing_button(job), locale="vi")
    assert (await vi.wait_response()).data["content"].startswith("Chỉ người tạo video #1")
    assert uploads_per_file(world.discord) == Counter(names(job, 1, 2, 3))  # nothing posted for them
    _, answer = await press(world, world.discord.mod, card, job)
    assert answer == "Posted clip 4 of video #1."


async def test_the_button_still_works_after_a_restart(tmp_path):
    """The button names the job in its custom id; the next process posts the clip from the provider."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            job, card = await partly_delivered(World(discord, comet, settings, bot))
        async with running_motionbot(settings, discord) as bot:
            second = World(discord, comet, settings, bot)
            _, answer = await press(second, discord.alice, card, job)
            assert answer == "Posted clip 4 of video #1."
            assert (await second.store.get_job(job.id)).missing_clips == ()
        assert uploads_per_file(discord) == Counter(names(job, 1, 2, 3, 4))


async def test_jobs_names_the_missing_clip_and_show_reposts_every_clip(world):
    """/jobs says which clip is missing; /show re-posts all four clips, without the button."""
    job, _ = await partly_delivered(world)
    listed = await world.discord.slash(world.discord.alice, "jobs")
    await listed.wait_response()
    entry = (await listed.wait_original()).embeds[0]["description"]
    assert f"#{job.id}" in entry and "Done, clip 4 missing" in entry

    shown = await world.discord.slash(world.discord.alice, "show", {"job": job.id})
    await shown.wait_response()
    repost = await shown.wait_original(lambda m: not m.loading, timeout=20)
    (more,) = await shown.wait_followups(1)
    assert [f.filename for f in (*repost.files, *more.files)] == names(job, 1, 2, 3, 4)
    assert missing_button(job) not in repost.custom_ids
    assert card_parts(repost).state == "Done: 4 clips below"


async def test_a_restart_before_the_partial_delivery_was_stored_posts_the_rest_and_fixes_the_card(tmp_path):
    """Killed after the card said clip 4 was missing, before the store did: the next process finds
    clips 1-3 in the card's gallery, posts only clip 4, and the card no longer says anything is missing."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            job, card = await partly_delivered(World(discord, comet, settings, bot))
        with sqlite3.connect(settings.database_path) as db:
            db.execute(
                "UPDATE jobs SET status = 'succeeded', missing_clips = '[]', delivered_at = NULL,"
                " final_shown_at = NULL WHERE id = ?",
                (job.id,),
            )
        async with running_motionbot(settings, discord) as bot:
            second = World(discord, comet, settings, bot)
            delivered = await second.wait_delivered(job.id, timeout=20)
            assert delivered.fully_delivered and await used_today(second, delivered) == 1
        assert uploads_per_file(discord) == Counter(names(job, 1, 2, 3, 4))
        final = discord.state.messages[card.id]
        assert missing_button(job) not in final.custom_ids
        assert card_parts(final).state == "Done: 4 clips below" and "could not" not in card_parts(final).notes
        assert [f.filename for f in final.files] == names(job, 1, 2, 3)


async def test_the_missing_clip_comes_from_the_archive_once_the_provider_forgot_it(tmp_path):
    """CLIP_ARCHIVE_DIR kept clip 4 at delivery: the button posts those bytes though CometAPI's link is
    dead. Without the archive the member is told the clip is gone and the card still offers the button."""
    async with make_world(tmp_path, clip_archive_dir=tmp_path / "archive") as world:
        job, card = await partly_delivered(world)
        kept = (tmp_path / "archive" / str(job.id) / "3.mp4").read_bytes()
        del world.comet.tasks[str(job.provider_task_id)]  # its clip URLs answer 404 from now on
        _, answer = await press(world, world.discord.alice, card, job)
        assert answer == "Posted clip 4 of video #1."
        reply = next(m for m in world.discord.bot_messages() if m.files and m.id != card.id)
        assert reply.files[0].data == kept

    async with make_world(tmp_path / "no-archive") as world:
        job, card = await partly_delivered(world)
        del world.comet.tasks[str(job.provider_task_id)]
        _, answer = await press(world, world.discord.alice, card, job)
        assert answer == (
            "Clip 4 of video #1 is no longer kept by the video service or the archive, "
            "so it cannot be posted again."
        )
        assert (await world.store.get_job(job.id)).missing_clips == (3,)
        assert missing_button(job) in world.discord.state.messages[card.id].custom_ids
