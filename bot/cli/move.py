"""``python -m bot move-to-postgres``: move the SQLite database into an empty PostgreSQL database.

For an admin who outgrows one process: every job (with its id), every server's settings, the daily
usage and the meta values are copied in one PostgreSQL transaction, or nothing is. The bot must be
stopped: the command holds the SQLite file's instance lock while it works, so a bot cannot start on
it meanwhile, and it refuses while a bot holds it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cli.parser import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from bot.settings import Settings
from bot.store import AlreadyRunning, JobStore, StoreError, TransferRefused, instance_lock, open_store

NO_DATABASE_URL = (
    "DATABASE_URL is not set: set it to the new, empty PostgreSQL database "
    "(postgresql://user:password@host:5432/db) to move the SQLite database into it"
)


async def move_to_postgres(settings: Settings, source: Path | None = None) -> int:
    """Copy the SQLite database ``source`` (default DATABASE_PATH) into DATABASE_URL; return the exit code.

    Prints one summary line on success; one line and exit 1 when refused (a bot runs on the file, a
    job is unfinished, the PostgreSQL database is not empty); one line and exit 2 for a setting or a
    database that cannot be used.
    """
    database = source or settings.database_path
    if not settings.uses_postgres:
        return _fail(NO_DATABASE_URL, EXIT_CONFIG)
    if not await asyncio.to_thread(database.is_file):
        return _fail(f"there is no database at {database}; check DATABASE_PATH or --from", EXIT_CONFIG)
    try:
        with instance_lock(database):
            print(await _copy(settings, database))  # noqa: T201 - the command's one-line report
    except AlreadyRunning as exc:
        holder = f"pid {exc.pid}" if exc.pid else "another process"
        return _fail(
            f"a Motionbot ({holder}) is running on the database {database}; stop it first, then move",
            EXIT_FAILURE,
        )
    except TransferRefused as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except StoreError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    return EXIT_OK


async def _copy(settings: Settings, database: Path) -> str:
    # Migrated first, as `run` would; a refused snapshot never opens (or migrates) PostgreSQL.
    async with await JobStore.open(database) as sqlite:
        snapshot = await sqlite.export_snapshot()
    async with await open_store(settings) as postgres:
        await postgres.import_snapshot(snapshot)
        return snapshot.summary(postgres.describe())


def _fail(line: str, code: int) -> int:
    print(line, file=sys.stderr)  # noqa: T201 - the command's one-line failure
    return code
