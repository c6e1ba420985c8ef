"""Run the real command line (``python -m bot …``, ``scripts/run …``) in a child process, as an admin would.

The child gets this process's environment without any Motionbot setting or look-alike (a developer's
own ``.env`` or variables never leak in), a working folder of the test's choosing, and no network:
settings that would reach out point at a closed port on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
CHECKOUT_FILES = (
    ".env.example",
    "pyproject.toml",
    "requirements.lock",
    "requirements-dev.lock",
    "requirements-build.lock",
)

# ``python -c`` code that runs ``python -m bot`` with the interpreter saying it is 3.10 (Ubuntu 22.04's
# python3) before the bot is imported: no older Python is installed where the tests run.
AS_PYTHON_3_10 = (
    "import sys, runpy; sys.version_info = (3, 10, 12, 'final', 0); "
    "sys.argv[0] = 'bot'; runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


def closed_url(path: str = "") -> str:
    """Return an http URL on 127.0.0.1 where nothing listens (a connection is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _looks_like_a_setting(name: str) -> bool:
    upper = name.upper()
    if upper in SETTINGS_VARIABLES or upper.startswith("MOTIONBOT_"):
        return True
    return bool(difflib.get_close_matches(upper, SETTINGS_VARIABLES, n=1, cutoff=0.8))


def clean_environment(pythonpath: Path = REPO, **variables: str) -> dict[str, str]:
    """Return this process's environment without settings and look-alikes, plus ``variables``."""
    inherited = {key: value for key, value in os.environ.items() if not _looks_like_a_setting(key)}
    return {**inherited, "PYTHONPATH": str(pythonpath), **variables}


def offline_environment(pythonpath: Path = REPO, **variables: str) -> dict[str, str]:
    """Return ``clean_environment`` with CometAPI and Discord at closed ports: nothing leaves the host."""
    closed = {
        "COMETAPI_BASE_URL": closed_url(),
        "DISCORD_API_BASE_URL": closed_url("/api/v10"),
        "DISCORD_GATEWAY_URL": closed_url().replace("http", "ws", 1),
    }
    return clean_environment(pythonpath, **{**closed, **variables})


def run_cli(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot *args`` in ``cwd`` to its exit."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def run_cli_async(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> tuple[int, str, str]:
    """Run ``python -m bot *args`` while this event loop keeps serving the doubles; return code, out, err."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


def fresh_checkout(folder: Path) -> Path:
    """Copy what a fresh clone holds for running the bot (code, scripts, example settings) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("bot", "cogs", "scripts"):
        shutil.copytree(REPO / package, folder / package, ignore=ignore)
    for name in CHECKOUT_FILES:
        shutil.copy(REPO / name, folder / name)
    return folder


def run_script(
    checkout: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``<checkout>/scripts/run *args`` from ``cwd``; bootstrap installs nothing (pip is stubbed).

    The new ``.venv`` borrows this test run's installed dependencies through PYTHONPATH, and the
    checkout's own code comes first on it.
    """
    fake_pip = checkout.parent / "fake-pip"
    fake_pip.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake_pip.chmod(0o755)
    script_env = {
        **env,
        "PYTHON": sys.executable,
        "PYTHONPATH": f"{checkout}{os.pathsep}{sysconfig.get_paths()['purelib']}",
        "MOTIONBOT_TEST_FAKE_PIP_INSTALL": str(fake_pip),
        "MOTIONBOT_TEST_VENV_OPTIONS": "--without-pip --system-site-packages",
    }
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "run"), *args],
        cwd=cwd,
        env=script_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
