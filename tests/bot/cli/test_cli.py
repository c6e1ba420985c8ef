"""The command line: help, settings problems, start-up failures and `invite`, run in-process via `main`."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.__main__ import main
from bot.cli.discord_rest import BOT_PERMISSIONS, invite_url
from bot.cli.parser import LOGIN_HELP
from bot.settings import Settings
from tests import REPO, cli_support
from tests.cli_support import APP_ID, DISCORD_TOKEN
from tests.doubles import fixtures_cometapi
from tests.doubles.fixtures_cometapi import TEST_API_KEY

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

SUBCOMMANDS = ("run", "sync", "doctor", "invite", "jobs", "move-to-postgres")
# View Channel, Send Messages, Embed Links, Attach Files, Read Message History, Send Messages in Threads.
EXPECTED_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 38)


@pytest.fixture
def discord_endpoints(monkeypatch):
    """Let MotionBot point discord.py at the fake API; put the class attributes back afterwards."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )


def run_main(*argv: str) -> int:
    return main(list(argv))


def test_help_lists_every_subcommand(capsys):
    assert run_main("--help") == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert re.search(rf"^    {name}\s", out, flags=re.MULTILINE), name


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommand_has_help(command, capsys):
    assert run_main(command, "--help") == 0
    assert capsys.readouterr().out.startswith(f"usage: motionbot {command} ")


def test_an_unknown_subcommand_is_a_usage_error(capsys):
    assert run_main("dance") == 2
    assert "invalid choice: 'dance'" in capsys.readouterr().err


def test_python_dash_m_bot_help_in_a_real_process():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: motionbot ")
    assert "doctor" in result.stdout and "invite" in result.stdout


def test_missing_settings_in_a_real_process_exit_2_without_traceback(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in cli_support.SETTINGS_VARIABLES}
    env_file = tmp_path / "empty.env"
    env_file.touch()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(env_file)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(
        "DISCORD_TOKEN is missing: set it to the bot token from the Discord developer portal"
    )
    assert (
        lines[1] == "COMETAPI_KEY is missing: set it to your CometAPI key (https://api.cometapi.com console)."
    )
    assert lines[2] == (
        f"the settings were read from the environment and {env_file}: "
        f"set DISCORD_TOKEN and COMETAPI_KEY in {env_file}."
    )


async def test_an_invalid_setting_names_the_variable(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("HTTP_PORT", "99999")
    code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
    err = capsys.readouterr().err
    assert code == 2
    expected = (
        "HTTP_PORT is invalid (Input should be less than or equal to 65535): "
        "expected a TCP port between 1 and 65535, or empty to turn the HTTP server off."
    )
    assert err.splitlines() == [expected]


async def test_a_database_error_at_start_is_one_line_and_exit_2(cli_env, capsys, monkeypatch, tmp_path):
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    monkeypatch.setenv("DATABASE_PATH", str(folder))
    code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and "CRITICAL" in err and "is a folder" in err
    assert "Traceback" not in err


async def test_a_rejected_discord_token_at_start_is_one_line_and_exit_2(
    cli_env, capsys, fake_discord, discord_endpoints
):
    fake_discord.token = "not-this-one"
    code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
    err = capsys.readouterr().err
    assert code == 2, err
    critical = [line for line in err.splitlines() if "CRITICAL" in line]
    assert len(critical) == 1 and critical[0].endswith(LOGIN_HELP)
    assert "Traceback" not in err and DISCORD_TOKEN not in err and TEST_API_KEY not in err
    assert fake_discord.requests[-1][0] == "/api/v10/users/@me"


async def test_a_busy_http_port_at_start_is_one_line_and_exit_2(
    cli_env, capsys, monkeypatch, discord_endpoints
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("HTTP_PORT", str(port))
        code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
    err = capsys.readouterr().err
    assert code == 2
    critical = [line for line in err.splitlines() if "CRITICAL" in line]
    assert len(critical) == 1
    assert f"the HTTP server cannot listen on 127.0.0.1:{port}" in critical[0]
    assert "Traceback" not in err


def test_invite_with_a_client_id_needs_no_settings_and_has_exactly_the_needed_permissions(
    capsys, monkeypatch
):
    for name in cli_support.SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert run_main("invite", "--client-id", str(APP_ID)) == 0
    server_line, user_line = capsys.readouterr().out.splitlines()
    assert user_line == both_links(APP_ID)[1]
    url = server_line.removeprefix("Add to a server: ")
    assert url == (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}&scope=bot+applications.commands"
        f"&permissions={EXPECTED_PERMISSIONS}"
    )
    assert EXPECTED_PERMISSIONS == 274878024704
    granted = discord.Permissions(int(parse_qs(urlsplit(url).query)["permissions"][0]))
    assert not granted.add_reactions and not granted.use_external_emojis and not granted.administrator
    assert not granted.manage_messages and not granted.mention_everyone


async def test_invite_reads_the_application_id_from_discord(cli_env, capsys, fake_discord):
    code = await asyncio.to_thread(run_main, "invite", "--env-file", str(cli_env))
    assert code == 0
    assert capsys.readouterr().out.splitlines() == both_links(APP_ID)
    assert fake_discord.requests == [("/api/v10/oauth2/applications/@me", f"Bot {DISCORD_TOKEN}")]


async def test_invite_needs_only_the_discord_token(cli_env, capsys, fake_discord, monkeypatch):
    monkeypatch.delenv("COMETAPI_KEY")
    code = await asyncio.to_thread(run_main, "invite", "--env-file", str(cli_env))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == both_links(APP_ID)


def both_links(app_id: int) -> list[str]:
    """What ``invite`` prints: the server install link, then the user install link (issue 22)."""
    user = f"https://discord.com/oauth2/authorize?client_id={app_id}&integration_type=1&scope=applications.commands"
    return [f"Add to a server: {invite_url(app_id)}", f"Add to your account (needs USER_INSTALL): {user}"]


async def test_an_empty_or_blank_token_is_called_empty(cli_env, capsys, monkeypatch):
    for blank in ("", "   "):
        monkeypatch.setenv("DISCORD_TOKEN", blank)
        code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
        assert code == 2
        expected = (
            "DISCORD_TOKEN is empty: set it to the bot token from the Discord developer portal "
            "(Bot > Reset Token)."
        )
        where = (
            f"DISCORD_TOKEN is set but empty in the environment, which wins over {cli_env}: "
            "unset it or give it a value."
        )
        assert capsys.readouterr().err.splitlines() == [expected, where]


async def test_invite_with_a_rejected_token_is_one_line_and_exit_2(cli_env, capsys, fake_discord):
    fake_discord.token = "someone-else"
    code = await asyncio.to_thread(run_main, "invite", "--env-file", str(cli_env))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.rstrip().endswith(LOGIN_HELP)


def test_invite_rejects_a_client_id_that_is_not_a_snowflake(capsys):
    assert run_main("invite", "--client-id", "abc") == 2
    assert "is not an application id" in capsys.readouterr().err


def test_bot_permissions_value_is_computed_by_discord_py():
    assert BOT_PERMISSIONS.value == EXPECTED_PERMISSIONS


async def test_a_database_folder_that_cannot_be_created_is_one_line_and_exit_2(
    cli_env, capsys, monkeypatch, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DATABASE_PATH", str(blocker / "motionbot.sqlite3"))
    code = await asyncio.to_thread(run_main, "run", "--env-file", str(cli_env))
    err = capsys.readouterr().err
    assert code == 2
    expected = (
        f"DATABASE_PATH cannot be used: the folder {blocker} cannot be created (File exists); "
        "point DATABASE_PATH at a writable folder."
    )
    assert err.splitlines() == [expected]


def documented_values(path: Path) -> dict[str, str]:
    """Return NAME -> value for every `NAME=value` line of an env file, commented out or not."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]+)=(.*)", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def test_env_example_documents_every_setting_with_its_real_default(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    documented = documented_values(REPO / ".env.example")
    assert set(documented) == {name.upper() for name in Settings.model_fields}
    assert documented["DISCORD_TOKEN"] == "" and documented["COMETAPI_KEY"] == ""
    secrets = {"discord_token": "token", "cometapi_key": "key"}
    shown = {name.lower(): value for name, value in documented.items() if name.lower() not in secrets}
    from_example = Settings(_env_file=None, **secrets, **shown)
    assert from_example == Settings(_env_file=None, **secrets)


def test_readme_settings_table_lists_every_setting():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([A-Z_0-9]+)` \|", table, flags=re.MULTILINE))
    assert rows == {name.upper() for name in Settings.model_fields}
