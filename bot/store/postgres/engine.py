"""The PostgreSQL engine: a pool of asyncpg connections shared by the tasks of one process.

Several processes may use one database at once, so every write is made race-free in the database
itself, not in this process: a transition locks its job row (``SELECT … FOR UPDATE``) before it
checks the status, and writes that must be serialised across processes (the duplicate check of one
source message, the dispatch) take a transaction advisory lock. Reads run in read-only REPEATABLE
READ transactions, so a read of several statements sees one snapshot, as on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final, TypeVar

import asyncpg
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from bot.store.engine import Statements, Work
from bot.store.errors import StoreError
from bot.store.migrations import load_migrations
from bot.store.postgres import sql as postgres_sql
from bot.store.postgres.schema import (
    DRIVER_ERRORS,
    create_pool,
    describe_connect_failure,
    describe_url,
    migrate,
    one_line,
    url_password,
)
from bot.store.rows import Row

log = logging.getLogger(__name__)

T = TypeVar("T")

# Two transactions that lock rows in different orders: PostgreSQL aborts one, which is simply run again.
_RETRIED = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
# The server went away (restart, admin shutdown, network): the caller gets one clear StoreError, and the
# pool opens a fresh connection for the next unit of work.
_LOST = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


class PostgresTx:
    """A transaction on one pooled asyncpg connection (``Tx``)."""

    def __init__(self, conn: asyncpg.pool.PoolConnectionProxy) -> None:
        self.conn = conn

    @property
    def sql(self) -> Statements:
        """PostgreSQL's statement texts."""
        return postgres_sql

    async def rows(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        """Run ``statement`` and return every row it yields."""
        return list(await self.conn.fetch(statement, *params))

    async def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        """Run ``statement`` whose rows are not needed."""
        await self.conn.execute(statement, *params)

    async def lock(self, key: int) -> None:
        """Take the transaction advisory lock ``key``: other processes asking for it wait until we commit."""
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", key)


class PostgresEngine:
    """A pool of connections to one PostgreSQL database (``Engine``)."""

    def __init__(self, pool: asyncpg.Pool, target: str) -> None:
        """Take ownership of an open pool on a migrated database; use ``PostgresEngine.open``."""
        self._pool: asyncpg.Pool | None = pool
        self._target = target

    @classmethod
    async def open(cls, url: str, *, min_connections: int, max_connections: int) -> PostgresEngine:
        """Connect to ``url`` and migrate; ``StoreError`` (one line, no password) if that fails."""
        target = describe_url(url)
        pool = await create_pool(url, target, min_size=min_connections, max_size=max_connections)
        try:
            await migrate(pool, target, load_migrations("postgres"))
        except DRIVER_ERRORS as exc:  # a lost connection, a missing privilege: one line, like connecting
            await pool.close()
            raise StoreError(describe_connect_failure(target, exc, secret=url_password(url))) from None
        except BaseException:
            await pool.close()
            raise
        return cls(pool, target)

    @property
    def name(self) -> str:
        """The engine's name."""
        return "postgresql"

    @property
    def shared(self) -> bool:
        """Other processes may use the same database at the same time."""
        return True

    def describe(self) -> str:
        """``PostgreSQL db@host:port``."""
        return self._target

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in one read-only REPEATABLE READ transaction (one snapshot)."""
        return await self._run(work, readonly=True)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in one READ COMMITTED transaction; a deadlock victim is run again."""
        return await self._run(work, readonly=False)

    async def close(self) -> None:
        """Close the pool; safe to call twice."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _run(self, work: Work[T], *, readonly: bool) -> T:
        try:
            async for attempt in self._retrying():
                with attempt:
                    return await self._attempt(work, readonly=readonly)
        except _LOST as exc:
            raise StoreError(
                f"lost the connection to {self._target} ({one_line(exc)}); "
                f"{'nothing was read' if readonly else 'the change was not saved'}"
            ) from exc
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    async def _attempt(self, work: Work[T], *, readonly: bool) -> T:
        isolation: Final = "repeatable_read" if readonly else "read_committed"
        async with (
            self._connected().acquire() as conn,
            conn.transaction(isolation=isolation, readonly=readonly),
        ):
            return await work(PostgresTx(conn))

    def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError(f"the job store for {self._target} is closed")
        return self._pool

    @staticmethod
    def _retrying() -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception_type(_RETRIED),
            wait=wait_exponential_jitter(multiplier=0.01, max=0.5, jitter=0.01),
            stop=stop_after_attempt(5),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
