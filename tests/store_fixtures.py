"""The job store under test, on each engine: every store test runs on SQLite and on PostgreSQL.

``store_target`` is parametrized by engine; ``open_store(**options)`` opens a ``JobStore`` on it (as
often as a test likes: two stores on one target stand for two processes sharing it), and ``store``
is one such store on the test's ``clock``. Everything opened is closed after the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.models import (
    ConsentRequest,
    ConsentStatus,
    GuildSettings,
    JobSource,
    Motion,
    NewJob,
    Quality,
    utcnow,
)
from bot.store import DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_LOCK_RETRY_SECONDS, JobStore
from bot.store.sqlite.engine import SerialConnection

START = dt.datetime(2025, 3, 1, 23, 50, tzinfo=dt.UTC)
PLUS_SEVEN = dt.timezone(dt.timedelta(hours=7))
USER, OTHER_USER = 1001, 1002
GUILD, OTHER_GUILD = 2001, 2002
ENGINES = ["sqlite", "postgresql"]

OpenStore = Callable[..., Awaitable[JobStore]]


class FakeClock:
    """A clock the test moves by hand; it reports time in UTC+7 to prove the store converts."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(PLUS_SEVEN)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def sample_job(**changes: object) -> NewJob:
    base = NewJob(
        requester_id=USER,
        guild_id=GUILD,
        channel_id=3001,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="a cat walks",
        image_url="https://cdn.example/cat.png",
    )
    return dataclasses.replace(base, **changes)


def consent_request(**changes: object) -> ConsentRequest:
    """A request by USER to animate OTHER_USER's image in GUILD, due ten minutes after START."""
    request = ConsentRequest(
        id=0,
        guild_id=GUILD,
        channel_id=3001,
        source_message_id=4001,
        poster_id=OTHER_USER,
        requester_id=USER,
        source=JobSource.REACTION,
        locale="vi",
        status=ConsentStatus.PENDING,
        created_at=START,
        expires_at=START + dt.timedelta(minutes=10),
    )
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


async def sqlite_store_and_engine(
    path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> tuple[JobStore, SerialConnection]:
    """A store on an SQLite engine the test holds too, to run its own statements in the engine's read and
    write transactions and see its connections (the store keeps its engine to itself). Closing the
    store closes the engine."""
    engine = await SerialConnection.open(
        path, busy_timeout_ms=busy_timeout_ms, lock_retry_seconds=DEFAULT_LOCK_RETRY_SECONDS
    )
    return JobStore(engine, clock=utcnow), engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(params=ENGINES)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(engine, where): an SQLite file path, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "data" / "motionbot.sqlite3")
    return "postgresql", str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(store_target: tuple[str, str]) -> str:
    return store_target[0]


@pytest.fixture
async def open_store(store_target: tuple[str, str], clock: FakeClock) -> AsyncIterator[OpenStore]:
    opened: list[JobStore] = []

    async def open_one(**options: object) -> JobStore:
        options.setdefault("clock", clock)
        engine, where = store_target
        if engine == "sqlite":
            store = await JobStore.open(where, **options)  # type: ignore[arg-type]
        else:
            store = await JobStore.open_postgres(where, **options)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> JobStore:
    return await open_store()


async def save_settings(store: JobStore, settings: GuildSettings) -> None:
    """Give a server exactly ``settings``, written the way the bot writes them (``update_guild_settings``)."""
    await store.update_guild_settings(settings.guild_id, lambda _current: settings)
