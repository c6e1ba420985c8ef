"""Reading the job store for a report on the command line (``jobs``, ``usage``), and writing it out.

The store is the one the settings name (PostgreSQL at DATABASE_URL, else the file at DATABASE_PATH) or
a file named with ``--database``. A file that is not there is refused rather than created, so a wrong
path never looks like an empty database.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.cli.parser import EXIT_FAILURE, EXIT_OK
from bot.settings import Settings
from bot.store import JobStore, StoreError, open_store


class StoreReadError(Exception):
    """The store could not be read; the message says what to do."""


@contextlib.asynccontextmanager
async def reading(source: Settings | Path) -> AsyncIterator[JobStore]:
    """Open the store ``source`` names for the block; ``StoreReadError`` when it cannot be."""
    try:
        async with await _open(source) as store:
            yield store
    except StoreError as exc:
        raise StoreReadError(str(exc)) from None


async def _open(source: Settings | Path) -> JobStore:
    if isinstance(source, Settings) and source.uses_postgres:
        return await open_store(source)
    database = source if isinstance(source, Path) else source.database_path
    # Opening would create an empty database: a wrong path must not look like "no jobs".
    if not await asyncio.to_thread(database.is_file):
        raise StoreReadError(no_database(database, from_flag=isinstance(source, Path)))
    return await JobStore.open(database)


def no_database(database: Path, *, from_flag: bool) -> str:
    """Say which file was looked for (absolute: a relative path is read from the current folder)."""
    origin = f"--database {database}" if from_flag else f"DATABASE_PATH={database}"
    if not database.is_absolute():
        origin += f", relative to the current folder {Path.cwd()}"
    fix = (
        "check the path"
        if from_flag
        else "run it from the bot's folder, or check DATABASE_PATH or --database"
    )
    return f"there is no database at {database.absolute()} ({origin}); {fix}"


async def write_out(text: str, output: Path | None, wrote: str) -> int:
    """Write ``text`` to ``output`` (or standard output) and return the exit code; ``wrote`` says what."""
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
    except OSError as exc:
        print(f"cannot write {output}: {exc.strerror or exc}", file=sys.stderr)  # noqa: T201
        return EXIT_FAILURE
    print(f"wrote {wrote} to {output}", file=sys.stderr)  # noqa: T201
    return EXIT_OK
