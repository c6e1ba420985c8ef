"""Which job store a process uses: the SQLite file at DATABASE_PATH, or PostgreSQL at DATABASE_URL.

The one place that opens the store from the settings (``run``, ``sync`` and ``jobs`` come here;
``doctor`` only inspects it, changing nothing), and the one place that describes the database in
messages without its password.
"""

from __future__ import annotations

import contextlib

from bot.settings import Settings
from bot.store.inspection import Inspection, inspect_postgres, inspect_sqlite
from bot.store.job_store import DEFAULT_BUSY_TIMEOUT_MS, JobStore
from bot.store.postgres.schema import describe_url
from bot.store.sqlite.instance_lock import instance_lock


async def open_store(settings: Settings) -> JobStore:
    """Open the configured job store; a PostgreSQL server that cannot be used is a one-line ``StoreError``."""
    if not settings.uses_postgres:
        return await _open_sqlite(settings)
    url = settings.database_url.get_secret_value()
    return await JobStore.open_postgres(url, lease_seconds=settings.lease_seconds)


async def _open_sqlite(settings: Settings) -> JobStore:
    # The configured lock patience; SQLite's own wait never exceeds it.
    retry = settings.database_lock_retry_seconds
    busy_ms = min(DEFAULT_BUSY_TIMEOUT_MS, int(retry * 1000))
    return await JobStore.open(settings.database_path, busy_timeout_ms=busy_ms, lock_retry_seconds=retry)


async def inspect_database(settings: Settings) -> Inspection:
    """Return what the configured database holds, leaving it exactly as it is (for ``doctor``)."""
    if not settings.uses_postgres:
        return await inspect_sqlite(settings.database_path)
    return await inspect_postgres(settings.database_url.get_secret_value())


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
    return describe_url(settings.database_url.get_secret_value())
