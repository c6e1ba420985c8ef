"""Discord that does not answer: the real bot says so within seconds, names what it waits for, and stops.

Before: a REST login to a silent Discord waited five silent minutes (aiohttp's default) and ended in
"stopped by an unexpected error (TimeoutError: )"; a silent gateway was retried forever without a word.
Now a WARNING names the answer being waited for after 10 s, and ``DISCORD_START_TIMEOUT_SECONDS``
later the bot stops with one CRITICAL line and exit code 1 (README, "Command line" and
"Troubleshooting"). Timings are asserted with wide margins: the machine running the tests is shared.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.reliability.startup_scenarios import (
    HELD_GATEWAY_BOT,
    HELD_LOGIN,
    LOGIN,
    MUTE_GATEWAY,
    MUTE_REST,
    NO_HELLO,
    NO_READY,
    Stage,
    bot_process,
    crash_signs,
    loud_lines,
    silent_discord,
)

LIMIT = 5  # DISCORD_START_TIMEOUT_SECONDS in these tests (its smallest value)
SLACK = 25.0  # a shared, slow machine: start-up, clean-up and scheduling on top of the limit
EXIT_FAILURE = 1
GAVE_UP = "Discord did not answer: gave up after"
WARNED = "Discord has not answered for 10 s: still waiting for"


@pytest.mark.parametrize(
    "stage",
    [MUTE_REST, HELD_LOGIN, HELD_GATEWAY_BOT, MUTE_GATEWAY, NO_HELLO, NO_READY],
    ids=["rest-port-mute", "login-held", "gateway-bot-held", "gateway-port-mute", "no-hello", "no-ready"],
)
async def test_start_up_against_a_silent_discord_stops_after_the_limit_with_one_line_and_exit_1(
    tmp_path: Path, stage: Stage
) -> None:
    """One CRITICAL line naming the answer waited for and the setting to check; exit 1; nothing left open."""
    async with silent_discord(tmp_path) as silence:
        stage.prepare(silence)
        settings = silence.settings(stage, discord_start_timeout_seconds=LIMIT)
        async with bot_process(settings, tmp_path, "run") as bot:
            await stage.reached(silence)
            reached = time.monotonic()
            code = await bot.wait_exit(LIMIT + SLACK)
            waited = time.monotonic() - reached

    assert code == EXIT_FAILURE, bot.text
    assert LIMIT - 1 <= waited <= LIMIT + SLACK
    (line,) = loud_lines(bot.lines)
    assert " CRITICAL " in line and GAVE_UP in line
    assert f"waiting for {stage.waits_for(silence)};" in line
    assert f"and {stage.setting} if you changed it" in line and "DISCORD_START_TIMEOUT_SECONDS" in line
    assert crash_signs(bot.text) == []
    assert not Path(f"{silence.database}-wal").exists()  # the database was closed


async def test_a_gateway_that_refuses_connections_is_retried_with_one_line_each_time_then_given_up(
    tmp_path: Path,
) -> None:
    """discord.py retries every 5 s and logged a traceback each time: now one line each, then the CRITICAL."""
    with socket.socket() as closed:  # bound, never listening: every connection to it is refused
        closed.bind(("127.0.0.1", 0))
        gateway = f"ws://127.0.0.1:{closed.getsockname()[1]}/"
        async with silent_discord(tmp_path) as silence:
            overrides = {"discord_gateway_url": gateway, "discord_start_timeout_seconds": 8}
            settings = silence.settings(NO_READY, **overrides)
            async with bot_process(settings, tmp_path, "run") as bot:
                code = await bot.wait_exit(8 + SLACK)

    assert code == EXIT_FAILURE
    *retries, last = loud_lines(bot.lines)
    assert retries and all(
        " ERROR   discord.shard: could not connect shard 0 to the gateway (ClientConnectorError: " in line
        and line.endswith("; retrying in 5 s")
        for line in retries
    )
    assert GAVE_UP in last and f"waiting for HELLO from the gateway at {gateway} (shard 0);" in last
    assert crash_signs(bot.text) == []


async def test_a_late_login_is_reported_after_10_s_and_the_bot_carries_on_when_discord_answers(
    tmp_path: Path,
) -> None:
    """Default limit: a WARNING at 10 s names GET /users/@me and what to check; the answer lets it start."""
    async with silent_discord(tmp_path) as silence:
        HELD_LOGIN.prepare(silence)
        async with bot_process(silence.settings(HELD_LOGIN), tmp_path, "run") as bot:
            await HELD_LOGIN.reached(silence)
            reached = time.monotonic()
            warning = await bot.wait_line(WARNED, 10 + SLACK)
            warned_after = time.monotonic() - reached
            assert bot.process.returncode is None  # still trying
            silence.discord.holds.release(LOGIN)
            await bot.wait_line("ready as ", 30)
            bot.send(signal.SIGTERM)
            code = await bot.wait_exit(15)

    assert 9 <= warned_after <= 10 + SLACK
    assert " WARNING " in warning and f"an answer to {LOGIN} from the REST API at" in warning
    assert "check the network, a firewall or proxy, and DISCORD_API_BASE_URL if you changed it" in warning
    assert "still trying; giving up after 120 s" in warning
    assert code == 0
    assert loud_lines(bot.lines) == [warning]
    assert crash_signs(bot.text) == []


async def test_sync_against_a_silent_discord_stops_after_the_limit_with_one_line(tmp_path: Path) -> None:
    """`python -m bot sync`: the same bound and the same one line as `run`, exit 1."""
    async with silent_discord(tmp_path) as silence:
        settings = silence.settings(MUTE_REST, discord_start_timeout_seconds=LIMIT)
        async with bot_process(settings, tmp_path, "sync") as sync:
            await MUTE_REST.reached(silence)
            code = await sync.wait_exit(LIMIT + SLACK)

    assert code == EXIT_FAILURE
    (line,) = loud_lines(sync.lines)
    assert GAVE_UP in line and f"waiting for {MUTE_REST.waits_for(silence)};" in line
    assert crash_signs(sync.text) == []


async def test_doctor_and_invite_against_a_silent_discord_fail_within_15_s_saying_what_to_check(
    tmp_path: Path,
) -> None:
    """`doctor` waits once (15 s) and skips the intents check; `invite` prints one line; both exit 1."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    async with silent_discord(tmp_path) as silence:
        settings = silence.settings(MUTE_REST)
        async with (
            bot_process(settings, tmp_path, "doctor", env_file=env_file) as doctor,
            bot_process(settings, tmp_path, "invite") as invite,
        ):
            started = time.monotonic()
            codes = await asyncio.gather(doctor.wait_exit(15 + SLACK), invite.wait_exit(15 + SLACK))
            took = time.monotonic() - started

    base = silence.mute.url("http", "/api/v10")
    fix = "check the network, a firewall or proxy, and DISCORD_API_BASE_URL if you changed it"
    assert codes == [EXIT_FAILURE, EXIT_FAILURE] and took <= 15 + SLACK
    token_line = f"FAIL Discord token: Discord did not answer GET /users/@me from {base} within 15 s; {fix}"
    assert token_line in doctor.lines
    assert "FAIL Discord intents: cannot be checked until Discord answers" in doctor.lines
    (line,) = invite.lines
    assert " CRITICAL " in line
    assert f"Discord did not answer GET /oauth2/applications/@me from {base} within 15 s; {fix}" in line
    assert crash_signs(doctor.text + invite.text) == []
