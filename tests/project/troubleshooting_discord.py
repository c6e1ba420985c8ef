"""The troubleshooting table's Discord rows, each made real: the bot meets a Discord that refuses it, or
does not answer, or is stopped while it waits for Discord.

Discord is the loopback double (``tests/doubles/discord``), a closed port, or one of the silent servers
of ``tests/doubles/discord/silence.py``; CometAPI is its double.
``tests/project/test_readme_troubleshooting.py`` runs these with the situations of
``tests/project/troubleshooting_situations.py``.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.config import DoubleConfig
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import cdn_http_host
from tests.project.readme_session import Running
from tests.project.troubleshooting_situations import (
    EXIT_TIMEOUT,
    SECRETS,
    Situation,
    bot_exits,
    database_file,
    spawn,
    with_database,
)
from tests.reliability.startup_scenarios import (
    HELD_LOGIN,
    MUTE_REST,
    NO_READY,
    Stage,
    bot_process,
    silent_discord,
    stopped_at,
)

# DISCORD_START_TIMEOUT_SECONDS: past the first "has not answered" warning (at 10 s), and its smallest.
PAST_THE_WARNING = 11
SMALLEST_LIMIT = 5


def _discord_settings(discord: DiscordDouble, comet: CometAPIDouble, folder: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": discord.token,
        "COMETAPI_KEY": TEST_API_KEY,
        "DISCORD_API_BASE_URL": discord.api_base_url,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "COMETAPI_BASE_URL": comet.base_url,
        "DATABASE_PATH": str(database_file(folder)),
        "IMAGE_HTTP_HOSTS": cdn_http_host(discord),
    }


@contextlib.asynccontextmanager
async def _doubles(
    config: DoubleConfig | None = None, **options: bool
) -> AsyncIterator[tuple[DiscordDouble, CometAPIDouble]]:
    async with (
        DiscordDouble(config=config, **options) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        yield discord, comet


async def token_rejected(folder: Path) -> str:
    """A ``DISCORD_TOKEN`` Discord does not know (reset in the portal, say)."""
    async with _doubles(message_content=True) as (discord, comet):
        settings = {**_discord_settings(discord, comet, folder), "DISCORD_TOKEN": "MTIz.not.this-bots-token"}
        return await bot_exits(folder, settings)


async def intent_refused(folder: Path) -> str:
    """The reaction trigger is on, but Message Content is off in the developer portal."""
    async with _doubles(message_content=False) as (discord, comet):
        return await bot_exits(folder, _discord_settings(discord, comet, folder))


async def sharding_required(folder: Path) -> str:
    """More servers than one shard may hold: Discord closes the connection with 4011."""
    async with _doubles(DoubleConfig(max_guilds_per_shard=1), message_content=True) as (discord, comet):
        await discord.add_guild("Second server")
        return await bot_exits(folder, _discord_settings(discord, comet, folder))


async def discord_unreachable(folder: Path) -> str:
    """``DISCORD_API_BASE_URL`` names a port where nothing listens."""
    return await bot_exits(folder, with_database(database_file(folder)))


async def cometapi_key_rejected(folder: Path) -> str:
    """The first job meets a ``COMETAPI_KEY`` that CometAPI rejects."""
    async with _doubles(message_content=True) as (discord, comet):
        settings = {**_discord_settings(discord, comet, folder), "COMETAPI_KEY": "sk-a-key-cometapi-rejects"}
        process = await spawn(folder, settings, "run")
        bot = Running("python -m bot run", process)
        try:
            await discord.wait_ready(timeout=EXIT_TIMEOUT)
            attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
            await discord.slash(discord.alice, "animate", {}, attachment=attachment)
            await bot.wait_line(re.compile("CometAPI rejected"), EXIT_TIMEOUT)
        finally:
            process.kill()
            await process.wait()
        return "\n".join(bot.printed)


async def invite_unreachable(folder: Path) -> str:
    """``invite`` while nothing listens at ``DISCORD_API_BASE_URL``."""
    return await bot_exits(folder, SECRETS, "invite")


async def _silent_until_exit(folder: Path, stage: Stage, *args: str, **settings: object) -> str:
    """Run ``python -m bot ARGS`` against Discord held silent at ``stage`` until it gives up and exits."""
    async with silent_discord(folder) as silence:
        stage.prepare(silence)
        async with bot_process(silence.settings(stage, **settings), folder, *args) as bot:
            code = await bot.wait_exit(EXIT_TIMEOUT)
    return f"(exit {code})\n{bot.text}"


async def discord_silent(folder: Path) -> str:
    """Discord's REST port accepts the login and never answers (a firewall that drops, a hung proxy)."""
    return await _silent_until_exit(folder, MUTE_REST, "run", discord_start_timeout_seconds=PAST_THE_WARNING)


async def gateway_refused(folder: Path) -> str:
    """The REST API answers, but every connection to the gateway is refused."""
    with socket.socket() as closed:  # bound, never listening: every connection to it is refused
        closed.bind(("127.0.0.1", 0))
        gateway = f"ws://127.0.0.1:{closed.getsockname()[1]}/"
        return await _silent_until_exit(
            folder, NO_READY, "run", discord_gateway_url=gateway, discord_start_timeout_seconds=SMALLEST_LIMIT
        )


async def invite_silent(folder: Path) -> str:
    """``invite`` against a REST port that accepts and never answers."""
    return await _silent_until_exit(folder, MUTE_REST, "invite")


async def _stopped_while_logging_in(folder: Path, signum: signal.Signals) -> str:
    _, bot, code = await stopped_at(HELD_LOGIN, folder, signum, EXIT_TIMEOUT)
    return f"(exit {code})\n{bot.text}"


async def sigterm_while_starting(folder: Path) -> str:
    """``docker stop`` (SIGTERM) while Discord has not answered the login yet."""
    return await _stopped_while_logging_in(folder, signal.SIGTERM)


async def sigint_while_starting(folder: Path) -> str:
    """Ctrl-C (SIGINT) while Discord has not answered the login yet."""
    return await _stopped_while_logging_in(folder, signal.SIGINT)


# The slow ones first, so that the quick ones run beside them.
DISCORD_SITUATIONS: list[Situation] = [
    invite_silent,
    discord_silent,
    gateway_refused,
    token_rejected,
    intent_refused,
    sharding_required,
    discord_unreachable,
    invite_unreachable,
    cometapi_key_rejected,
    sigterm_while_starting,
    sigint_while_starting,
]
