"""A rejected CometAPI key end to end: health says so (with the fix) and the operator is told once per key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from bot.__main__ import serve_health
from bot.models import FailureKind, Job, JobStatus
from bot.settings import Settings
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Channel, Perm, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, running_motionbot, settings_for

PROVIDER_ACCEPTS = "the-key-cometapi-knows"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def healthz(settings: Settings) -> tuple[int, dict[str, Any]]:
    """GET /healthz from the bot's own health server."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{settings.http_port}/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


@contextlib.asynccontextmanager
async def bot_with_health(
    settings: Settings, discord: DiscordDouble, comet: CometAPIDouble
) -> AsyncIterator[World]:
    """Run Motionbot and, as ``python -m bot run`` does when HTTP_PORT is set, its health server."""
    async with running_motionbot(settings, discord) as bot, serve_health(settings, bot.services, bot):
        yield World(discord=discord, comet=comet, settings=settings, bot=bot)


async def ask_three_videos(world: World) -> None:
    """Three /animate requests at once (alice twice, bob once); wait for each first answer."""
    users = (world.discord.alice, world.discord.bob, world.discord.alice)
    handles = await asyncio.gather(*(world.animate(user) for user in users))
    await asyncio.gather(*(handle.wait_response() for handle in handles))


async def every_job_requeued(world: World, count: int = 3, timeout: float = 15.0) -> None:
    """Wait until ``count`` jobs were each sent once and put back in the queue (the provider was busy)."""
    async with asyncio.timeout(timeout):
        while True:
            jobs = await world.store.all_jobs()
            queued = [job for job in jobs if job.status is JobStatus.QUEUED]
            if len([job for job in queued if job.updated_at > job.created_at]) == count:
                return
            await asyncio.sleep(0.02)


async def every_job_failed(world: World, timeout: float = 10.0) -> list[Job]:
    """Wait until every stored job failed (the store has no change feed: re-read on a short tick)."""
    async with asyncio.timeout(timeout):
        while True:
            jobs = await world.store.all_jobs()
            if jobs and all(job.status is JobStatus.FAILED for job in jobs):
                return jobs
            await asyncio.sleep(0.02)


def bot_messages(discord: DiscordDouble, channel: Channel) -> list[str]:
    """Return the contents of the bot's messages in ``channel``."""
    bot_id = discord.bot_user.id
    return [
        m.content or ""
        for m in discord.state.messages.values()
        if m.channel_id == channel.id and m.author.id == bot_id
    ]


def owner_dms(discord: DiscordDouble, owner: User) -> list[str]:
    """Return the bot's DMs to the application owner."""
    return bot_messages(discord, discord.dm_channel(owner))


async def test_a_rejected_key_fails_health_with_the_fix_and_tells_the_owner_once_per_key(
    tmp_path: Path,
) -> None:
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path, http_port=free_port())
        owner = discord.state.owner_user
        # Three jobs wait in the queue (the provider is busy) when the bot stops ...
        comet.queue_full(times=None)
        async with bot_with_health(settings, discord, comet) as world:
            status, body = await healthz(settings)
            assert status == 200 and body["checks"]["provider"] is True
            await ask_three_videos(world)
            await every_job_requeued(world)
        # ... and the key is revoked meanwhile: the next start sends them, and all three fail.
        comet.api_key = "the-operator-revoked-the-old-key"
        async with bot_with_health(settings, discord, comet) as world:
            jobs = await every_job_failed(world)
            assert len(jobs) == 3 and {job.failure_kind for job in jobs} == {FailureKind.CONFIGURATION}
            status, body = await healthz(settings)
            assert status == 503
            assert body["failing"] == ["provider"] and body["checks"]["provider"] is False
            line = body["detail"]["provider"]
            assert f"{comet.base_url.rstrip('/')} rejected COMETAPI_KEY" in line
            assert "copy a valid key from the CometAPI console" in line and "\n" not in line
            dm = await world.wait_card(lambda m: m.channel_id == discord.dm_channel(owner).id)
            assert "rejected COMETAPI_KEY" in (dm.content or "") and "restart Motionbot" in (dm.content or "")
        assert len(owner_dms(discord, owner)) == 1  # three failed jobs, one alert
        assert TEST_API_KEY not in (dm.content or "")

        # Same database, same rejected key: the job fails again, nobody is told twice.
        async with bot_with_health(settings, discord, comet) as world:
            await ask_three_videos(world)
            await world.wait_job(lambda job: job.id > len(jobs) and job.status is JobStatus.FAILED)
        assert len(owner_dms(discord, owner)) == 1

        # A new key that is rejected too is news: told again, once.
        renewed = settings_for(discord, comet, tmp_path, http_port=free_port(), cometapi_key="new-wrong-key")
        async with bot_with_health(renewed, discord, comet) as world:
            await ask_three_videos(world)
            await world.wait_card(lambda m: m.channel_id == discord.dm_channel(owner).id and m.id != dm.id)
        assert len(owner_dms(discord, owner)) == 2


async def test_with_a_log_channel_the_alert_goes_there_in_the_servers_language(tmp_path: Path) -> None:
    async with (
        DiscordDouble(message_content=True, preferred_locale="vi") as discord,
        CometAPIDouble.serve(api_key=PROVIDER_ACCEPTS) as comet,
    ):
        log_channel = discord.state.add_channel(discord.guild, "motionbot-log")
        settings = settings_for(discord, comet, tmp_path, log_channel_id=log_channel.id)
        async with running_motionbot(settings, discord) as bot:
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await ask_three_videos(world)
            alert = await world.wait_card(lambda m: m.channel_id == log_channel.id)
            assert "đã từ chối COMETAPI_KEY" in (alert.content or "")
        assert len(bot_messages(discord, log_channel)) == 1
        assert owner_dms(discord, discord.state.owner_user) == []


async def test_a_team_owned_application_alerts_the_team_owner(tmp_path: Path) -> None:
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=PROVIDER_ACCEPTS) as comet,
    ):
        discord.state.transfer_to_team(discord.bob)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await ask_three_videos(world)
            alert = await world.wait_card(lambda m: m.channel_id == discord.dm_channel(discord.bob).id)
            assert "rejected COMETAPI_KEY" in (alert.content or "")
        assert owner_dms(discord, discord.state.owner_user) == []


async def test_a_log_channel_that_refuses_the_alert_falls_back_to_the_owners_dm(tmp_path: Path) -> None:
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=PROVIDER_ACCEPTS) as comet,
    ):
        log_channel = discord.state.add_channel(discord.guild, "motionbot-log")
        settings = settings_for(discord, comet, tmp_path, log_channel_id=log_channel.id)
        async with running_motionbot(settings, discord) as bot:
            await discord.set_bot_permissions(log_channel, deny=Perm.SEND_MESSAGES)
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await ask_three_videos(world)
            owner = discord.state.owner_user
            alert = await world.wait_card(lambda m: m.channel_id == discord.dm_channel(owner).id)
            assert "rejected COMETAPI_KEY" in (alert.content or "")
        assert bot_messages(discord, log_channel) == []
