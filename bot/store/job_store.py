"""The job store: jobs, their spend ledger, per-server settings and meta values, on SQLite or PostgreSQL.

One class for both engines: every method says once what it checks and changes, and the engine
(``bot.store.sqlite.engine`` or ``bot.store.postgres.engine``) runs it in one transaction with its own
dialect's statements. Each transition checks the job's status and updates it in that transaction;
on PostgreSQL the check locks the job's row, so it is race-free across processes too.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.models import utcnow
from bot.store.consents import ConsentRequests
from bot.store.deletions import JobDeletions
from bot.store.engine import Engine
from bot.store.errors import StoreError
from bot.store.fences import JobFences
from bot.store.leases import JobLeases
from bot.store.ledger import JobLedger
from bot.store.partial_deliveries import PartialDeliveries
from bot.store.postgres.engine import PostgresEngine
from bot.store.queries import JobQueries
from bot.store.spend_reports import SpendReports
from bot.store.sqlite.engine import SerialConnection
from bot.store.transfer import Snapshot, read_snapshot, write_snapshot

DEFAULT_BUSY_TIMEOUT_MS = 5000
DEFAULT_LOCK_RETRY_SECONDS = 30.0
DEFAULT_LEASE_SECONDS = 30.0


def default_lease_owner() -> str:
    """Return ``host:pid:random``: unique per process, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class JobStore(
    JobDeletions,
    PartialDeliveries,
    JobFences,
    JobQueries,
    JobLedger,
    JobLeases,
    SpendReports,
    ConsentRequests,
):
    """Jobs, their spend ledger and its reports, per-server settings, meta values and requests for consent.

    Create it with ``await JobStore.open(path)`` (SQLite) or ``await JobStore.open_postgres(url)``, and
    ``await store.close()`` on shutdown (or use it as an async context manager). Every method returns
    frozen records from ``bot.models``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], dt.datetime],
        lease_owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        """Wrap an open, migrated engine; use ``JobStore.open`` or ``JobStore.open_postgres`` instead."""
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, not {lease_seconds}")
        self._db = engine
        self._clock = clock
        self._lease_owner = lease_owner or default_lease_owner()
        self._lease_seconds = lease_seconds

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        lock_retry_seconds: float = DEFAULT_LOCK_RETRY_SECONDS,
        lease_owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> JobStore:
        """Open (creating folder and file if needed) and migrate the SQLite database at ``path``.

        ``clock`` supplies "now" (aware UTC) for timestamps and the usage day. ``busy_timeout_ms`` is
        how long SQLite itself waits for another process's lock; a write still locked after that is
        retried with backoff for up to ``lock_retry_seconds``. Raises ``StoreError`` for a damaged
        file, an unwritable path or a database from a newer Motionbot.
        """
        engine = await SerialConnection.open(
            Path(path), busy_timeout_ms=busy_timeout_ms, lock_retry_seconds=lock_retry_seconds
        )
        return cls(engine, clock=clock, lease_owner=lease_owner, lease_seconds=lease_seconds)

    @classmethod
    async def open_postgres(
        cls,
        url: str,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        lease_owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        min_connections: int = 1,
        max_connections: int = 10,
    ) -> JobStore:
        """Connect to the PostgreSQL database at ``url`` and migrate it (one process at a time).

        Raises ``StoreError`` in one line naming the server (never the password) and what to do when
        the server is unreachable, refuses the login, lacks the database or has a newer schema.
        """
        engine = await PostgresEngine.open(
            url, min_connections=min_connections, max_connections=max_connections
        )
        return cls(engine, clock=clock, lease_owner=lease_owner, lease_seconds=lease_seconds)

    @property
    def engine(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.name

    @property
    def shared(self) -> bool:
        """True when other processes may use the same store (PostgreSQL)."""
        return self._db.shared

    @property
    def path(self) -> Path:
        """Return the SQLite database file path (``StoreError`` on PostgreSQL, which has no file)."""
        if not isinstance(self._db, SerialConnection):
            raise StoreError(f"the {self.describe()} job store has no file path")
        return self._db.path

    def describe(self) -> str:
        """Name the store for messages: ``database data/x.sqlite3`` or ``PostgreSQL db@host:port``."""
        return self._db.describe()

    async def export_snapshot(self) -> Snapshot:
        """Read this SQLite store whole, to move it (``TransferRefused`` while a job is unfinished)."""
        return await read_snapshot(self._db)

    async def import_snapshot(self, snapshot: Snapshot) -> None:
        """Copy ``snapshot`` into this empty PostgreSQL store, in one transaction (``TransferRefused``)."""
        await write_snapshot(self._db, snapshot)

    async def close(self) -> None:
        """Close every connection; safe to call twice. Later calls raise ``StoreError``."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
