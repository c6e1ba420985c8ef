"""The single owner of the store's aiosqlite connection: serialised use, transactions, lock retries.

Every operation runs under one ``asyncio.Lock``: writes so that a multi-statement transition is
atomic, reads so they never see another task's half-finished transaction on the shared connection.
A write that meets another process's lock (a backup, the CLI) is retried with backoff, never lost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import aiosqlite
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception, stop_after_delay
from tenacity.wait import wait_exponential_jitter

from bot.models import Job
from bot.store_errors import StoreError
from bot.store_rows import job_from_row
from bot.store_schema import is_lock_error

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]


class SerialConnection:
    """One aiosqlite connection used by one task at a time, with explicit write transactions."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, lock_retry_seconds: float) -> None:
        """Take ownership of ``conn``, an open connection to ``path`` in autocommit mode."""
        self._conn: aiosqlite.Connection | None = conn
        self._path = path
        self._lock_retry_seconds = lock_retry_seconds
        self._lock = asyncio.Lock()

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` alone on the connection, outside any transaction."""
        return await self._run(work, write=False)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` alone on the connection in one ``BEGIN IMMEDIATE`` transaction."""
        return await self._run(work, write=True)

    async def close(self) -> None:
        """Let SQLite refresh its planner statistics, then close the connection (idempotent)."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                await conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:
                log.warning("PRAGMA optimize failed while closing %s: %s", self._path, exc)
            finally:
                await conn.close()

    async def _run(self, work: Work[T], *, write: bool) -> T:
        async with self._lock:
            conn = self._connection()
            try:
                result: T = await self._retrying()(self._attempt, conn, work, write)
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                raise StoreError(
                    f"the database file {self._path} stayed locked by another process for more than "
                    f"{self._lock_retry_seconds:g} s ({exc}); the change was not saved"
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
    async def _attempt(conn: aiosqlite.Connection, work: Work[T], write: bool) -> T:
        if not write:
            return await work(conn)
        try:
            # BEGIN sits inside the try: a cancellation that lands just after it still rolls back.
            await conn.execute("BEGIN IMMEDIATE")
            result = await work(conn)
            await conn.commit()
        except BaseException:
            # rollback() is a no-op when SQLite already ended the transaction.
            await conn.rollback()
            raise
        return result

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError(f"the job store for {self._path} is closed")
        return self._conn


async def execute(conn: aiosqlite.Connection, statement: str, params: Sequence[object]) -> None:
    """Run one statement whose result is not needed."""
    await conn.execute(statement, params)


async def fetch_job(conn: aiosqlite.Connection, statement: str, params: Sequence[object]) -> Job | None:
    """Return the job in the first row ``statement`` yields, or None."""
    rows = await conn.execute_fetchall(statement, params)
    return next((job_from_row(row) for row in rows), None)


async def fetch_jobs(conn: aiosqlite.Connection, statement: str, params: Sequence[object]) -> list[Job]:
    """Return the jobs in every row ``statement`` yields."""
    return [job_from_row(row) for row in await conn.execute_fetchall(statement, params)]
