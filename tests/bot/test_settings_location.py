"""Where the settings were looked for: a missing DISCORD_TOKEN names the file (absolute) and how to make
it, and an ``--env-file`` that does not exist is refused by every subcommand in one line (exit 2).

Run the real ``python -m bot`` (and ``scripts/run``) from a fresh copy of the code, as on a fresh clone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_process import fresh_checkout, offline_environment, run_cli, run_script

SUBCOMMANDS = (
    ("run",),
    ("sync",),
    ("doctor",),
    ("invite",),
    ("invite", "--client-id", "1234567890123456789"),
    ("jobs",),
    ("jobs", "--database", "jobs.sqlite3"),
    ("move-to-postgres",),
)
MISSING = (
    (
        "DISCORD_TOKEN is missing: set it to the bot token from the Discord developer portal "
        "(Bot > Reset Token)."
    ),
    "COMETAPI_KEY is missing: set it to your CometAPI key (https://api.cometapi.com console).",
)
NO_FILE = "there is no settings file {}, so only the environment was read"


def read_from(env_file: Path) -> str:
    return f"the settings were read from the environment and {env_file}: set DISCORD_TOKEN in {env_file}."


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A fresh copy of the code with no .env, shared by the tests that do not change it."""
    return fresh_checkout(tmp_path_factory.mktemp("clone") / "motionbot")


def test_a_fresh_clone_without_env_names_the_file_and_says_cp(checkout):
    result = run_cli("run", cwd=checkout, env=offline_environment(checkout))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        *MISSING,
        NO_FILE.format(checkout / ".env") + f": create it with `cp .env.example .env` in {checkout}, "
        "then set DISCORD_TOKEN and COMETAPI_KEY in it.",
    ]
    assert not (checkout / "data").exists()


def test_from_another_folder_the_line_names_that_folder_and_the_clone(checkout, tmp_path):
    result = run_cli("run", cwd=tmp_path, env=offline_environment(checkout))
    assert result.returncode == 2
    assert result.stderr.splitlines()[2] == (
        NO_FILE.format(tmp_path / ".env") + " (.env is read from "
        f"the current folder): in {checkout} run `cp .env.example .env`, set DISCORD_TOKEN and COMETAPI_KEY "
        "in it, and start from there (scripts/run does)."
    )


def test_from_another_folder_the_clones_own_env_is_pointed_at(tmp_path):
    clone = fresh_checkout(tmp_path / "motionbot")
    (clone / ".env").write_text("DISCORD_TOKEN=MTIz.token\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("run", cwd=elsewhere, env=offline_environment(clone))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        NO_FILE.format(elsewhere / ".env") + " (.env is read from "
        f"the current folder): {clone / '.env'} exists, so start from {clone} (scripts/run does) or pass "
        f"--env-file {clone / '.env'}."
    )


def test_an_env_file_without_the_token_is_named(tmp_path, checkout):
    env_file = tmp_path / ".env"
    env_file.write_text("COMETAPI_KEY=sk-key\n", encoding="utf-8")
    result = run_cli("run", cwd=tmp_path, env=offline_environment(checkout))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        MISSING[0],
        read_from(env_file),
    ]


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_refuses_an_env_file_that_does_not_exist(tmp_path, checkout, args):
    environment = offline_environment(checkout, DISCORD_TOKEN="MTIz.token", COMETAPI_KEY="sk-key")
    result = run_cli("--env-file", "prod.env", *args, cwd=tmp_path, env=environment)
    line = f"there is no settings file {tmp_path / 'prod.env'} (--env-file prod.env): check the path."
    assert result.returncode == 2
    if args == ("doctor",):
        assert (result.stdout, result.stderr) == (f"FAIL settings: {line}\n", "")
    else:
        assert (result.stdout, result.stderr) == ("", f"{line}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # nothing created


def test_the_option_after_the_subcommand_is_checked_too(tmp_path, checkout):
    environment = offline_environment(checkout, DISCORD_TOKEN="MTIz.token", COMETAPI_KEY="sk-key")
    result = run_cli("run", "--env-file", "prod.env", cwd=tmp_path, env=environment)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"there is no settings file {tmp_path / 'prod.env'} (--env-file prod.env): check the path.\n"
    )


def test_scripts_run_reads_the_env_of_the_clone_from_any_folder(tmp_path):
    clone = fresh_checkout(tmp_path / "motionbot")
    (clone / ".env").write_text("COMETAPI_KEY=sk-key\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_script(clone, cwd=elsewhere, env=offline_environment(clone))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        MISSING[0],
        read_from(clone / ".env"),
    ]
