"""The SQLite engine: the owner of the store's two aiosqlite connections, one writer and one reader.

Writes run one at a time on the writer connection, each in a ``BEGIN IMMEDIATE`` transaction, so a
multi-statement transition is atomic; a write that meets another process's lock (a backup, the CLI)
is retried with backoff, never lost. Reads run on a separate query-only connection, each in one read
transaction: the database is in WAL mode, so a read never waits for a write (ours or another
process's) and sees every write committed before it began.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import aiosqlite
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception, stop_after_delay
from tenacity.wait import wait_exponential_jitter

from bot.store.engine import Statements, Work
from bot.store.errors import StoreError
from bot.store.migrations import load_migrations
from bot.store.rows import Row, encode_time
from bot.store.sqlite import sql as sqlite_sql
from bot.store.sqlite.schema import connect, connect_reader, is_lock_error, migrate

log = logging.getLogger(__name__)

T = TypeVar("T")


def sqlite_value(value: object) -> object:
    """Return ``value`` as SQLite stores it: times as ISO text, days as ``YYYY-MM-DD``, lists as JSON."""
    if isinstance(value, dt.datetime):
        return encode_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        # SQLite has no arrays: the statements read a list with json_each.
        return json.dumps(list(value))
    return value


class SqliteTx:
    """A transaction on one aiosqlite connection (``Tx``); ``conn`` is the raw connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    @property
    def sql(self) -> Statements:
        """SQLite's statement texts."""
        return sqlite_sql

    async def rows(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        """Run ``statement`` and return every row it yields."""
        return list(await self.conn.execute_fetchall(statement, [sqlite_value(p) for p in params]))

    async def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        """Run ``statement`` whose rows are not needed."""
        await self.conn.execute(statement, [sqlite_value(p) for p in params])

    async def lock(self, key: int) -> None:
        """Nothing to take: a write transaction (BEGIN IMMEDIATE) already excludes every other writer."""


class _Lane:
    """One connection and the lock that lets one task at a time use it."""

    def __init__(self, conn: aiosqlite.Connection, begin: str, failed: str) -> None:
        self.conn: aiosqlite.Connection | None = conn
        self.lock = asyncio.Lock()
        self.begin = begin  # the statement that opens this lane's transactions
        self.failed = failed  # what a lock that never cleared means for the caller


class SerialConnection:
    """The writer and the reader connection of one database file, with explicit transactions (``Engine``)."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        *,
        lock_retry_seconds: float,
        reader: aiosqlite.Connection,
    ) -> None:
        """Take ownership of ``conn`` (the writer) and ``reader`` (query-only), both in autocommit mode.

        Both must reach the same WAL-mode file: ``bot.store.sqlite.schema.configure`` refuses ``:memory:`` and
        any other database that is not in WAL mode, so two connections always share their data.
        """
        self._path = path
        self._lock_retry_seconds = lock_retry_seconds
        self._writer = _Lane(conn, "BEGIN IMMEDIATE", "the change was not saved")
        self._reader = _Lane(reader, "BEGIN", "nothing was read")

    @classmethod
    async def open(cls, path: Path, *, busy_timeout_ms: int, lock_retry_seconds: float) -> SerialConnection:
        """Open (creating if needed), check and migrate the file at ``path``; ``StoreError`` if it cannot."""
        conn = await connect(path, busy_timeout_ms=busy_timeout_ms)
        try:
            await migrate(conn, path, load_migrations("sqlite"))
            reader = await connect_reader(path, busy_timeout_ms=busy_timeout_ms)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path, lock_retry_seconds=lock_retry_seconds, reader=reader)

    @property
    def name(self) -> str:
        """The engine's name."""
        return "sqlite"

    @property
    def shared(self) -> bool:
        """One process at a time (the instance lock guards the file)."""
        return False

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def describe(self) -> str:
        """Name the database file for messages."""
        return f"database {self._path}"

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` alone on the reader, in one read transaction (one consistent snapshot).

        It never queues behind a write and sees every write that committed before it started.
        """
        return await self._run(self._reader, work)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` alone on the writer in one ``BEGIN IMMEDIATE`` transaction."""
        return await self._run(self._writer, work)

    async def close(self) -> None:
        """Close the reader, let SQLite refresh its planner statistics, close the writer (idempotent)."""
        async with self._reader.lock:
            reader, self._reader.conn = self._reader.conn, None
            if reader is not None:
                await reader.close()
        async with self._writer.lock:
            conn, self._writer.conn = self._writer.conn, None
            if conn is None:
                return
            try:
                await conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:
                log.warning("PRAGMA optimize failed while closing %s: %s", self._path, exc)
            finally:
                await conn.close()

    async def _run(self, lane: _Lane, work: Work[T]) -> T:
        async with lane.lock:
            conn = self._connection(lane)
            try:
                result: T = await self._retrying()(self._attempt, SqliteTx(conn), work, lane.begin)
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                raise StoreError(
                    f"the database file {self._path} stayed locked by another process for more than "
                    f"{self._lock_retry_seconds:g} s ({exc}); {lane.failed}"
                ) from exc
            return result

    def _retrying(self) -> AsyncRetrying:
        """Retry only lock conflicts: SQLite's own busy timeout already waited before each one."""
        return AsyncRetrying(
            retry=retry_if_exception(is_lock_error),
            wait=wait_exponential_jitter(multiplier=0.01, max=0.5, jitter=0.01),
            stop=stop_after_delay(self._lock_retry_seconds),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )

    @staticmethod
    async def _attempt(tx: SqliteTx, work: Work[T], begin: str) -> T:
        try:
            # BEGIN sits inside the try: a cancellation that lands just after it still rolls back.
            await tx.conn.execute(begin)
            result = await work(tx)
            await tx.conn.commit()
        except BaseException:
            # rollback() is a no-op when SQLite already ended the transaction.
            await tx.conn.rollback()
            raise
        return result

    def _connection(self, lane: _Lane) -> aiosqlite.Connection:
        if lane.conn is None:
            raise StoreError(f"the job store for {self._path} is closed")
        return lane.conn
