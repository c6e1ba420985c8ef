"""Looking at a database without changing it: what ``doctor`` reports, on either engine.

Opening a ``JobStore`` creates the SQLite file, migrates and switches it to WAL, and creates every
table in an empty PostgreSQL database; an empty PostgreSQL database is what ``move-to-postgres``
needs, and a check must not change what it checks. So these functions read the schema version and
prove writes are possible in ways that leave no trace: SQLite is opened read-only (``immutable``
while no process has the file open, so not even a ``-wal``/``-shm`` file appears) and its
permissions are read from the file system; PostgreSQL proves its writes in a transaction that is
always rolled back.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.store.errors import StoreError
from bot.store.migrations import load_migrations, newer_schema_message
from bot.store.postgres.schema import (
    CONNECT_TIMEOUT_SECONDS,
    DRIVER_ERRORS,
    describe_connect_failure,
    describe_url,
    one_line,
    url_password,
)
from bot.store.sqlite.schema import describe_open_failure

# Created, then rolled back with the rest of the probe: never seen by anyone.
_PROBE_TABLE = "CREATE TABLE motionbot_doctor_probe (id INTEGER)"
_PROBE_WRITE = "INSERT INTO meta (key, value) VALUES ('doctor-probe', '') ON CONFLICT (key) DO NOTHING"
_MIGRATIONS_TABLE = "SELECT to_regclass('schema_migrations') IS NOT NULL"
_APPLIED = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a database holds, seen without changing it.

    ``exists`` is False for an SQLite file not created yet; ``version`` counts the migrations applied
    (0: no Motionbot tables yet) out of ``latest``; ``unwritable`` says why the bot could not write
    there, or is empty when it can.
    """

    exists: bool
    version: int
    latest: int
    unwritable: str = ""

    @property
    def empty(self) -> bool:
        """Return True when the bot will create every table at its first start."""
        return self.version == 0


class _RollBack(Exception):  # noqa: N818 - a signal that ends the probe's transaction, never escapes
    """Ends the write probe's transaction by rolling it back."""


async def inspect_sqlite(path: Path) -> Inspection:
    """Return what the SQLite file at ``path`` holds; ``StoreError`` when it is damaged or too new.

    A missing file stays missing; an existing one is only read.
    """
    return await asyncio.to_thread(_inspect_sqlite, path)


def _inspect_sqlite(path: Path) -> Inspection:
    latest = len(load_migrations("sqlite"))
    if path.is_dir():
        raise StoreError(f"the database path {path} is a folder; point DATABASE_PATH at a file inside it")
    if not path.exists():
        return Inspection(exists=False, version=0, latest=latest, unwritable=_folder_problem(path))
    version = _read_sqlite_version(path)
    if version > latest:
        raise StoreError(newer_schema_message(f"database file {path}", version, latest))
    return Inspection(exists=True, version=version, latest=latest, unwritable=_file_problem(path))


def _read_sqlite_version(path: Path) -> int:
    """Check the file's integrity and return ``PRAGMA user_version``, writing nothing at all."""
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(describe_open_failure(path, exc)) from exc
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreError(describe_open_failure(path, exc)) from exc
    finally:
        conn.close()
    if problems != ["ok"]:
        first = " ".join(str(problems[0]).split())
        raise StoreError(
            f"the database file {path} failed its integrity check ({first}); "
            "restore it from a backup, or move it aside so a new empty database is created"
        )
    return version


def _read_only_uri(path: Path) -> str:
    """Return the URI that opens ``path`` for reading only, creating no file beside it.

    A read-only connection to a WAL database creates ``-wal``/``-shm`` files it cannot remove. While
    no ``-wal`` exists no process has the file open (SQLite removes it on the last close), so the file
    is complete and is read as immutable; otherwise a running bot's journal must be read with it.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    return uri if wal.exists() else f"{uri}&immutable=1"


def _file_problem(path: Path) -> str:
    """Return why the bot could not write the file (it and its journal files), or ``""``."""
    if not os.access(path, os.W_OK):
        return f"this user may not write the file {path}"
    return _folder_problem(path)


def _folder_problem(path: Path) -> str:
    """Return why the bot could not create files beside ``path`` (the file, its journal), or ``""``.

    A folder that does not exist yet is created at start, inside the nearest folder that does.
    """
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return f"this user may not create files in the folder {folder}"
    return ""


async def inspect_postgres(url: str) -> Inspection:
    """Return what the PostgreSQL database at ``url`` holds; ``StoreError`` (one line) when unusable.

    Nothing is created or migrated; writes are proved in a transaction that is rolled back.
    """
    target = describe_url(url)
    latest = len(load_migrations("postgres"))
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    except DRIVER_ERRORS as exc:
        raise StoreError(describe_connect_failure(target, exc, secret=url_password(url))) from None
    try:
        version = await _postgres_version(conn)
        if version > latest:
            raise StoreError(newer_schema_message(f"{target} database", version, latest))
        unwritable = await _postgres_write_problem(conn, tables=version > 0, migrates=version < latest)
    except DRIVER_ERRORS as exc:
        raise StoreError(describe_connect_failure(target, exc, secret=url_password(url))) from None
    finally:
        await conn.close()
    return Inspection(exists=True, version=version, latest=latest, unwritable=unwritable)


async def _postgres_version(conn: asyncpg.Connection) -> int:
    """Return how many migrations the database has (0 when it has no ``schema_migrations``)."""
    if not await conn.fetchval(_MIGRATIONS_TABLE):
        return 0
    return int(await conn.fetchval(_APPLIED))


async def _postgres_write_problem(conn: asyncpg.Connection, *, tables: bool, migrates: bool) -> str:
    """Return why the bot could not write (or create its tables), or ``""``; nothing is kept.

    The bot needs to create tables while migrations are pending, and to write its rows once they exist.
    """
    try:
        async with conn.transaction():
            if migrates:
                await conn.execute(_PROBE_TABLE)
            if tables:
                await conn.execute(_PROBE_WRITE)
            raise _RollBack
    except _RollBack:
        return ""
    except asyncpg.PostgresError as exc:
        return one_line(exc)
