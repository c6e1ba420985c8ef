"""Which job store a process uses: the SQLite file at DATABASE_PATH, or PostgreSQL at DATABASE_URL.

The one place that opens the store from the settings (``run``, ``sync``, ``doctor`` and ``jobs`` all
come here), and the one place that describes the database in messages without its password.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

import asyncpg

from bot.instance_lock import instance_lock
from bot.logs import RedactingFilter
from bot.settings import Settings
from bot.store import DEFAULT_BUSY_TIMEOUT_MS, JobStore, StoreError

# What a driver may raise when the server cannot be reached or refuses us, before the store wraps it.
UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def open_store(settings: Settings) -> JobStore:
    """Open the configured job store; a PostgreSQL server that cannot be used is a ``StoreError``."""
    if not settings.uses_postgres:
        return await _open_sqlite(settings)
    url = settings.database_url.get_secret_value()
    try:
        store = await JobStore.open_postgres(url, lease_seconds=settings.lease_seconds)
    except UNREACHABLE as exc:
        raise StoreError(unreachable_message(settings, exc)) from None
    return store


async def _open_sqlite(settings: Settings) -> JobStore:
    # The configured lock patience; SQLite's own wait never exceeds it.
    retry = settings.database_lock_retry_seconds
    busy_ms = min(DEFAULT_BUSY_TIMEOUT_MS, int(retry * 1000))
    return await JobStore.open(settings.database_path, busy_timeout_ms=busy_ms, lock_retry_seconds=retry)


def instance_guard(settings: Settings) -> contextlib.AbstractContextManager[object]:
    """Return what ``run`` holds while it runs: the SQLite file's instance lock, or nothing on PostgreSQL.

    Two bots on one SQLite file would both act on every event; on PostgreSQL several processes share
    the jobs through leases in the database, which is the point of using it.
    """
    if settings.uses_postgres:
        return contextlib.nullcontext()
    return instance_lock(settings.database_path)


def describe_database(settings: Settings) -> str:
    """Name the database for messages: ``database data/x.sqlite3`` or ``PostgreSQL db@host:port``."""
    if not settings.uses_postgres:
        return f"database {settings.database_path}"
    url = urlsplit(settings.database_url.get_secret_value())
    name = url.path.lstrip("/") or url.username or "postgres"
    try:
        port = url.port or 5432
    except ValueError:  # a port that is not a number: asyncpg will say so
        port = 5432
    return f"PostgreSQL {name}@{url.hostname or 'localhost'}:{port}"


def unreachable_message(settings: Settings, exc: BaseException) -> str:
    """One line for a PostgreSQL server that cannot be used, with the fix and never the password."""
    text = RedactingFilter(settings.secret_values).redact(str(exc).strip())
    reason = text.splitlines()[0] if text else ""
    detail = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return (
        f"the {describe_database(settings)} cannot be used ({detail}); check DATABASE_URL "
        "(host, port, user, password, database name) and that the server is running and reachable"
    )
