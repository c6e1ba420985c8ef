"""Every provider success ends delivered: a failed store write is retried, a late success still counts."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.models import Job, JobStatus, utcnow
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_parts, make_world, running_motionbot, settings_for
from tests.reliability.lock_holder import write_lock_held

LATE_NOTE = "This video arrived after Motionbot had stopped waiting for it."
TIMEOUT_MINUTES = 0.03  # 1.8 s
LOCK_RETRY_SECONDS = 0.2


def bot_uploads(world: World) -> list[Message]:
    """Return the bot's messages that carry files."""
    bot_id = world.discord.bot_user.id
    return [m for m in world.discord.state.messages.values() if m.author.id == bot_id and m.files]


def footer(message: Message) -> str:
    """Return the notes of a job card (what its embed footer showed before)."""
    return card_parts(message).notes


async def submitted(world: World) -> Job:
    """Start one held job as alice and return it once the provider has it and its card exists."""
    world.hold_jobs()
    handle = await world.animate()
    await handle.wait_response()
    return await world.wait_job(lambda j: j.provider_task_id is not None and j.card_message_id is not None)


async def test_a_success_whose_write_meets_a_locked_database_is_still_delivered(tmp_path: Path) -> None:
    """The provider finishes while another process holds the write lock past the job's timeout."""
    async with make_world(
        tmp_path, job_timeout_minutes=TIMEOUT_MINUTES, database_lock_retry_seconds=LOCK_RETRY_SECONDS
    ) as world:
        job = await submitted(world)
        async with write_lock_held(world.settings.database_path) as holder:
            world.release(job)
            # Every write fails meanwhile (mark_succeeded included) and the job outlives its timeout.
            past_timeout = job.created_at + dt.timedelta(minutes=TIMEOUT_MINUTES, seconds=1)
            await asyncio.sleep((past_timeout - utcnow()).total_seconds())
            waiting = await world.store.get_job(job.id)
            assert waiting is not None and waiting.status.is_active  # not stored as succeeded, not timed out
            await holder.release()
        delivered = await world.wait_delivered(job.id, timeout=20)
        assert delivered.timed_out_at is None and delivered.failure_kind is None
        card = world.discord.state.messages[job.card_message_id]  # type: ignore[index]
        assert len(card.files) == 4 and LATE_NOTE not in footer(card)
        assert len(bot_uploads(world)) == 1
        usage = await world.store.usage_today(job.guild_id, job.requester_id)
        assert usage.user_today == 1


async def test_a_job_the_bot_timed_out_is_delivered_when_the_provider_finishes_later(tmp_path: Path) -> None:
    async with make_world(tmp_path, job_timeout_minutes=TIMEOUT_MINUTES) as world:
        job = await submitted(world)
        timed_out = await world.wait_job(lambda j: j.id == job.id and j.status is JobStatus.TIMED_OUT)
        card = await world.wait_card(
            lambda m: m.id == job.card_message_id and "Timed out" in card_parts(m).state
        )
        # The video service had it: timed out by the bot, it counts, and the card says so (issue 21).
        assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 1
        assert "still counts against your limits" in card_parts(card).notes
        world.release(timed_out)
        delivered = await world.wait_delivered(job.id, timeout=20)
        assert delivered.arrived_late and delivered.clip_urls
        card = await world.wait_card(lambda m: m.id == job.card_message_id and bool(m.files))
        assert len(card.files) == 4 and LATE_NOTE in footer(card)
        assert len(bot_uploads(world)) == 1  # uploaded once
        usage = await world.store.usage_today(job.guild_id, job.requester_id)
        assert usage.user_today == 1  # charged once, since it was sent


async def test_a_timed_out_job_is_still_watched_after_a_restart(tmp_path: Path) -> None:
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path, job_timeout_minutes=TIMEOUT_MINUTES)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            job = await submitted(first)
            await first.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)
        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            second.release(job)
            delivered = await second.wait_delivered(job.id, timeout=20)
            assert delivered.arrived_late
            card = await second.wait_card(lambda m: m.id == job.card_message_id and bool(m.files))
            assert LATE_NOTE in footer(card) and len(bot_uploads(second)) == 1
