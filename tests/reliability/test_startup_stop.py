"""A stop asked for while the bot starts (SIGTERM from `docker stop`, SIGINT from Ctrl-C) is a clean exit 0.

Before: a signal during the login closed the HTTP session under it and ended in "CRITICAL … cannot talk
to Discord (… Connector is closed.)", exit 1; during the gateway connect discord.py kept retrying and
the process never exited; before the signal handlers existed (opening the database) SIGTERM killed it.
Now, at every stage, the process prints one INFO line, closes what it opened (no "Unclosed client
session", no "Task was destroyed", the SQLite WAL checkpointed away) and exits 0.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.reliability.startup_scenarios import (
    HELD_COMMANDS,
    HELD_GATEWAY_BOT,
    HELD_LOGIN,
    MUTE_DATABASE,
    NO_HELLO,
    NO_READY,
    Stage,
    crash_signs,
    loud_lines,
    stopped_at,
)

STOP_BUDGET = 15.0  # generous: the machine running the tests is shared
STAGES = [MUTE_DATABASE, HELD_LOGIN, HELD_GATEWAY_BOT, HELD_COMMANDS, NO_HELLO, NO_READY]
STAGE_IDS = ["database", "login", "gateway-bot", "command-sync", "gateway-connect", "first-ready"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("stage", STAGES, ids=STAGE_IDS)
async def test_a_signal_at_any_start_up_stage_exits_0_with_one_info_line(
    tmp_path: Path, stage: Stage, signum: signal.Signals
) -> None:
    """The signal lands while the stage waits: exit 0, `shutting down (SIG…)` once, nothing louder."""
    silence, bot, code = await stopped_at(stage, tmp_path, signum, STOP_BUDGET)

    assert code == 0, bot.text
    stops = [line for line in bot.lines if "shutting down" in line]
    assert len(stops) == 1 and stops[0].endswith(f" INFO    bot.ops.stopping: shutting down ({signum.name})")
    assert loud_lines(bot.lines) == []
    assert crash_signs(bot.text) == []
    assert not Path(f"{silence.database}-wal").exists()  # the database (when opened) was closed
    if stage in (NO_HELLO, NO_READY):  # the tracker (started in setup_hook) ran, and stopped quietly
        assert any("tracker resumed" in line for line in bot.lines)
