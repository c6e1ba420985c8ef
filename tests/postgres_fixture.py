"""A private PostgreSQL 15 server for the tests, and a fresh empty database for each test that asks.

``postgres_url`` (async, per test) yields the URL of a new empty database. The server is the one in
MOTIONBOT_TEST_POSTGRES_URL when set (its user must be allowed to CREATE DATABASE), otherwise a
throw-away cluster started once per session in a temporary folder: the postgres user runs it (we may
be root), it listens on a Unix socket only and trades durability for speed (fsync off).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ENV_URL = "MOTIONBOT_TEST_POSTGRES_URL"
PORT = 54329
_numbers = itertools.count(1)


def _as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Yield the URL of a server database to run CREATE DATABASE from (skip if none can be had)."""
    if os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
        return
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}) and {ENV_URL} is not set")
    folder = Path(tempfile.mkdtemp(prefix="motionbot-pg-"))
    shutil.chown(folder, "postgres") if os.geteuid() == 0 else None
    data = folder / "data"
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-k {folder} -p {PORT} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    log_file = str(folder / "log")
    _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", log_file, "-o", options, "start")
    try:
        yield f"postgresql://postgres@/postgres?host={folder}&port={PORT}"
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server: str, name: str) -> str:
    """Return ``server`` with its database replaced by ``name``."""
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """Yield the URL of a fresh, empty database on the test server (dropped afterwards)."""
    name = f"t_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield database_url(postgres_server, name)
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
