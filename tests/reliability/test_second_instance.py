"""A second ``python -m bot`` on the same database refuses to start; ``kill -9`` leaves no stale lock.

On real Discord both processes would receive every event, so one reaction would be submitted (and
billed) twice. Real child processes run the real entry point against the doubles.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from bot.cli.parser import EXIT_CONFIG
from bot.store.sqlite.instance_lock import lock_path
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.reliability.subprocess_bot import (
    REPO,
    bot_command,
    bot_environment,
    double_settings,
    run_bot_to_exit,
    running_subprocess_bot,
)


def read_only_command(
    discord: DiscordDouble, comet: CometAPIDouble, database: Path, folder: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot <args>`` with the bot's settings to its exit."""
    return subprocess.run(
        bot_command(folder / "no-such-file.env", *args),
        cwd=REPO,
        env=bot_environment(double_settings(discord, comet, database)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_a_second_process_exits_2_naming_the_problem_and_a_restart_after_kill_9_starts(tmp_path):
    database = tmp_path / "data" / "motionbot.sqlite3"
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        async with running_subprocess_bot(discord, comet, database, tmp_path / "first.log") as first:
            identifies = discord.hub.identify_count
            second = await asyncio.to_thread(
                run_bot_to_exit, double_settings(discord, comet, database), tmp_path
            )

            assert second.returncode == EXIT_CONFIG
            lines = [line for line in (second.stdout + second.stderr).splitlines() if line.strip()]
            assert len(lines) == 1, lines
            assert "already running" in lines[0] and f"pid {first.process.pid}" in lines[0]
            assert str(database) in lines[0] and "DATABASE_PATH" in lines[0]
            assert discord.hub.identify_count == identifies  # it never reached the gateway
            assert first.running
            jobs = await asyncio.to_thread(read_only_command, discord, comet, database, tmp_path, "jobs")
            assert jobs.returncode == 0, jobs.stderr  # read-only commands still work beside the bot

            first.kill()
            assert await first.wait_exit() == -signal.SIGKILL
        assert lock_path(database).exists()  # the file stays; the kernel dropped the lock with the process

        async with running_subprocess_bot(discord, comet, database, tmp_path / "third.log") as third:
            assert third.running
            assert "already running" not in third.log_text()
