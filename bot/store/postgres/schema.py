"""Opening a PostgreSQL job store: connecting, errors in one clear line, and numbered migrations.

Migrations live in ``bot/store/migrations/postgres/NNNN_description.sql``; the ``schema_migrations``
table records each one applied. They run under a session advisory lock, so two processes starting
at once apply each migration exactly once: the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from bot.store.engine import MIGRATION_LOCK
from bot.store.errors import StoreError
from bot.store.migrations import Migration, newer_schema_message

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0

CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
RECORD_VERSION = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"

# What asyncpg raises when the server cannot be reached, refuses us or fails a statement.
DRIVER_ERRORS = (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)
_AUTH_ERRORS = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)


def describe_url(url: str) -> str:
    """Return ``PostgreSQL db@host:port`` for ``url``: never the user's password."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = parts.hostname or query.get("host", ["localhost"])[0]
        port = parts.port or int(query.get("port", ["5432"])[0])
    except ValueError:
        return "PostgreSQL server (DATABASE_URL cannot be read)"
    database = parts.path.lstrip("/") or query.get("dbname", [parts.username or "postgres"])[0]
    return f"PostgreSQL {database}@{host}:{port}"


def one_line(exc: BaseException) -> str:
    """Return the exception's text on one line (server messages may span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def url_password(url: str) -> str | None:
    """Return the password in ``url`` (percent-decoded), or None, so messages can leave it out."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def mask_secret(text: str, secret: str | None) -> str:
    """Return ``text`` with every standalone occurrence of ``secret`` replaced by ``***``.

    Standalone: not inside a longer word, so a short password ("p") leaves "upgrade" readable while a
    password quoted or placed in a URL is still hidden.
    """
    if not secret:
        return text
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)


def describe_connect_failure(target: str, exc: BaseException, *, secret: str | None = None) -> str:
    """Return what went wrong reaching ``target`` and what the operator can do, in one line.

    ``secret`` (the URL's password) is masked should the driver or the server ever repeat it.
    """
    detail = mask_secret(one_line(exc), secret)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{target}: the database does not exist ({detail}); create it, or fix its name in DATABASE_URL"
    if isinstance(exc, _AUTH_ERRORS):
        return f"{target} refused the login ({detail}); check the user name and password in DATABASE_URL"
    if isinstance(exc, OSError | TimeoutError):
        return (
            f"cannot reach {target} ({detail}); start the PostgreSQL server, or fix the host and port "
            "in DATABASE_URL"
        )
    return f"cannot open {target} ({detail}); check DATABASE_URL and the PostgreSQL server's log"


async def create_pool(url: str, target: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    """Connect a pool to ``url``; raise ``StoreError`` (one line, no password) if the server says no."""
    try:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT_SECONDS
        )
    except DRIVER_ERRORS as exc:
        raise StoreError(describe_connect_failure(target, exc, secret=url_password(url))) from None
    return pool


async def migrate(pool: asyncpg.Pool, target: str, migrations: Sequence[Migration]) -> int:
    """Apply the migrations the database lacks, one process at a time; return the schema version.

    A database from a newer Motionbot (a version above the last migration) is refused untouched.
    """
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await conn.execute(CREATE_VERSION_TABLE)
            current = int(await conn.fetchval(SCHEMA_VERSION))
            if current > len(migrations):
                raise StoreError(newer_schema_message(f"{target} database", current, len(migrations)))
            for migration in migrations[current:]:
                await apply_migration(conn, target, migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return max(current, len(migrations))


async def apply_migration(conn: asyncpg.pool.PoolConnectionProxy, target: str, migration: Migration) -> None:
    """Run one migration and record it in a single transaction, rolling back on failure."""
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(RECORD_VERSION, migration.version, migration.name)
    except asyncpg.PostgresError as exc:
        raise StoreError(
            f"migration {migration.name} failed on the {target} database ({one_line(exc)}); it was left "
            f"at schema version {migration.version - 1}. Restore a backup or report this as a bug"
        ) from exc
    log.info("applied database migration %s to %s", migration.name, target)
