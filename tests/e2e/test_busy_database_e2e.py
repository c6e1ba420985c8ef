"""A busy database never costs an interaction its answer (issue 9, item 8).

Another process (a backup, the CLI) holds SQLite's write lock while the bot has writes waiting for
it. Every member is still answered well within Discord's 3 s deadline, and once the lock is let go
every waiting write lands.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest

from bot.models import JobStatus, utcnow
from bot.settings import Settings
from bot.store import DEFAULT_BUSY_TIMEOUT_MS, JobStore
from bot.store.engine import Work
from bot.store.sqlite.engine import SerialConnection
from tests.e2e.harness import World, make_world
from tests.reliability.busy_database import DEFERRED, SETTINGS, WELL_WITHIN, members_while_locked

NOT_SAVED_VI = "Cơ sở dữ liệu đang bận nên thay đổi này chưa được lưu. Bạn thử lại sau giây lát nhé."
BUSY_VI = "Motionbot đang bận nên chưa có gì được tạo hay thay đổi. Bạn thử lại sau giây lát nhé."

T = TypeVar("T")


async def test_members_are_answered_in_time_while_another_process_holds_the_write_lock(tmp_path):
    """/animate, /quota, /jobs, Extend, settings show and set: all answered in time; every write lands."""
    async with make_world(tmp_path) as world:
        run = await members_while_locked(world)
        discord = world.discord

    assert run.wrong_answers() == [], run.latencies
    for name in ("quota", "jobs", "settings show"):
        assert run.answers[name].data["embeds"], name  # the real answer, not "busy"
    # when they were answered, every write was still waiting for the lock
    assert [(job.id, job.status) for job in run.stored_while_locked] == [
        (run.earlier.id, JobStatus.DELIVERED)
    ]
    # and once it was let go, each one landed
    assert run.landed["alice"].requester_id == discord.alice.id
    assert run.landed["bob"].requester_id == run.landed["extension"].requester_id == discord.bob.id
    assert run.settings_answer == "Videos per member per day is now: 7"
    assert run.settings is not None and run.settings.max_daily_per_user == 7


async def test_a_settings_change_the_database_cannot_take_is_reported_as_not_saved(world):
    """A save that fails with a store error (a lock outlasting the retries, or a closed store) says so."""
    await world.store.close()  # every write now fails with StoreError, as a lock that never clears would
    handle = await world.discord.slash(
        world.discord.admin, f"{SETTINGS} set", {"setting": "max_daily_per_user", "value": "7"}, locale="vi"
    )
    response = await handle.wait_response()
    answer = await handle.wait_original(lambda m: not m.loading)

    assert response.type == DEFERRED and response.latency < WELL_WITHIN and handle.ephemeral
    assert answer.content == NOT_SAVED_VI


class HoldableReads(SerialConnection):
    """The bot's SQLite engine, whose reads a test can hold, as a hung disk would; writes go on."""

    released: asyncio.Event | None = None  # while reads are held: set when they may go on

    async def read(self, work: Work[T]) -> T:
        if self.released is not None:
            await self.released.wait()
        return await super().read(work)


@pytest.fixture
async def world_and_engine(tmp_path) -> AsyncIterator[tuple[World, HoldableReads]]:
    """The bot running on an SQLite store whose reads the test can hold, and that store's engine."""
    engines: list[HoldableReads] = []

    async def store_opener(settings: Settings) -> JobStore:
        retry = settings.database_lock_retry_seconds
        engine = await HoldableReads.open(
            settings.database_path, busy_timeout_ms=DEFAULT_BUSY_TIMEOUT_MS, lock_retry_seconds=retry
        )
        engines.append(engine)
        return JobStore(engine, clock=utcnow)

    async with make_world(tmp_path, store_opener=store_opener) as world:
        yield world, engines[0]


@contextlib.asynccontextmanager
async def reads_stuck(engine: HoldableReads) -> AsyncIterator[None]:
    """Hold every read of the bot's store from ending until the block exits."""
    engine.released = asyncio.Event()
    try:
        yield
    finally:
        engine.released.set()
        engine.released = None


async def test_a_read_that_never_ends_is_answered_with_busy_before_the_deadline(world_and_engine):
    """Past the 2 s budget the member hears "busy, try again" privately, in their language; nothing starts."""
    world, engine = world_and_engine
    discord = world.discord
    async with reads_stuck(engine):
        handles = [
            await world.animate(discord.bob, locale="vi"),
            await discord.slash(discord.bob, "quota", locale="vi"),
            await discord.slash(discord.admin, f"{SETTINGS} show", locale="vi"),
        ]
        responses = [await handle.wait_response() for handle in handles]
    after = await discord.slash(discord.bob, "quota")
    recovered = await after.wait_response()

    for handle, response in zip(handles, responses, strict=True):
        assert response.status == 200 and 1.9 < response.latency < 3.0, response.latency
        assert handle.ephemeral and response.data["content"] == BUSY_VI
    assert await world.store.all_jobs() == [] and world.comet.request_log == []
    assert recovered.latency < WELL_WITHIN and recovered.data["embeds"]
