"""Storage at start and under contention: old schemas migrate, bad files are refused, locks lose nothing."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.resources
import json
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.models import Job, JobStatus, utcnow
from bot.store import JobStore
from bot.store.migrations import load_migrations
from bot.store.rows import encode_time
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import make_world, running_motionbot, settings_for
from tests.reliability.kill_scenario import clip_job_ids, read_jobs
from tests.reliability.lock_holder import write_lock_held
from tests.reliability.subprocess_bot import run_bot_to_exit

EXIT_CONFIG = 2
OLD_CARD = 1234567890123456789
INSERT_V1_JOB = """
INSERT INTO jobs (requester_id, guild_id, channel_id, source, status, motion, quality, prompt,
                  image_url, locale, progress, provider_task_id, clip_urls, card_message_id,
                  created_at, updated_at, submitted_at, finished_at, delivered_at)
VALUES (?, ?, ?, 'slash', ?, 'low', '480p', ?, 'https://cdn.example/cat.png', 'en-US', ?, ?, ?, ?,
        ?, ?, ?, ?, ?)
"""
LOCK_SECONDS = 1.0


def build_version_1_database(path: Path, rows: list[tuple[object, ...]]) -> None:
    """Create a database as Motionbot's first release left it: only migration 0001, with ``rows``."""
    script = (
        importlib.resources.files("bot.store") / "migrations" / "sqlite" / "0001_initial.sql"
    ).read_text(encoding="utf-8")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(script)
        conn.execute("PRAGMA user_version = 1")
        conn.executemany(INSERT_V1_JOB, rows)
        conn.commit()


def schema_version(path: Path) -> int:
    """Return the database's ``PRAGMA user_version``."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def v1_rows(discord: DiscordDouble, running_task: str, earlier: dt.datetime) -> list[tuple[object, ...]]:
    """Return two version-1 rows of alice's in #general: a delivered job and one still running."""
    user, guild, channel = discord.alice.id, discord.guild.id, discord.general.id
    at, now = encode_time(earlier), encode_time(utcnow())
    clips = json.dumps([f"https://cdn.example/old/{n}.mp4" for n in range(4)])
    # created, updated, submitted, finished and delivered ten minutes ago
    delivered = ("delivered", "an old delivered job", 100, "1700000000000001", clips, OLD_CARD, *[at] * 5)
    running = ("running", "an old running job", 40, running_task, "[]", None, at, now, at, None, None)
    return [(user, guild, channel, *row) for row in (delivered, running)]


async def test_a_database_from_schema_version_1_is_migrated_on_start_and_its_jobs_survive(
    tmp_path: Path,
) -> None:
    """Only 0001 applied: the bot migrates it, keeps a delivered job as it was and resumes a running one."""
    earlier = utcnow() - dt.timedelta(minutes=10)
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        running_task = comet.add_task(plan=TaskPlan(duration=0))
        database = tmp_path / "motionbot.sqlite3"
        build_version_1_database(database, v1_rows(discord, running_task, earlier))
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            store = bot.services.store
            delivered = await _wait_stored(store, 2, JobStatus.DELIVERED)
            old = await store.get_job(1)
            usage = await store.usage_today(discord.guild.id, discord.alice.id)

    assert schema_version(database) == len(load_migrations())
    assert old is not None and old.status is JobStatus.DELIVERED and old.prompt == "an old delivered job"
    assert old.delivered_at == earlier and len(old.clip_urls) == 4 and old.card_message_id == OLD_CARD
    assert delivered.provider_task_id == running_task and delivered.prompt == "an old running job"
    (card,) = [m for m in discord.bot_messages() if clip_job_ids(m)]
    assert clip_job_ids(card) == {2} and delivered.card_message_id == card.id  # no card yet: posted anew
    assert usage.user_today == 1  # the usage table that 0002 added counts it


async def _wait_stored(store: JobStore, job_id: int, status: JobStatus, timeout: float = 10.0) -> Job:
    async with asyncio.timeout(timeout):
        while (job := await store.get_job(job_id)) is None or job.status is not status:
            await asyncio.sleep(0.02)
    return job


def _random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _damaged_sqlite(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE filler (text TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 200,) for _ in range(500)])
        conn.commit()
    with path.open("r+b") as file:
        file.seek(4096 * 3)
        file.write(_random_bytes(4096 * 4, seed=5))


def _offline_settings(database: Path) -> dict[str, object]:
    """Settings for a start that must stop before any network use."""
    return {
        "discord_token": "MTQwMDAwMDAwMDAwMDAwMDAw.offline.token",
        "cometapi_key": TEST_API_KEY,
        "cometapi_base_url": "http://127.0.0.1:9",
        "discord_api_base_url": "http://127.0.0.1:9/api/v10",
        "discord_gateway_url": "ws://127.0.0.1:9/gateway",
        "database_path": database,
    }


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        (
            lambda path: path.write_bytes(_random_bytes(8192, seed=1)),
            "is damaged or is not an SQLite database",
        ),
        (_damaged_sqlite, "is damaged or is not an SQLite database"),
    ],
    ids=["random-bytes", "damaged-pages"],
)
async def test_a_corrupt_database_file_is_refused_at_start_with_one_line_and_exit_2(
    tmp_path: Path, prepare: Callable[[Path], object], expected: str
) -> None:
    """`python -m bot` on a corrupt file: exit 2, one stderr line naming it and the fix, no traceback."""
    database = tmp_path / "motionbot.sqlite3"
    prepare(database)
    before = database.read_bytes()
    result = await asyncio.to_thread(run_bot_to_exit, _offline_settings(database), tmp_path)
    assert result.returncode == EXIT_CONFIG
    (line,) = result.stderr.splitlines()
    assert str(database) in line and expected in line and "restore it from a backup" in line
    assert "Traceback" not in result.stderr and TEST_API_KEY not in result.stderr
    assert database.read_bytes() == before  # refused untouched


@pytest.mark.parametrize(
    "below", ["motionbot.sqlite3", "data/motionbot.sqlite3"], ids=["file-as-folder", "file-as-grandparent"]
)
async def test_an_unwritable_database_path_is_refused_at_start_with_one_line_and_exit_2(
    tmp_path: Path, below: str
) -> None:
    """DATABASE_PATH under a regular file (root ignores chmod, not this): exit 2, one line, no traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    database = blocker / below
    result = await asyncio.to_thread(run_bot_to_exit, _offline_settings(database), tmp_path)
    assert result.returncode == EXIT_CONFIG
    (line,) = result.stderr.splitlines()
    assert str(blocker) in line and "DATABASE_PATH" in line and "writable folder" in line
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "a regular file"


async def test_a_job_finishing_while_another_process_holds_the_write_lock_is_still_stored_and_delivered(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock for ~1 s as a job finishes: the write waits, nothing is lost."""
    async with make_world(tmp_path) as world:
        world.comet.default_plan = TaskPlan(duration=600, initial_fraction=0.0)
        await world.animate()
        job = await world.wait_job(lambda j: j.status is JobStatus.RUNNING)
        database = world.settings.database_path
        async with write_lock_held(database) as holder:
            finished_at = time.monotonic()
            world.comet.finish(job.provider_task_id or "")
            await _wait_poll_after(world.comet, finished_at)
            await asyncio.sleep(LOCK_SECONDS)  # the scenario: the lock stays taken while the bot wants it
            while_locked = {stored.id: stored.status for stored in await read_jobs(database)}
            released = await holder.release()
        delivered = await world.wait_delivered(job.id)
        usage = await world.store.usage_today(job.guild_id, job.requester_id)
        card = world.discord.state.messages[job.card_message_id or 0]

    assert while_locked[job.id] is JobStatus.RUNNING  # the result was known, its write still waiting
    assert delivered.finished_at is not None and delivered.finished_at.timestamp() >= released
    assert usage.user_today == 1
    assert clip_job_ids(card) == {job.id} and len(card.files) == 4


async def _wait_poll_after(comet: CometAPIDouble, moment: float, timeout: float = 5.0) -> None:
    """Wait until the bot polled the provider after ``moment`` (the double has no request feed)."""
    async with asyncio.timeout(timeout):
        while not any(r.at > moment and r.endpoint in ("list", "fetch") for r in comet.request_log):
            await asyncio.sleep(0.01)
