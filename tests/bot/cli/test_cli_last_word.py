"""The small things of an admin's first hour, each through the real ``python -m bot`` process: every
number outside its documented range is refused, a rejected token's fix is the last line, ``invite``
without Discord points at ``--client-id``, ``jobs`` names the file it looked for, and a too-old Python
is a configuration problem (exit 2).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.cli.parser import LOGIN_HELP
from bot.settings import EXPECTATIONS, Settings
from tests import cli_support
from tests.cli_process import (
    AS_PYTHON_3_10,
    REPO,
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

SECRETS = {"DISCORD_TOKEN": "MTIz.token", "COMETAPI_KEY": "sk-key"}
RANGE = re.compile(r"(?:between|\() ?(\d[\d.]*) (?:and|to) (\d[\d.]*)")


def documented_ranges() -> dict[str, tuple[str, str]]:
    """Every setting's range as its one line of help states it ("between 1 and 1440", "(1 to 10000)")."""
    found = {name: RANGE.search(text) for name, text in EXPECTATIONS.items()}
    return {name: (match.group(1), match.group(2)) for name, match in found.items() if match}


def readme_ranges() -> dict[str, tuple[str, str]]:
    """Every range the README's settings table states, such as ``(1–1440)``."""
    table = (REPO / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \|.*?\((\d[\d.]*)–(\d[\d.]*)[;)]", table, flags=re.MULTILINE)
    return {name.lower(): (low, high) for name, low, high in rows}


def accepts(name: str, value: str) -> bool:
    try:
        Settings(_env_file=None, discord_token="t", cometapi_key="k", **{name: value})  # type: ignore[call-arg]
    except ValidationError:
        return False
    return True


def outside(low: str, high: str) -> tuple[str, str]:
    """A value just below ``low`` and just above ``high``, in the unit's own kind (whole or not)."""
    if "." in low or "." in high:
        return str(float(low) / 2), str(float(high) * 1.01)
    return str(int(low) - 1), str(int(high) + 1)


def test_every_documented_range_is_the_validated_one():
    ranges = documented_ranges()
    assert {"job_timeout_minutes", "http_port", "shard_count", "max_waiting_jobs_per_user"} <= set(ranges)
    for name, (low, high) in readme_ranges().items():
        assert ranges[name] == (low, high), name
    for name, (low, high) in ranges.items():
        below, above = outside(low, high)
        is_float = Settings.model_fields[name].annotation is float
        if is_float and "." not in low:
            below = str(float(low) / 2) if float(low) > 0 else "-0.5"
        assert accepts(name, low) and accepts(name, high), name
        assert not accepts(name, below) and not accepts(name, above), (name, below, above)


def test_a_job_timeout_of_half_a_minute_is_refused_at_start(tmp_path):
    env = offline_environment(**SECRETS, JOB_TIMEOUT_MINUTES="0.5")
    result = run_cli("run", cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "JOB_TIMEOUT_MINUTES is invalid (Input should be greater than or equal to 1): "
        "expected a number of minutes between 1 and 1440.\n"
    )


async def test_a_rejected_token_ends_with_the_fix_and_exit_2(cli_env, fake_discord, tmp_path):
    fake_discord.token = "another-token"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code, _, err = await run_cli_async("run", "--env-file", str(cli_env), cwd=tmp_path, env=env)
    lines = err.splitlines()
    assert code == 2, err
    assert lines[-1].endswith(f"CRITICAL bot: {LOGIN_HELP}")
    assert sum("CRITICAL" in line for line in lines) == 1  # the fix, said once, after everything closed
    assert "Traceback" not in err


def test_invite_without_discord_suggests_client_id(tmp_path):
    result = run_cli("invite", cwd=tmp_path, env=offline_environment(**SECRETS))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "could not reach Discord at http://127.0.0.1:" in lines[0]
    assert lines[0].endswith(
        "or skip Discord with --client-id ID (the Application ID on the developer portal's "
        "General Information page)"
    )


def test_jobs_names_the_file_and_folder_it_looked_in_and_creates_nothing(tmp_path):
    result = run_cli("jobs", cwd=tmp_path, env=offline_environment(**SECRETS))
    assert result.returncode == 2
    assert result.stderr == (
        f"there is no database at {tmp_path / 'data' / 'motionbot.sqlite3'} "
        f"(DATABASE_PATH=data/motionbot.sqlite3, relative to the current folder {tmp_path}); "
        "run it from the bot's folder, or check DATABASE_PATH or --database\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_jobs_needs_no_secrets(tmp_path):
    result = run_cli("jobs", "--format", "csv", cwd=tmp_path, env=offline_environment())
    assert result.returncode == 2
    assert result.stderr.startswith("there is no database at ")


@pytest.mark.parametrize("args", [("--help",), ("run",)])
def test_a_too_old_python_is_one_line_and_exit_2(tmp_path, args):
    result = subprocess.run(
        [sys.executable, "-c", AS_PYTHON_3_10, *args],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Motionbot needs Python 3.11 or newer, but {sys.executable} is Python 3.10.12. "
        "Debian/Ubuntu: sudo apt install python3.11 python3.11-venv, then PYTHON=python3.11 scripts/run.\n"
    )
