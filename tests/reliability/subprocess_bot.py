"""Run the REAL entry point (``python -m bot run``) in a child process against the in-process doubles.

The child reaches the doubles only through its environment (the same variables an operator sets);
``--env-file`` points at an empty file of its own, so a developer's ``.env`` is never read. Its
stderr (the bot's log) goes to a file the test can read and scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import Settings
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import NO_BUDGETS, cdn_http_host

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
SETTING_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


def double_settings(
    discord: DiscordDouble, comet: CometAPIDouble, database: Path, **overrides: object
) -> dict[str, object]:
    """Return settings (by field name) that point the bot at both doubles, with test-friendly timings."""
    settings: dict[str, object] = {
        "discord_token": discord.token,
        "cometapi_key": TEST_API_KEY,
        "cometapi_base_url": comet.base_url,
        "discord_api_base_url": discord.api_base_url,
        "discord_gateway_url": discord.gateway_url,
        "database_path": database,
        "poll_interval_seconds": 0.05,
        "card_edit_interval_seconds": 0.2,
        "provider_timeout_seconds": 2,
        "provider_max_retries": 3,
        "log_level": "INFO",
        "image_http_hosts": cdn_http_host(discord),
        # The money budgets are off, as in the end-to-end harness (an empty value is no cap).
        **dict.fromkeys(NO_BUDGETS, ""),
    }
    settings.update(overrides)
    return settings


def bot_environment(settings: Mapping[str, object]) -> dict[str, str]:
    """Return the child's environment: this process's without any Motionbot setting, plus ``settings``."""
    inherited = {key: value for key, value in os.environ.items() if key not in SETTING_VARIABLES}
    variables = {name.upper(): str(value) for name, value in settings.items()}
    return {**inherited, **variables, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def bot_command(env_file: Path, *args: str) -> list[str]:
    """Return the command line of ``python -m bot`` reading only ``env_file`` (created empty if missing).

    The bot refuses an ``--env-file`` that does not exist.
    """
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.touch()
    return [sys.executable, "-m", "bot", "--env-file", str(env_file), *args]


def run_bot_to_exit(
    settings: Mapping[str, object], folder: Path, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot run`` to its exit (for start-up failures) and return its outcome."""
    return subprocess.run(
        bot_command(folder / "no-such-file.env", "run"),
        cwd=REPO,
        env=bot_environment(settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class BotProcess:
    """One ``python -m bot`` child process and the file its log goes to."""

    process: asyncio.subprocess.Process
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        """Whether the child has not exited yet."""
        return self.process.returncode is None

    def kill(self) -> None:
        """SIGKILL the child: no shutdown code runs, exactly like ``kill -9``."""
        self.process.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM the child: it should shut down cleanly."""
        self.process.send_signal(signal.SIGTERM)

    def pause(self) -> None:
        """SIGSTOP the child: it stops dead, mid-whatever, like a paused VM or a long GC pause."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused child: it carries on from where it stopped, unaware of the time gone."""
        self.process.send_signal(signal.SIGCONT)

    async def wait_exit(self, timeout: float = 15.0) -> int:
        """Wait for the child to exit and return its exit code (negative: killed by that signal)."""
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    def log_text(self) -> str:
        """Return everything the child wrote to stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


async def spawn_bot(settings: Mapping[str, object], log_path: Path) -> BotProcess:
    """Start ``python -m bot run`` with ``settings``; return at once (not yet connected)."""
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            *bot_command(log_path.parent / "no-such-file.env", "run"),
            cwd=REPO,
            env=bot_environment(settings),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    return BotProcess(process, log_path)


async def wait_connected(bot: BotProcess, discord: DiscordDouble, identifies: int) -> None:
    """Wait until the double saw ``identifies`` gateway IDENTIFYs in total; fail fast if the child dies."""
    await wait_unless_exited(bot, discord.wait_identified(identifies, timeout=START_TIMEOUT))


async def wait_unless_exited(bot: BotProcess, waiting: Awaitable[None]) -> None:
    """Await ``waiting``; fail fast, with the child's log, if the child exits first."""
    connected = asyncio.ensure_future(waiting)
    exited = asyncio.ensure_future(bot.process.wait())
    try:
        await asyncio.wait({connected, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (connected, exited):
            if not waiter.done():
                waiter.cancel()
        await asyncio.gather(connected, exited, return_exceptions=True)
    if connected.cancelled():
        code = bot.process.returncode
        raise RuntimeError(f"the bot exited with {code} before connecting:\n{bot.log_text()}")
    connected.result()


@contextlib.asynccontextmanager
async def running_subprocess_bot(
    discord: DiscordDouble, comet: CometAPIDouble, database: Path, log_path: Path, **overrides: object
) -> AsyncIterator[BotProcess]:
    """Start the bot in a child process, wait for its gateway session, and make sure it is gone on exit.

    A child still running when the block ends is killed (the test decides how it should stop).
    """
    identifies = discord.hub.identify_count + 1
    bot = await spawn_bot(double_settings(discord, comet, database, **overrides), log_path)
    try:
        await wait_connected(bot, discord, identifies)
        yield bot
    finally:
        if bot.running:
            bot.kill()
        await bot.wait_exit()


@contextlib.asynccontextmanager
async def running_shard_process(
    discord: DiscordDouble,
    comet: CometAPIDouble,
    database: Path,
    log_path: Path,
    *,
    shard_ids: tuple[int, ...] = (),
    shard_count: int | None = None,
    **overrides: object,
) -> AsyncIterator[BotProcess]:
    """Start ``python -m bot run`` with ``SHARD_IDS``/``SHARD_COUNT`` and wait until its shards are live.

    Empty ``shard_ids`` runs every shard; ``shard_count=None`` takes the double's recommendation
    (``DoubleConfig.recommended_shards``). ``overrides`` are further settings by field name (such as
    ``database_url``). A child still running when the block ends is killed.
    """
    settings = {"shard_ids": ",".join(map(str, shard_ids)), "shard_count": shard_count or "", **overrides}
    bot = await spawn_bot(double_settings(discord, comet, database, **settings), log_path)
    try:
        await wait_unless_exited(bot, wait_shards(discord, shard_ids, shard_count))
        yield bot
    finally:
        if bot.running:
            bot.kill()
        await bot.wait_exit()


async def wait_shards(discord: DiscordDouble, shard_ids: tuple[int, ...], shard_count: int | None) -> None:
    """Wait until ``shard_ids`` of ``shard_count`` (all shards, of the double's count, when empty) are live.

    Allows for discord.py's 5 s pause before each IDENTIFY after a process's first.
    """
    if shard_ids and shard_count is not None:
        timeout = START_TIMEOUT + 5 * len(shard_ids)
        await discord.wait_shards(set(shard_ids), shard_count, timeout=timeout)
    else:
        await discord.wait_ready(timeout=START_TIMEOUT + 5 * (shard_count or 4))
