"""The failing set-ups the README's troubleshooting table is about, each made real and run.

Each situation runs the real entry point (``python -m bot``, or scripts/bootstrap) the way a reader's
mistake makes it fail, and returns everything it printed. The bot reads only the environment given here
(``--env-file`` names an empty file, unless the settings file is what the situation is about), and every
address it could reach is a loopback double or a closed port, so nothing leaves the machine. The Discord
situations are in ``tests/project/troubleshooting_discord.py``.
``tests/project/test_readme_troubleshooting.py`` checks that each quoted line of the table is among what
these printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from tests.cli_process import AS_PYTHON_3_10, fresh_checkout
from tests.postgres_server import database_url, free_port
from tests.project.readme_blocks import REPO
from tests.project.readme_session import OFFLINE, SETTING_VARIABLES
from tests.project.test_bootstrap import _bootstrap, _copy_repo, _fake_python
from tests.reliability.lock_holder import write_lock_held

Situation = Callable[[Path], Awaitable[str]]
SECRETS = {"DISCORD_TOKEN": "MTIz.situation.token", "COMETAPI_KEY": "sk-situation-key"}
EXIT_TIMEOUT = 60.0
# ``python -m bot run`` reading the settings file of the folder it starts in (``.env``).
BOT = (sys.executable, "-m", "bot", "run")


def _closed_url(path: str = "") -> str:
    return f"http://127.0.0.1:{free_port()}{path}"


def bot_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """Return the environment of a bot that reaches nothing but what ``settings`` points it at."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTING_VARIABLES and not key.startswith(("MOTIONBOT_", "PYTHON"))
    }
    unreachable = {
        "DISCORD_API_BASE_URL": _closed_url("/api/v10"),
        "DISCORD_GATEWAY_URL": _closed_url().replace("http", "ws"),
        "COMETAPI_BASE_URL": _closed_url(),
    }
    return {
        **inherited,
        **OFFLINE,
        **unreachable,
        **settings,
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
    }


async def start(command: Sequence[str], folder: Path, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """Start ``command`` in ``folder`` with exactly ``env``, both output streams on one pipe."""
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=folder,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def spawn(folder: Path, settings: Mapping[str, str], *args: str) -> asyncio.subprocess.Process:
    """Start ``python -m bot ARGS`` in ``folder`` with ``settings``, reading an empty settings file."""
    env_file = folder / "empty.env"
    env_file.touch()
    command = [sys.executable, "-m", "bot", "--env-file", str(env_file), *args]
    return await start(command, folder, bot_environment(settings))


async def exits(command: Sequence[str], folder: Path, env: Mapping[str, str]) -> str:
    """Run ``command`` in ``folder`` with exactly ``env`` to its exit; return what it printed."""
    return await _output(await start(command, folder, env))


async def bot_exits(folder: Path, settings: Mapping[str, str], *args: str) -> str:
    """Run ``python -m bot [args]`` (``run`` by default) to its exit; return what it printed."""
    return await _output(await spawn(folder, settings, *(args or ("run",))))


async def _output(process: asyncio.subprocess.Process) -> str:
    try:
        async with asyncio.timeout(EXIT_TIMEOUT):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return f"(exit {process.returncode})\n" + output.decode(errors="replace")


def database_file(folder: Path) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    return folder / "data" / "motionbot.sqlite3"


def with_database(path: Path | str) -> dict[str, str]:
    return {**SECRETS, "DATABASE_PATH": str(path)}


# -- settings ---------------------------------------------------------------------------------------


async def no_secrets(folder: Path) -> str:
    """A fresh set-up: neither secret is set."""
    return await bot_exits(folder, {})


async def invalid_setting(folder: Path) -> str:
    """A setting with a value it does not take."""
    return await bot_exits(folder, {**SECRETS, "LOG_LEVEL": "LOUD"})


async def quoted_token(folder: Path) -> str:
    """``docker run --env-file`` passed the quotes of ``DISCORD_TOKEN="..."`` through."""
    return await bot_exits(folder, {**SECRETS, "DISCORD_TOKEN": '"MTIz.quoted.token"'})


async def not_postgres(folder: Path) -> str:
    """A ``DATABASE_URL`` of another database system."""
    return await bot_exits(folder, {**SECRETS, "DATABASE_URL": "mysql://user:pw@127.0.0.1/motionbot"})


async def no_env_file(folder: Path) -> str:
    """A fresh clone where ``cp .env.example .env`` was not done yet, started from its folder."""
    clone = fresh_checkout(folder / "motionbot")
    env = {**bot_environment({}), "PYTHONPATH": str(clone)}
    return await exits(BOT, clone, env)


async def started_elsewhere(folder: Path) -> str:
    """The clone has its ``.env``, but the bot starts from another folder (``.env`` is read from there)."""
    clone = fresh_checkout(folder / "motionbot")
    (clone / ".env").write_text("DISCORD_TOKEN=x\nCOMETAPI_KEY=y\n", encoding="utf-8")
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    env = {**bot_environment({}), "PYTHONPATH": str(clone)}
    return await exits(BOT, elsewhere, env)


async def env_file_not_there(folder: Path) -> str:
    """``--env-file`` names a file that does not exist (a typo in its name)."""
    return await exits(
        [sys.executable, "-m", "bot", "--env-file", "prod.env", "run"], folder, bot_environment(SECRETS)
    )


async def misspelled_in_env_file(folder: Path) -> str:
    """``.env`` has ``MAX_DAILY_JOB_PER_GUILD=5``: one S short of the server's daily limit."""
    (folder / ".env").write_text("MAX_DAILY_JOB_PER_GUILD=5\n", encoding="utf-8")
    return await exits(BOT, folder, bot_environment(SECRETS))


async def look_alike_in_environment(folder: Path) -> str:
    """The environment has ``JOB_TIMEOUT=30``: the setting is ``JOB_TIMEOUT_MINUTES``."""
    return await bot_exits(folder, {**with_database(database_file(folder)), "JOB_TIMEOUT": "30"})


async def python_too_old(folder: Path) -> str:
    """``python3 -m bot`` where ``python3`` is Python 3.10 (Ubuntu 22.04's), not the ``.venv`` one."""
    return await exits([sys.executable, "-c", AS_PYTHON_3_10, "run"], folder, bot_environment(SECRETS))


async def jobs_elsewhere(folder: Path) -> str:
    """``jobs`` run from another folder than the bot's: the relative ``DATABASE_PATH`` finds no file."""
    return await bot_exits(folder, {"DATABASE_PATH": "data/motionbot.sqlite3"}, "jobs")


# -- scripts/bootstrap ------------------------------------------------------------------------------


async def old_python(folder: Path) -> str:
    """scripts/bootstrap where ``python3`` is Python 3.10 (Ubuntu 22.04's)."""
    repo = _copy_repo(folder)
    _fake_python(repo / "fakebin", "python3")
    env = {key: value for key, value in bot_environment({}).items() if key != "PYTHON"}
    env["PATH"] = f"{repo / 'fakebin'}{os.pathsep}{env['PATH']}"
    result = await asyncio.to_thread(
        subprocess.run, ["bash", "scripts/bootstrap"], cwd=repo, env=env, capture_output=True, text=True
    )
    return result.stdout + result.stderr


async def broken_venv(folder: Path) -> str:
    """scripts/bootstrap finding a ``.venv`` an interrupted install left without a Python."""
    repo = _copy_repo(folder)
    (repo / ".venv").mkdir()
    result = await asyncio.to_thread(_bootstrap, repo)
    return result.stdout + result.stderr


# -- the SQLite database ----------------------------------------------------------------------------


async def folder_under_a_file(folder: Path) -> str:
    """``DATABASE_PATH`` inside something that is a file, not a folder."""
    (folder / "a-file").write_text("not a folder", encoding="utf-8")
    return await bot_exits(folder, with_database(folder / "a-file" / "data" / "motionbot.sqlite3"))


async def path_is_a_folder(folder: Path) -> str:
    """``DATABASE_PATH`` names a folder."""
    return await bot_exits(folder, with_database(folder))


async def cannot_open(folder: Path) -> str:
    """The database file is a link to a place that does not exist (as root, permissions stop nothing)."""
    path = database_file(folder)
    path.symlink_to(folder / "gone" / "motionbot.sqlite3")
    return await bot_exits(folder, with_database(path))


async def locked(folder: Path) -> str:
    """Another process (a backup, say) holds the database's write lock longer than the bot waits."""
    path = database_file(folder)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE backup_in_progress (x)")
        conn.commit()
    async with write_lock_held(path):
        return await bot_exits(folder, {**with_database(path), "DATABASE_LOCK_RETRY_SECONDS": "0.1"})


async def second_bot(folder: Path) -> str:
    """Another Motionbot already runs on the database (it holds the instance lock)."""
    path = database_file(folder)
    async with _instance_lock_held(path):
        return await bot_exits(folder, with_database(path))


@contextlib.asynccontextmanager
async def _instance_lock_held(database: Path) -> AsyncIterator[None]:
    """Hold ``<database>.lock`` as a running bot does (``bot.store`` instance lock), from another process."""
    holder = (
        "import fcntl, os, sys; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "f.truncate(0); f.write(f'{os.getpid()}\\n'); f.flush(); print('held', flush=True)\n"
        "sys.stdin.readline()"
    )
    lock = database.with_name(database.name + ".lock")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder, str(lock), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        assert await process.stdout.readline() == b"held\n"
        yield
    finally:
        process.stdin.close()
        await process.wait()


async def damaged(folder: Path) -> str:
    """The database file is not an SQLite database at all."""
    path = database_file(folder)
    path.write_bytes(b"these are not the bytes of a database\n" * 200)
    return await bot_exits(folder, with_database(path))


async def failed_integrity(folder: Path) -> str:
    """An SQLite file whose free-page list points at a page that does not exist."""
    path = database_file(folder)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
        conn.commit()
        conn.execute("DELETE FROM t")
        conn.commit()
    data = bytearray(path.read_bytes())
    data[32:40] = (9999).to_bytes(4, "big") + (3).to_bytes(4, "big")  # first free-list page, count
    path.write_bytes(bytes(data))
    return await bot_exits(folder, with_database(path))


async def newer_schema(folder: Path) -> str:
    """A database written by a newer Motionbot (a higher schema version)."""
    path = database_file(folder)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 9999")
    return await bot_exits(folder, with_database(path))


# -- PostgreSQL -----------------------------------------------------------------------------------


async def postgres_unreachable(folder: Path) -> str:
    """``DATABASE_URL`` names a port where no PostgreSQL server listens."""
    url = f"postgresql://motionbot:secret@127.0.0.1:{free_port()}/motionbot"
    return await bot_exits(folder, {**SECRETS, "DATABASE_URL": url})


def postgres_situations(admin_url: str) -> list[Situation]:
    """Return the situations that need a PostgreSQL server at ``admin_url``."""

    async def login_refused(folder: Path) -> str:
        """A user the server does not know."""
        url = admin_url.replace("postgresql://postgres@", "postgresql://nobody:not-the-password@", 1)
        return await bot_exits(folder, {**SECRETS, "DATABASE_URL": url})

    async def no_such_database(folder: Path) -> str:
        """A database name the server does not have."""
        return await bot_exits(folder, {**SECRETS, "DATABASE_URL": database_url(admin_url, "no_such_db")})

    return [login_refused, no_such_database]


# -- the HTTP port --------------------------------------------------------------------------------


async def port_taken(folder: Path) -> str:
    """Another program listens on ``HTTP_PORT``."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        return await bot_exits(folder, {**with_database(database_file(folder)), "HTTP_PORT": str(port)})


SITUATIONS: list[Situation] = [
    no_secrets,
    invalid_setting,
    quoted_token,
    not_postgres,
    no_env_file,
    started_elsewhere,
    env_file_not_there,
    misspelled_in_env_file,
    look_alike_in_environment,
    python_too_old,
    jobs_elsewhere,
    old_python,
    broken_venv,
    folder_under_a_file,
    path_is_a_folder,
    cannot_open,
    locked,
    second_bot,
    damaged,
    failed_integrity,
    newer_schema,
    postgres_unreachable,
    port_taken,
]
