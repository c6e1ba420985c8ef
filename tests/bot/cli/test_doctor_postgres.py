"""`doctor` on PostgreSQL changes nothing: an empty database stays empty, so `move-to-postgres` can follow.

A real private PostgreSQL server (``tests/postgres_server.py``); both commands run through
``bot.__main__.main`` as an admin's shell would, ``doctor`` against the CometAPI and Discord doubles.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from bot.__main__ import main
from bot.store import JobStore
from bot.store.migrations import load_migrations
from tests import cli_support
from tests.bot.cli.test_move_to_postgres import fill
from tests.doubles import fixtures_cometapi

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

# Every table of the database outside PostgreSQL's own catalogs, with how many rows it holds.
TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
"""


async def rows_everywhere(url: str) -> dict[str, object]:
    """What the database holds, row by row: each table's rows (sorted), and its sequences' values."""
    conn = await asyncpg.connect(url)
    try:
        held: dict[str, object] = {}
        for schema, table in await conn.fetch(TABLES):
            rows = await conn.fetch(f'SELECT * FROM "{schema}"."{table}"')
            held[f"{schema}.{table}"] = sorted(repr(tuple(row.values())) for row in rows)
        sequences = await conn.fetch("SELECT sequencename, last_value FROM pg_sequences")
        held["sequences"] = sorted((row["sequencename"], row["last_value"]) for row in sequences)
        return held
    finally:
        await conn.close()


async def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.splitlines(), captured.err.splitlines()


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return f"PostgreSQL {parts.path[1:]}@127.0.0.1:{parts.port}"


async def test_doctor_leaves_an_empty_database_empty_and_the_move_then_succeeds(
    cli_env, capsys, postgres_url, monkeypatch, clock
):
    database = Path(cli_env.parent / "data" / "motionbot.sqlite3")
    await fill(database, clock)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    cli_env.touch()
    before = await rows_everywhere(postgres_url)
    assert before == {"sequences": []}  # not a table: a new, empty database

    code, out, _ = await run(capsys, "doctor", "--env-file", str(cli_env))
    assert code == 0, out
    assert out[1] == f"ok  {target_of(postgres_url)}: empty, the bot will create its tables at first start"
    assert await rows_everywhere(postgres_url) == before

    code, out, err = await run(capsys, "move-to-postgres", "--env-file", str(cli_env))
    assert code == 0, err
    copied = (
        "copied 6 jobs, 2 servers' settings, 2 role allowances, 0 usage rows, 7 ledger rows, 2 meta values,"
        " 2 requests for consent"
    )
    assert out == [f"{copied} from database {database} to {target_of(postgres_url)}"]

    moved = await rows_everywhere(postgres_url)
    code, out, _ = await run(capsys, "doctor", "--env-file", str(cli_env))
    assert code == 0, out
    assert out[1] == f"ok  {target_of(postgres_url)} (reachable, migrated, writable)"
    assert await rows_everywhere(postgres_url) == moved  # a database in use is not written either


async def test_an_older_schema_is_reported_and_left_for_the_bot_to_migrate(
    cli_env, capsys, postgres_url, monkeypatch
):
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        for migration in load_migrations("postgres")[:3]:
            await conn.execute(migration.sql)
            record = "INSERT INTO schema_migrations VALUES ($1, $2)"
            await conn.execute(record, migration.version, migration.name)
    finally:
        await conn.close()
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    cli_env.touch()
    before = await rows_everywhere(postgres_url)
    code, out, _ = await run(capsys, "doctor", "--env-file", str(cli_env))
    assert code == 0, out
    latest = len(load_migrations("postgres"))
    assert out[1] == (
        f"ok  {target_of(postgres_url)} (reachable, schema version 3 of {latest}, "
        "the bot migrates it at its next start, writable)"
    )
    assert await rows_everywhere(postgres_url) == before


async def test_a_newer_schema_still_fails_and_is_left_as_it_was(cli_env, capsys, postgres_url, monkeypatch):
    async with await JobStore.open_postgres(postgres_url) as store:
        await store.set_meta("command_hash", "abc123")
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')")
    finally:
        await conn.close()
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    cli_env.touch()
    before = await rows_everywhere(postgres_url)
    code, out, _ = await run(capsys, "doctor", "--env-file", str(cli_env))
    assert code == 1
    target = target_of(postgres_url)
    assert out[1].startswith(f"FAIL {target}: the {target} database has schema")
    assert "version 999" in out[1]
    assert await rows_everywhere(postgres_url) == before
