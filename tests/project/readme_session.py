"""A reader's terminal for running the README's commands: a fresh clone and the environment they see.

The clone is made by the README's own ``git clone`` line (the repository's URL being this checkout),
then given this checkout's uncommitted changes, so what is tested is what you are about to commit.
Commands run with ``bash -c`` in the clone. Nothing is downloaded: ``python3`` on the PATH is the
interpreter running the tests, scripts/bootstrap makes its venv with it (``ensurepip`` is offline), and
its pip installs go through ``tests/project/offline_pip.py``, which links the locked packages from the test
run's own virtualenv.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from tests.project.readme_blocks import REPO

SETTING_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
# Variables of the test run itself that a reader's terminal would not have.
_NOT_INHERITED = re.compile(r"^(VIRTUAL_ENV|PYTHON|PYTHONPATH|PYTHONHOME|PYTEST_.*|MOTIONBOT_.*|CI)$")
# No command may reach the internet: pip has no index, and HTTP clients that read the proxy variables
# get a closed port (the doubles on 127.0.0.1 are reached directly).
_PROXIES = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
}
OFFLINE = {"PIP_NO_INDEX": "1", **_PROXIES, **{name.upper(): value for name, value in _PROXIES.items()}}
# What scripts/bootstrap says while it installs: the README says the scripts install into .venv.
BOOTSTRAP_INSTALLING = re.compile(r"^bootstrap: installing the (prod|dev) set from \S+$")


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code and what it printed."""

    command: str
    code: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        """Return the non-empty lines it printed on both streams, without bootstrap's install notes."""
        printed = (self.stdout + "\n" + self.stderr).splitlines()
        return [line for line in printed if line.strip() and not BOOTSTRAP_INSTALLING.match(line)]

    def describe(self) -> str:
        """Return the exit code and the output, for a failure message."""
        return f"exit {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class Running:
    """A long-running command (its process group), read line by line from both streams."""

    def __init__(self, command: str, process: asyncio.subprocess.Process) -> None:
        self.command = command
        self.process = process
        self.printed: list[str] = []

    async def wait_line(self, pattern: re.Pattern[str], timeout: float) -> str | None:
        """Return the first line matching ``pattern``; None if the command exits first or time runs out."""
        assert self.process.stdout is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while raw := await self.process.stdout.readline():
                    line = raw.decode(errors="replace").rstrip("\n")
                    self.printed.append(line)
                    if pattern.search(line):
                        return line
        return None

    def signal(self, number: int) -> None:
        """Send ``number`` to the command's own process (scripts/run execs Python in its place)."""
        if self.process.returncode is None:
            self.process.send_signal(number)

    async def finish(self, timeout: float) -> int | None:
        """Read the rest of the output until the command exits; return its code (None: still running)."""
        assert self.process.stdout is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                rest = await self.process.stdout.read()
                self.printed += rest.decode(errors="replace").splitlines()
                return await self.process.wait()
        return None

    async def kill(self) -> None:
        """Kill the whole process group (a benchmark's children too) and reap the command."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()


class Session:
    """A fresh clone of the repository and the environment a reader's commands run in."""

    def __init__(self, folder: Path, settings: Mapping[str, str]) -> None:
        self.folder = folder
        self.clone = folder / "motionbot"
        bin_dir = folder / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        (bin_dir / "python3").symlink_to(os.path.realpath(sys._base_executable))
        site_packages = sysconfig.get_paths()["purelib"]
        offline_pip = f"{sys.executable} {REPO / 'tests' / 'project' / 'offline_pip.py'} {site_packages}"
        inherited = {
            key: value
            for key, value in os.environ.items()
            if key not in SETTING_VARIABLES and not _NOT_INHERITED.match(key)
        }
        self.env = {
            **inherited,
            "PATH": f"{bin_dir}{os.pathsep}{inherited.get('PATH', '')}",
            "MOTIONBOT_TEST_FAKE_PIP_INSTALL": offline_pip,
            "PYTHONUNBUFFERED": "1",
            **OFFLINE,
            **settings,
        }

    async def run(self, command: str, *, timeout: float = 120.0, cwd: Path | None = None) -> Outcome:
        """Run ``command`` to its exit in the clone (or ``cwd``) and return what it did."""
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            command,
            cwd=cwd or self.clone,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(timeout):
                stdout, stderr = await process.communicate()
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = await process.communicate()
            return Outcome(command, -1, stdout.decode(errors="replace"), f"timed out after {timeout} s\n")
        assert process.returncode is not None
        return Outcome(
            command, process.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace")
        )

    @contextlib.asynccontextmanager
    async def start(self, command: str) -> AsyncIterator[Running]:
        """Start ``command`` in the clone; whatever still runs when the block ends is killed."""
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            command,
            cwd=self.clone,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        running = Running(command, process)
        try:
            yield running
        finally:
            await running.kill()

    def take_uncommitted_changes(self) -> None:
        """Copy this checkout's changes (staged or not, new files too) into the clone, deletions too."""
        changed = _git("diff", "--name-only", "-z", "HEAD") + _git(
            "ls-files", "--others", "--exclude-standard", "-z"
        )
        for name in filter(None, changed.split("\0")):
            source, target = REPO / name, self.clone / name
            if source.exists() or source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
            else:
                target.unlink(missing_ok=True)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout
