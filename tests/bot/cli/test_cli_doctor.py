"""`python -m bot doctor` against the CometAPI double and a tiny Discord REST app, run in-process."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import sqlite3
from pathlib import Path

from bot.__main__ import main
from bot.cli.parser import INTENT_HELP
from bot.store import JobStore
from bot.store.migrations import load_migrations
from tests import cli_support
from tests.cli_support import DISCORD_TOKEN, MESSAGE_CONTENT_LIMITED
from tests.doubles import fixtures_cometapi
from tests.doubles.fixtures_cometapi import TEST_API_KEY

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env


async def doctor(env_file, capsys) -> tuple[int, list[str], str]:
    env_file.touch()  # an --env-file must exist; empty, so the settings come from the environment
    code = await asyncio.to_thread(main, ["doctor", "--env-file", str(env_file)])
    captured = capsys.readouterr()
    assert TEST_API_KEY not in captured.out + captured.err
    assert DISCORD_TOKEN not in captured.out + captured.err
    assert "Traceback" not in captured.err
    return code, captured.out.splitlines(), captured.err


async def test_all_checks_pass(cli_env, capsys, cometapi_double, fake_discord):
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0
    assert [line.split(" ")[0] for line in lines] == ["ok"] * 5
    assert lines[0] == f"ok  settings (environment and {cli_env})"
    database = cli_env.parent / "data" / "motionbot.sqlite3"
    assert lines[1] == f"ok  database {database}: not created yet, the bot will create it at first start"
    assert lines[2] == f"ok  CometAPI key accepted by {cometapi_double.base_url}"
    assert lines[3] == f"ok  Discord token (bot Motionbot, id {cli_support.BOT_USER_ID})"
    assert lines[4].startswith("ok  Discord intents (Message Content enabled")
    assert cometapi_double.counts["list"] == 1  # one cheap request, no more
    assert cometapi_double.list_queries == [[]]
    assert {path for path, _ in fake_discord.requests} == {
        "/api/v10/users/@me",
        "/api/v10/oauth2/applications/@me",
    }


async def test_a_rejected_provider_key_fails_with_the_fix(cli_env, capsys, cometapi_double):
    cometapi_double.reply(
        401, {"error": {"message": "无效的令牌", "type": "comet_api_error"}}, endpoint="list"
    )
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert f"FAIL CometAPI key: {cometapi_double.base_url} rejected COMETAPI_KEY" in "\n".join(lines)
    assert sum(line.startswith("FAIL") for line in lines) == 1


async def test_a_wrong_provider_key_fails(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("COMETAPI_KEY", "sk-wrong-key-000000000000")
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert any(line.startswith("FAIL CometAPI key:") for line in lines)
    assert "sk-wrong-key-000000000000" not in "\n".join(lines)


async def test_a_provider_outage_is_reported(cli_env, capsys, cometapi_double):
    cometapi_double.reply(503, {"error": {"message": "maintenance"}}, endpoint="list")
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    failure = next(line for line in lines if line.startswith("FAIL"))
    assert failure.startswith(
        f"FAIL CometAPI at {cometapi_double.base_url}: CometAPI is unavailable (HTTP 503)"
    )


async def test_an_unreachable_provider_is_reported(cli_env, capsys, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("COMETAPI_BASE_URL", f"http://127.0.0.1:{port}")
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert f"FAIL CometAPI at http://127.0.0.1:{port}: not reachable (" in "\n".join(lines)


async def test_a_rejected_discord_token_fails_token_and_intents(cli_env, capsys, fake_discord):
    fake_discord.token = "another-token"
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert "FAIL Discord token: Discord rejected DISCORD_TOKEN: copy the bot token again" in lines[3]
    assert lines[4] == "FAIL Discord intents: cannot be checked until DISCORD_TOKEN works"


async def test_a_missing_message_content_intent_fails_with_the_portal_steps(cli_env, capsys, fake_discord):
    fake_discord.flags = 1 << 23  # some other application flag
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert lines[-1] == f"FAIL Discord intents: {INTENT_HELP}"


async def test_the_limited_intent_flag_counts_and_reactions_off_needs_none(
    cli_env, capsys, fake_discord, monkeypatch
):
    fake_discord.flags = MESSAGE_CONTENT_LIMITED
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    fake_discord.flags = 0
    monkeypatch.setenv("REACTIONS_ENABLED", "false")
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    assert lines[-1] == "ok  Discord intents (REACTIONS_ENABLED=false: no privileged intent needed)"


async def test_a_database_path_that_is_a_folder_fails(cli_env, capsys, monkeypatch, tmp_path):
    folder = tmp_path / "db-folder"
    folder.mkdir()
    monkeypatch.setenv("DATABASE_PATH", str(folder))
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert lines[1].startswith(f"FAIL database {folder}: ") and "is a folder" in lines[1]


async def test_missing_settings_are_listed_one_per_line_with_exit_code_2(cli_env, capsys, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN")
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "often")
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 2
    assert len(lines) == 3
    assert lines[0] == (
        "FAIL settings: DISCORD_TOKEN is missing: set it to the bot token from the Discord developer portal "
        "(Bot > Reset Token)."
    )
    assert lines[1].startswith("FAIL settings: POLL_INTERVAL_SECONDS is invalid")
    assert lines[2] == (
        f"FAIL settings: the settings were read from the environment and {cli_env}: "
        f"set DISCORD_TOKEN in {cli_env}."
    )


async def test_an_env_file_that_does_not_exist_is_named_with_exit_code_2(cli_env, capsys):
    absent = cli_env.parent / "absent.env"
    code = await asyncio.to_thread(main, ["doctor", "--env-file", str(absent)])
    out = capsys.readouterr().out
    assert code == 2
    assert out.splitlines() == [
        f"FAIL settings: there is no settings file {absent} (--env-file {absent}): check the path."
    ]


# -- the database check changes nothing ---------------------------------------------------------


def files_in(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative name, with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def database_of(cli_env: Path) -> Path:
    return cli_env.parent / "data" / "motionbot.sqlite3"


async def filled_database(path: Path) -> None:
    """A migrated database holding a meta value, closed as a stopped bot leaves it."""
    async with await JobStore.open(path) as store:
        await store.set_meta("command_hash", "abc123")


def database_at_version(path: Path, version: int) -> None:
    """A database that only the first ``version`` migrations made (an older Motionbot's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        for migration in load_migrations("sqlite")[:version]:
            conn.executescript(migration.sql)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


async def test_a_missing_database_is_not_created_not_even_its_folder(cli_env, capsys):
    database = database_of(cli_env)
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    assert lines[1] == f"ok  database {database}: not created yet, the bot will create it at first start"
    assert not database.parent.exists()


async def test_a_migrated_database_is_read_without_changing_a_byte(cli_env, capsys):
    database = database_of(cli_env)
    await filled_database(database)
    before = files_in(database.parent)
    assert list(before) == ["motionbot.sqlite3"]
    modified = database.stat().st_mtime_ns
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    assert lines[1] == f"ok  database {database} (integrity ok, migrated, writable)"
    assert files_in(database.parent) == before  # no byte changed, no -wal/-shm file left behind
    assert database.stat().st_mtime_ns == modified
    async with await JobStore.open(database) as store:
        assert await store.get_meta("doctor") is None


async def test_an_empty_database_file_stays_empty(cli_env, capsys):
    database = database_of(cli_env)
    database.parent.mkdir(parents=True)
    database.touch()
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    assert lines[1] == f"ok  database {database}: empty, the bot will create its tables at first start"
    assert files_in(database.parent) == {"motionbot.sqlite3": hashlib.sha256(b"").hexdigest()}


async def test_an_older_schema_is_reported_and_left_for_the_bot_to_migrate(cli_env, capsys):
    database = database_of(cli_env)
    database_at_version(database, 3)
    before = files_in(database.parent)
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 0, lines
    latest = len(load_migrations("sqlite"))
    assert lines[1] == (
        f"ok  database {database} (integrity ok, schema version 3 of {latest}, "
        "the bot migrates it at its next start, writable)"
    )
    assert files_in(database.parent) == before


async def test_a_newer_schema_still_fails_and_is_left_as_it_was(cli_env, capsys):
    database = database_of(cli_env)
    await filled_database(database)
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = files_in(database.parent)
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    refusal = f"FAIL database {database}: the database file {database} has schema version 999"
    assert lines[1].startswith(refusal)
    assert files_in(database.parent) == before


async def test_a_damaged_file_fails_with_the_fix(cli_env, capsys):
    database = database_of(cli_env)
    database.parent.mkdir(parents=True)
    database.write_bytes(b"not a database at all " * 64)
    code, lines, _ = await doctor(cli_env, capsys)
    assert code == 1
    assert lines[1].startswith(f"FAIL database {database}: the database file {database} is damaged")


async def test_a_database_a_running_bot_holds_is_read_beside_it_creating_nothing(cli_env, capsys):
    database = database_of(cli_env)
    async with await JobStore.open(database) as store:
        await store.set_meta("command_hash", "abc123")
        names = sorted(files_in(database.parent))
        assert "motionbot.sqlite3-wal" in names  # the running bot's journal
        code, lines, _ = await doctor(cli_env, capsys)
        assert code == 0, lines
        assert lines[1] == f"ok  database {database} (integrity ok, migrated, writable)"
        assert sorted(files_in(database.parent)) == names
        assert await store.get_meta("doctor") is None
