"""Opening the SQLite file: folder creation, pragmas, integrity check and numbered migrations.

Migrations live in ``bot/store/migrations/sqlite/NNNN_description.sql``; ``PRAGMA user_version``
records how many have been applied. Each one runs in its own transaction together with the version bump.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from bot.store.errors import StoreError
from bot.store.migrations import Migration, newer_schema_message

log = logging.getLogger(__name__)

_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_UNWRITABLE_CODES = frozenset(
    {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR}
)
_LOCKED_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def primary_code(exc: sqlite3.Error) -> int | None:
    """Return the primary SQLite result code of ``exc`` (extended codes reduced), if known."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_lock_error(exc: BaseException) -> bool:
    """Return True when ``exc`` means another connection holds the database lock."""
    return isinstance(exc, sqlite3.OperationalError) and primary_code(exc) in _LOCKED_CODES


def describe_open_failure(path: Path, exc: sqlite3.Error) -> str:
    """Return a message naming ``path``, what went wrong and what the operator can do."""
    code = primary_code(exc)
    if code in _CORRUPT_CODES or (code is None and "not a database" in str(exc)):
        return (
            f"the database file {path} is damaged or is not an SQLite database ({exc}); "
            "restore it from a backup, or move it aside so a new empty database is created"
        )
    if code in _UNWRITABLE_CODES:
        return (
            f"the database file {path} cannot be opened for writing ({exc}); make sure its folder "
            "exists and is writable by this user, or point DATABASE_PATH somewhere writable"
        )
    if code in _LOCKED_CODES:
        return (
            f"the database file {path} is locked by another process ({exc}); stop the other "
            "process (or wait for the backup to finish) and start again"
        )
    return f"the database file {path} could not be opened ({exc})"


def prepare_folder(path: Path) -> None:
    """Create the folder that will hold the database, refusing paths that cannot be a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {path.parent} for the database file {path} ({exc.strerror}); "
            "point DATABASE_PATH at a writable folder"
        ) from exc
    if path.is_dir():
        raise StoreError(f"the database path {path} is a folder; point DATABASE_PATH at a file inside it")


async def connect(path: Path, *, busy_timeout_ms: int) -> aiosqlite.Connection:
    """Open ``path`` in autocommit mode (transactions are explicit) with the configured pragmas.

    The file is checked with ``PRAGMA quick_check`` and switched to WAL; any failure closes the
    connection and raises ``StoreError`` with advice.
    """
    prepare_folder(path)
    try:
        # sqlite3's `timeout` is SQLite's busy timeout: wait this long for another process's lock.
        conn = await aiosqlite.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(describe_open_failure(path, exc)) from exc
    try:
        await configure(conn, path)
    except BaseException:
        await conn.close()
        raise
    return conn


async def connect_reader(path: Path, *, busy_timeout_ms: int) -> aiosqlite.Connection:
    """Open a second, query-only connection to ``path`` (already checked and in WAL) for reads.

    In WAL mode its reads run beside any writer, so they never wait for the write lock.
    """
    try:
        conn = await aiosqlite.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(describe_open_failure(path, exc)) from exc
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        await conn.close()
        raise StoreError(describe_open_failure(path, exc)) from exc
    return conn


async def configure(conn: aiosqlite.Connection, path: Path) -> None:
    """Check integrity, enable WAL, NORMAL sync and foreign keys, and prove the file is writable."""
    conn.row_factory = aiosqlite.Row
    try:
        await check_integrity(conn, path)
        rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        # Taking the write lock once now turns a read-only file into an error at start-up, not later.
        await conn.execute("BEGIN IMMEDIATE")
        await conn.rollback()
    except sqlite3.Error as exc:
        raise StoreError(describe_open_failure(path, exc)) from exc
    if rows[0][0] != "wal":
        raise StoreError(
            f"the database file {path} could not be switched to WAL mode (journal mode is {rows[0][0]}); "
            "keep it on a local disk rather than a network share"
        )


async def check_integrity(conn: aiosqlite.Connection, path: Path) -> None:
    """Raise ``StoreError`` unless ``PRAGMA quick_check`` reports ``ok``."""
    problems = [row[0] for row in await conn.execute_fetchall("PRAGMA quick_check")]
    if problems != ["ok"]:
        first = " ".join(str(problems[0]).split())
        raise StoreError(
            f"the database file {path} failed its integrity check ({first}); "
            "restore it from a backup, or move it aside so a new empty database is created"
        )


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return ``PRAGMA user_version``: how many migrations the file has."""
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def migrate(conn: aiosqlite.Connection, path: Path, migrations: Sequence[Migration]) -> int:
    """Apply the migrations the file lacks and return the resulting schema version.

    A file from a newer Motionbot (a version above the last migration) is refused untouched.
    """
    current = await schema_version(conn)
    latest = len(migrations)
    if current > latest:
        raise StoreError(newer_schema_message(f"database file {path}", current, latest))
    for migration in migrations[current:]:
        await apply_migration(conn, path, migration)
    return max(current, latest)


async def apply_migration(conn: aiosqlite.Connection, path: Path, migration: Migration) -> None:
    """Run one migration and its version bump in a single transaction, rolling back on failure."""
    # PRAGMA values cannot be bound as parameters; the version is an int parsed from a file name.
    script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;\nPRAGMA user_version = {int(migration.version)};\nCOMMIT;"
    try:
        await conn.executescript(script)
    except sqlite3.Error as exc:
        await conn.rollback()
        raise StoreError(
            f"migration {migration.name} failed on the database file {path} ({exc}); the file was left "
            f"at schema version {migration.version - 1}. Restore a backup or report this as a bug"
        ) from exc
    log.info("applied database migration %s to %s", migration.name, path)
