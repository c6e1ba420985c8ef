"""DATABASE_URL on the command line: `doctor`, `jobs` and start-up failures on PostgreSQL, and which
store takes the one-bot instance lock (SQLite only). The password never shows."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest

from bot.__main__ import main
from bot.settings import read_settings
from bot.store.database import describe_database, instance_guard, open_store
from bot.store.postgres.schema import describe_connect_failure, describe_url, url_password
from bot.store.sqlite.instance_lock import AlreadyRunning, instance_lock, lock_path
from tests import cli_support
from tests.bot.cli.test_cli_jobs import SECRET_TOKEN, new_job
from tests.doubles import fixtures_cometapi
from tests.postgres_server import free_port

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

PASSWORD = "Pg-SeCrEt-0042"
TOKENS = {"discord_token": "token", "cometapi_key": "key"}


def with_password(url: str) -> str:
    """The test server trusts every local connection, so a password in the URL is accepted and unused."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


def unreachable_url() -> str:
    return f"postgresql://motionbot:{PASSWORD}@127.0.0.1:{free_port()}/motionbot"


async def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    for secret in (PASSWORD, SECRET_TOKEN, cli_support.DISCORD_TOKEN):
        assert secret not in captured.out + captured.err
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_the_database_is_named_by_its_server_never_its_password(tmp_path):
    url = f"postgresql://motionbot:{PASSWORD}@db.example:6543/jobs?sslmode=require"
    named = describe_database(read_settings(None, **TOKENS, database_url=url))
    assert named == "PostgreSQL jobs@db.example:6543"
    bare = read_settings(None, **TOKENS, database_url="postgres://db.example")
    assert describe_database(bare) == "PostgreSQL postgres@db.example:5432"
    sqlite = read_settings(None, **TOKENS, database_path=tmp_path / "x.sqlite3")
    assert describe_database(sqlite) == f"database {tmp_path / 'x.sqlite3'}"


def test_an_unusable_server_is_one_line_with_the_fix_and_never_the_password():
    url = f"postgresql://u:{PASSWORD}@db.example/jobs"
    error = ConnectionRefusedError(111, f"refused {PASSWORD}\nsecond line")
    line = describe_connect_failure(describe_url(url), error, secret=url_password(url))
    assert line.startswith("cannot reach PostgreSQL jobs@db.example:5432 (")
    assert "DATABASE_URL" in line and "\n" not in line and PASSWORD not in line


def test_a_short_password_is_masked_where_it_stands_alone_not_inside_other_words():
    url = "postgresql://u:p@db.example/jobs"
    error = OSError("server rejected SSL upgrade for postgresql://u:p@db.example")
    line = describe_connect_failure(describe_url(url), error, secret=url_password(url))
    assert "rejected SSL upgrade for postgresql://u:***@db.example" in line


def test_postgresql_takes_no_instance_lock_while_a_second_sqlite_run_is_still_refused(tmp_path):
    database = tmp_path / "motionbot.sqlite3"
    sqlite = read_settings(None, **TOKENS, database_path=database)
    shared = read_settings(None, **TOKENS, database_path=database, database_url="postgresql://db/jobs")
    with instance_guard(sqlite):
        with pytest.raises(AlreadyRunning), instance_guard(sqlite):
            pass
        with instance_guard(shared), instance_guard(shared):  # two processes on one PostgreSQL
            pass
    lock_path(database).unlink()
    with instance_guard(shared):
        assert not lock_path(database).exists()
        with instance_lock(database):  # nor does it hold the SQLite file's lock
            pass


async def test_doctor_checks_the_postgresql_database(cli_env, capsys, postgres_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", with_password(postgres_url))
    cli_env.touch()
    code, out, _ = await run_cli(capsys, "doctor", "--env-file", str(cli_env))
    url = urlsplit(postgres_url)
    assert code == 0, out
    target = f"PostgreSQL {url.path[1:]}@127.0.0.1:{url.port}"
    assert out.splitlines()[1] == f"ok  {target}: empty, the bot will create its tables at first start"
    async with await open_store(read_settings(None, **TOKENS, database_url=postgres_url)):
        pass  # migrated, as the bot's first start leaves it
    code, out, _ = await run_cli(capsys, "doctor", "--env-file", str(cli_env))
    assert code == 0, out
    assert out.splitlines()[1] == f"ok  {target} (reachable, migrated, writable)"


async def test_doctor_names_an_unreachable_postgresql_in_one_line(cli_env, capsys, monkeypatch):
    url = unreachable_url()
    monkeypatch.setenv("DATABASE_URL", url)
    cli_env.touch()
    code, out, _ = await run_cli(capsys, "doctor", "--env-file", str(cli_env))
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert code == 1
    assert len(failures) == 1
    assert failures[0].startswith(f"FAIL PostgreSQL motionbot@127.0.0.1:{urlsplit(url).port}: ")
    assert "DATABASE_URL" in failures[0] and "cannot reach PostgreSQL" in failures[0]


async def test_run_with_an_unreachable_postgresql_is_one_line_and_exit_2(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", unreachable_url())
    code, _, err = await run_cli(capsys, "run", "--env-file", str(cli_env))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and "CRITICAL" in lines[0]
    assert "DATABASE_URL" in lines[0] and "password" not in lines[0]


async def test_jobs_exports_from_postgresql(cli_env, capsys, postgres_url, monkeypatch):
    settings = read_settings(None, **TOKENS, database_url=postgres_url)
    async with await open_store(settings) as store:
        created = await store.create_job(new_job("a cat on PostgreSQL"))
    monkeypatch.setenv("DATABASE_URL", with_password(postgres_url))
    code, out, _ = await run_cli(capsys, "jobs", "--env-file", str(cli_env), "--format", "json")
    assert code == 0
    (record,) = json.loads(out)
    assert (record["id"], record["prompt"], record["status"]) == (created.id, "a cat on PostgreSQL", "queued")
