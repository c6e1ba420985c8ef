"""A busy database never costs an interaction its answer (issue 9, item 8).

Another process (a backup, the CLI) holds SQLite's write lock while the bot has writes waiting for
it. Every member is still answered well within Discord's 3 s deadline, and once the lock is let go
every waiting write lands.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.models import JobStatus
from tests.e2e.harness import World, make_world
from tests.reliability.busy_database import DEFERRED, SETTINGS, WELL_WITHIN, members_while_locked

NOT_SAVED_VI = "Cơ sở dữ liệu đang bận nên thay đổi này chưa được lưu. Bạn thử lại sau giây lát nhé."
BUSY_VI = "Motionbot đang bận nên chưa có gì được tạo hay thay đổi. Bạn thử lại sau giây lát nhé."


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


@contextlib.asynccontextmanager
async def reads_stuck(world: World) -> AsyncIterator[None]:
    """Hold the bot's read connection with a read that does not end, as a hung disk would."""
    release = asyncio.Event()

    async def stuck(_conn: object) -> None:
        await release.wait()

    occupying = asyncio.create_task(world.store._db.read(stuck))
    await asyncio.sleep(0)  # the stuck read takes the reader
    try:
        yield
    finally:
        release.set()
        await occupying


async def test_a_read_that_never_ends_is_answered_with_busy_before_the_deadline(world):
    """Past the 2 s budget the member hears "busy, try again" privately, in their language; nothing starts."""
    discord = world.discord
    async with reads_stuck(world):
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
