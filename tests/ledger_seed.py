"""Ledger rows written by the tests themselves, with raw SQL through an engine they open, on either engine.

The reports read the ledger admission writes; these tests seed it directly so that what a report shows
follows from rows they chose (a released row, another server's, a day outside the window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.store import DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_LOCK_RETRY_SECONDS
from bot.store.engine import Engine, Tx
from bot.store.postgres.engine import PostgresEngine
from bot.store.sqlite.engine import SerialConnection

INSERT_SQLITE = """
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at, settled_at)
VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_POSTGRES = """
INSERT INTO ledger (job_id, person_id, guild_id, day, month, units, amount, state, created_at, settled_at)
VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


@dataclass(frozen=True)
class Entry:
    """One ledger row: a job's units and amount (millionths of the currency) on a UTC day."""

    person_id: int
    guild_id: int
    day: dt.date
    amount: int
    units: int = 1
    state: str = "charged"

    def params(self) -> tuple[object, ...]:
        admitted = dt.datetime.combine(self.day, dt.time(12), tzinfo=dt.UTC)
        settled = None if self.state == "reserved" else admitted
        month = self.day.strftime("%Y-%m")
        return (
            self.person_id,
            self.guild_id,
            self.day,
            month,
            self.units,
            self.amount,
            self.state,
            admitted,
            settled,
        )


async def insert_entries(engine: Engine, entries: Iterable[Entry]) -> None:
    """Write ``entries`` in one transaction of ``engine`` (the store's own, or one the test opened)."""
    statement = INSERT_SQLITE if engine.name == "sqlite" else INSERT_POSTGRES
    rows = [entry.params() for entry in entries]

    async def work(tx: Tx) -> None:
        for params in rows:
            await tx.execute(statement, params)

    await engine.write(work)


@asynccontextmanager
async def opened_engine(engine: str, where: str) -> AsyncIterator[Engine]:
    """An engine of its own on the SQLite file or PostgreSQL database ``where`` (migrated), closed after."""
    opened: Engine
    if engine == "sqlite":
        retry = DEFAULT_LOCK_RETRY_SECONDS
        opened = await SerialConnection.open(
            Path(where), busy_timeout_ms=DEFAULT_BUSY_TIMEOUT_MS, lock_retry_seconds=retry
        )
    else:
        opened = await PostgresEngine.open(where, min_connections=1, max_connections=1)
    try:
        yield opened
    finally:
        await opened.close()


async def seed_ledger(engine: str, where: str, entries: Iterable[Entry]) -> None:
    """Write ``entries`` into the store at ``where`` through an engine opened for it."""
    async with opened_engine(engine, where) as opened:
        await insert_entries(opened, entries)
