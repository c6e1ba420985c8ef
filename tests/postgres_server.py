"""A private PostgreSQL server for the test suite, started by the test command itself.

One server per pytest process (each xdist worker has its own), in a temporary folder: ``initdb``
then ``pg_ctl start`` listening on a unix socket in that folder and on a free TCP port of 127.0.0.1,
with durability turned off (a test database never outlives its test). It is stopped and deleted at
the end of the session. ``MOTIONBOT_TEST_POSTGRES_URL`` points the suite at an existing server
instead (an admin URL: the suite creates and drops one database per test there).

Without the server binaries a test that needs PostgreSQL is skipped with the reason, except on CI
(``CI`` set), where the suite must skip nothing: there it fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

URL_VARIABLE = "MOTIONBOT_TEST_POSTGRES_URL"
SERVER_USER = "postgres"  # initdb and postgres refuse to run as root
BINARIES_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres-binaries"
START_ATTEMPTS = 3  # the free port may be taken by another process between the probe and the start
FAST_AND_UNSAFE = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it on CI, where the suite must skip nothing."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed on CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL is not available: {reason}")


def find_server() -> tuple[Path | None, str]:
    """Return the folder of the newest usable ``initdb``/``pg_ctl``/``postgres``, or None and why not.

    ``scripts/postgres-binaries --check`` is the one place that knows where each system keeps them
    and which majors the suite accepts; its reason names the command that installs them here.
    """
    found = subprocess.run(
        ["bash", str(BINARIES_SCRIPT), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    answer = found.stdout.strip()
    if found.returncode == 0 and answer:
        return Path(answer), ""
    return None, answer.removeprefix("missing: ") or found.stderr.strip()


def server_bindir() -> Path | None:
    """Return the folder of the newest usable ``initdb``/``pg_ctl``/``postgres``, or None when absent."""
    return find_server()[0]


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateServer:
    """One throw-away PostgreSQL cluster in ``folder``, run as ``postgres`` when we are root."""

    bindir: Path
    folder: Path
    port: int = 0

    @property
    def url(self) -> str:
        """The admin URL (trust authentication, so no password)."""
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() != 0:
            return command
        if shutil.which("runuser") is None:
            unavailable("running as root needs runuser to start PostgreSQL as the postgres user")
        return ["runuser", "-u", SERVER_USER, "--", *command]

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(tool, *args),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )

    def init(self) -> None:
        """Create the cluster: trust authentication, UTF-8, no fsync of the new files."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, SERVER_USER, SERVER_USER)
        done = self._run(
            "initdb", "-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.folder / "data"

    def start(self) -> None:
        """Start the server on a free port; retried when another process took the port meanwhile."""
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            options = [f"-p {self.port}", "-h 127.0.0.1", f"-k {self.folder}"]
            options += [f"-c {setting}" for setting in FAST_AND_UNSAFE]
            log = self.folder / "server.log"
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(log), "-o", " ".join(options), "-w", "start"
            )
            if done.returncode == 0:
                return
        raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{_tail(log)}")

    def stop(self) -> None:
        """Stop the server at once (no checkpoint: its data is thrown away)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return ""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of this pytest process's PostgreSQL server (started on first use, stopped at the end)."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    bindir, reason = find_server()
    if bindir is None:
        unavailable(reason)
    # Not under pytest's basetemp: its 0700 parent would keep the postgres user out.
    folder = Path(tempfile.mkdtemp(prefix="motionbot-pg-"))
    server = PrivateServer(bindir, folder)
    try:
        server.init()
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def admin(url: str, statement: str) -> None:
    """Run one statement on ``url`` from a thread of its own, whatever event loop this thread has."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _execute(url, statement)).result()


def database_url(admin_url: str, name: str) -> str:
    """Return ``admin_url`` naming the database ``name`` instead (query options are kept)."""
    head, sep, query = admin_url.partition("?")
    base = head.rsplit("/", 1)[0] if head.count("/") > 2 else head
    return f"{base}/{name}{sep}{query}"


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database of its own for this test (dropped afterwards); its URL has no password."""
    name = f"test_{uuid.uuid4().hex}"
    admin(postgres_server, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(postgres_server, name)
    finally:
        admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
