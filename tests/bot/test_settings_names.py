"""No setting silently ignored: a name in .env that is not a setting stops every command (exit 2) with
the setting to rename it to; a look-alike in the environment is warned about; doctor fails on both.

Each test runs the real ``python -m bot`` in a folder of its own, as the README runs it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.store import JobStore
from tests import cli_support
from tests.cli_process import (
    REPO,
    SETTINGS_VARIABLES,
    clean_environment,
    offline_environment,
    run_cli,
    run_cli_async,
)
from tests.doubles import fixtures_cometapi

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

SECRETS = "DISCORD_TOKEN=MTIz.token\nCOMETAPI_KEY=sk-key\n"
IGNORED = (
    "(.env.example lists every setting; "
    "Motionbot does not start while its settings file has a line it would ignore)."
)
UNSET = "or unset it if another program needs it."


def file_line(name: str, env_file: Path, setting: str) -> str:
    return f"{name} in {env_file} is not a setting: rename it to {setting} {IGNORED}"


def typo_line(env_file: Path) -> str:
    return file_line("MAX_DAILY_JOB_PER_GUILD", env_file, "MAX_DAILY_JOBS_PER_GUILD")


def env_warning(name: str, setting: str) -> str:
    return (
        f"the environment variable {name} is not a setting, so it is ignored: rename it to {setting}, {UNSET}"
    )


def write_env(folder: Path, text: str) -> Path:
    env_file = folder / ".env"
    env_file.write_text(text, encoding="utf-8")
    return env_file


async def empty_database(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    async with await JobStore.open(path):
        pass
    return path


def test_a_misspelled_limit_in_env_stops_run_naming_the_setting(tmp_path):
    env_file = write_env(tmp_path, SECRETS + "MAX_DAILY_JOB_PER_GUILD=5\n")
    result = run_cli("run", cwd=tmp_path, env=offline_environment())
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [typo_line(env_file)]
    assert not (tmp_path / "data").exists()  # refused before anything was created


@pytest.mark.parametrize(
    "args", [("sync",), ("invite",), ("jobs",), ("move-to-postgres",), ("--env-file", "prod.env", "run")]
)
def test_every_command_that_reads_the_settings_refuses_it(tmp_path, args):
    env_file = tmp_path / ("prod.env" if "prod.env" in args else ".env")
    env_file.write_text(SECRETS + "MAX_DAILY_JOB_PER_GUILD=5\n", encoding="utf-8")
    environment = offline_environment(DATABASE_URL="postgresql://motionbot@127.0.0.1:1/motionbot")
    result = run_cli(*args, cwd=tmp_path, env=environment)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [typo_line(env_file)]


def test_every_unknown_line_is_named_with_the_closest_setting_and_lowercase_names_count(tmp_path):
    env_file = write_env(tmp_path, SECRETS + "max_daily_jobs_per_user=3\nJOB_TIMEOUT=30\nCOLOUR=blue\n")
    result = run_cli("run", cwd=tmp_path, env=offline_environment())
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        file_line("JOB_TIMEOUT", env_file, "JOB_TIMEOUT_MINUTES"),
        f"COLOUR in {env_file} is not a setting: fix its name or delete the line {IGNORED}",
    ]


def test_a_typo_beside_a_missing_secret_names_both(tmp_path):
    env_file = write_env(tmp_path, "DISCORD_TOKNE=MTIz.token\nCOMETAPI_KEY=sk-key\n")
    result = run_cli("run", cwd=tmp_path, env=offline_environment())
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == file_line("DISCORD_TOKNE", env_file, "DISCORD_TOKEN")
    assert lines[1].startswith("DISCORD_TOKEN is missing: set it to the bot token")


async def test_look_alikes_in_the_environment_are_warned_about_and_the_command_runs(tmp_path):
    database = await empty_database(tmp_path / "jobs.sqlite3")
    environment = clean_environment(
        DATABASE_PATH=str(database),
        MOTIONBOT_MAX_DAILY_JOBS_PER_GUILD="5",
        LOGLEVEL="DEBUG",
        DISCORD_BOT_TOKEN="MTIz.token",
        POLL_INTERVAL="10",
    )
    code, out, err = await run_cli_async("jobs", cwd=tmp_path, env=environment)
    assert code == 0, err
    assert out.splitlines()[-1] == "0 jobs"
    warnings = [re.sub(r"^\S+ WARNING bot: ", "", line) for line in err.splitlines()]
    assert warnings == [
        env_warning("DISCORD_BOT_TOKEN", "DISCORD_TOKEN"),
        env_warning("LOGLEVEL", "LOG_LEVEL"),
        env_warning("MOTIONBOT_MAX_DAILY_JOBS_PER_GUILD", "MAX_DAILY_JOBS_PER_GUILD"),
        env_warning("POLL_INTERVAL", "POLL_INTERVAL_SECONDS"),
    ]
    assert all(" WARNING bot: " in line for line in err.splitlines())


# Names a host or a container platform sets that only resemble a setting (difflib ratio 0.79 at most),
# Kubernetes' service links for a service named motionbot, and the test suite's own switches.
UNRELATED_VARIABLES = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "PGPORT", "PGHOST", "DATABASE_HOST", "LOG_FILE",
    "GITHUB_TOKEN", "OPENAI_API_KEY", "PORT", "KUBERNETES_SERVICE_HOST", "MOTIONBOT_SERVICE_HOST",
    "MOTIONBOT_SERVICE_PORT_HTTP", "MOTIONBOT_PORT", "MOTIONBOT_PORT_8080_TCP_ADDR",
    "MOTIONBOT_TEST_FAKE_PIP_INSTALL",
)  # fmt: skip


def docker_and_compose_variables() -> dict[str, str]:
    """Every variable the image and the compose files set (in any service), with the base image's own."""
    names = {"PATH", "LANG", "GPG_KEY", "PYTHON_VERSION", "PYTHON_SHA256", "HOSTNAME", "HOME"}
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    names |= set(re.findall(r"\b([A-Z][A-Z0-9_]*)=", dockerfile))
    for compose in REPO.glob("compose*.yaml"):
        names |= compose_environment_names(compose.read_text(encoding="utf-8"))
    assert {"PYTHONUNBUFFERED", "DATABASE_PATH", "HTTP_PORT", "SHARD_IDS", "POSTGRES_USER"} <= names
    # The settings among them are real settings (with values of their own); the rest must pass unseen.
    return dict.fromkeys(names - {"PATH", "HOME"} - SETTINGS_VARIABLES, "1")


def compose_environment_names(text: str) -> set[str]:
    """The keys of every ``environment:`` mapping of a compose file."""
    names, indent = set(), None
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip())
        if line.strip() == "environment:":
            indent = depth
        elif indent is not None and line.strip() and depth <= indent:
            indent = None
        elif indent is not None and (match := re.match(r"\s+([A-Z][A-Z0-9_]*):", line)):
            names.add(match.group(1))
    return names


async def test_unrelated_variables_and_what_docker_and_compose_set_are_not_warned_about(tmp_path):
    database = await empty_database(tmp_path / "jobs.sqlite3")
    write_env(tmp_path, "COMPOSE_PROJECT_NAME=motionbot\nPOSTGRES_PASSWORD=secret\n")
    unrelated = dict.fromkeys(UNRELATED_VARIABLES, "1")
    environment = clean_environment(
        **docker_and_compose_variables(), **unrelated, DATABASE_PATH=str(database)
    )
    code, out, err = await run_cli_async("jobs", cwd=tmp_path, env=environment)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "0 jobs"


async def test_doctor_fails_on_both_says_what_to_rename_and_still_checks_the_rest(cli_env, tmp_path):
    env_file = write_env(tmp_path, "MAX_DAILY_JOB_PER_GUILD=5\n")
    environment = clean_environment(
        **{name: value for name, value in os.environ.items() if name in cli_support.SETTINGS_VARIABLES},
        MOTIONBOT_DISCORD_TOKEN="MTIz.token",
    )
    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=environment)
    lines = out.splitlines()
    assert code == 2, out + err
    assert lines[0] == f"FAIL settings: {typo_line(env_file)}"
    assert lines[1] == (
        "FAIL settings: the environment variable MOTIONBOT_DISCORD_TOKEN is not a setting, so it is ignored: "
        "rename it to DISCORD_TOKEN, or unset it if another program needs it."
    )
    assert [line.split(" ")[0] for line in lines[2:]] == ["ok", "ok", "ok", "ok"]
    assert not any(line.startswith("ok  settings") for line in lines)
