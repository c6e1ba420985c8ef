"""A private job's delivery restarted after a crash posts only what is missing (issue 22, round 2).

A private job's card and clips are ephemeral messages, or DMs once the interaction's token died:
the channel's history shows none of them, so the store records each one as it is sent and the next
process reads that record instead. As for a public job
(``test_partial_delivery_e2e.py::test_a_restart_before_the_partial_delivery_was_stored_...``), the
process is stopped and the job put back to "succeeded, not delivered" in the database, as a kill
between posting and storing the delivery leaves it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.models import Job, JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, running_motionbot, settings_for, uploads_per_file

MIB = 1024 * 1024
WEBHOOK_POST = "POST /webhooks/{webhook_id}/{token}"
FAST = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)  # three 7 MiB clips fit in one message, not four
HELD = TaskPlan(duration=60, initial_fraction=0.5, clip_min_bytes=7 * MIB)


def names(job: Job, *numbers: int) -> Counter[str]:
    return Counter(f"motionbot-{job.id}-clip{n}.mp4" for n in numbers)


def as_if_killed_before_storing(database: Path, job: Job, *, records_too: bool) -> None:
    """Put the job back where a process killed after posting, before storing the delivery, left it.

    ``records_too``: killed before it recorded the private messages it sent, too.
    """
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE jobs SET status = 'succeeded', missing_clips = '[]', delivered_at = NULL,"
            " final_shown_at = NULL WHERE id = ?",
            (job.id,),
        )
        if records_too:
            db.execute("UPDATE jobs SET private_posts = '[]' WHERE id = ?", (job.id,))


@asynccontextmanager
async def restarted(
    tmp_path: Path, first_run: Callable[[World], object], *, records_too: bool = False
) -> AsyncIterator[tuple[DiscordDouble, World, Job]]:
    """Run ``first_run`` in a first process, undo its stored delivery, and yield the second process."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            job: Job = await first_run(World(discord, comet, settings, bot))  # type: ignore[misc]
        as_if_killed_before_storing(settings.database_path, job, records_too=records_too)
        async with running_motionbot(settings, discord) as bot:
            second = World(discord, comet, settings, bot)
            yield discord, second, await second.wait_delivered(job.id, timeout=20)


async def ephemeral_card_posted_clip_4_refused(world: World) -> Job:
    """A private job in the token's life: the card gets clips 1-3, the follow-up with clip 4 is refused."""
    world.comet.default_plan = FAST
    world.discord.inject_fault(WEBHOOK_POST, status=403)
    await (await world.animate(private=True)).wait_response()
    return await world.wait_job(lambda j: j.status is JobStatus.DELIVERED and j.missing_clips == (3,), 20)


async def test_a_restarted_private_delivery_posts_only_the_clip_the_ephemeral_card_lacks(tmp_path):
    """Killed once the ephemeral card showed clips 1-3, before the store knew: the next process reads
    the record, posts only clip 4 (an ephemeral follow-up) and never uploads clips 1-3 again."""
    async with restarted(tmp_path, ephemeral_card_posted_clip_4_refused) as (discord, _, delivered):
        assert delivered.fully_delivered
        assert uploads_per_file(discord) == names(delivered, 1, 2, 3, 4)
        [follow_up] = [m for m in discord.bot_messages() if m.files and m.id != delivered.card_message_id]
        assert follow_up.ephemeral and [f.filename for f in follow_up.files] == list(names(delivered, 4))


async def delivered_by_dm(world: World) -> Job:
    """A private job that outlived the token: the card (clips 1-3) and clip 4 come by DM."""
    world.comet.default_plan = HELD
    handle = await world.animate(private=True)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    return await world.wait_delivered(job.id, timeout=20)


async def test_a_restarted_private_delivery_by_dm_posts_nothing_again(tmp_path):
    """Killed after both DMs, before the store knew: the next process repeats neither."""
    async with restarted(tmp_path, delivered_by_dm) as (discord, _, delivered):
        dm = discord.dm_channel(discord.alice)
        assert len([m for m in discord.bot_messages(dm) if m.files]) == 2
        assert uploads_per_file(discord) == names(delivered, 1, 2, 3, 4)
        assert delivered.card_message_id == discord.bot_messages(dm)[0].id


async def test_dms_sent_before_their_record_are_found_in_the_dm_history(tmp_path):
    """Killed after both DMs and before recording them: the DM channel's history shows them."""
    async with restarted(tmp_path, delivered_by_dm, records_too=True) as (discord, _, delivered):
        assert uploads_per_file(discord) == names(delivered, 1, 2, 3, 4)
