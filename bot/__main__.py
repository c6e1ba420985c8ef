"""Entry point and composition root: ``python -m bot [run|sync|doctor|invite|jobs]``.

Settings are read once here, every resource (store, HTTP session, provider client, tracker, bot) is
built here and closed here in reverse order, and start-up failures end with one clear line and a
non-zero exit code instead of a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence

import aiohttp
import discord

from bot.bot import MotionBot, Services
from bot.cometapi import CometAPIClient
from bot.i18n import Catalogue
from bot.intake import JobIntake
from bot.logs import configure_logging
from bot.quotas import QuotaService
from bot.settings import Settings, SettingsError, load_settings
from bot.store import JobStore, StoreError
from bot.tracker import JobTracker

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
INTENT_HELP = (
    "Discord refused the Message Content intent. Enable it in the developer portal "
    "(Applications > your bot > Bot > Privileged Gateway Intents > Message Content Intent), "
    "or set REACTIONS_ENABLED=false to run without the reaction trigger."
)


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Build every core service and close them in reverse order on exit."""
    store = await JobStore.open(settings.database_path)
    try:
        timeout = aiohttp.ClientTimeout(total=settings.provider_timeout_seconds * 4)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            provider = CometAPIClient(
                http,
                str(settings.cometapi_base_url),
                settings.cometapi_key,
                timeout=settings.provider_timeout_seconds,
                max_retries=settings.provider_max_retries,
            )
            tracker = JobTracker(
                store,
                provider,
                poll_interval=settings.poll_interval_seconds,
                job_timeout=dt.timedelta(minutes=settings.job_timeout_minutes),
            )
            quotas = QuotaService(store, settings)
            yield Services(
                settings=settings,
                store=store,
                provider=provider,
                tracker=tracker,
                quotas=quotas,
                catalogue=Catalogue.load(),
                http=http,
                intake=JobIntake(store, tracker, quotas, settings, http),
            )
    finally:
        await store.close()


async def run_bot(settings: Settings, *, install_signals: bool = True) -> int:
    """Run the bot until it is closed; return the process exit code."""
    async with open_services(settings) as services, MotionBot(services) as client:
        if install_signals:
            _close_on_signals(client)
        try:
            await client.start(settings.discord_token.get_secret_value())
        except discord.PrivilegedIntentsRequired:
            log.critical(INTENT_HELP)
            return EXIT_CONFIG
        except discord.LoginFailure:
            log.critical(
                "Discord rejected DISCORD_TOKEN: copy the bot token again from the developer portal."
            )
            return EXIT_CONFIG
    return EXIT_OK


async def sync_commands(settings: Settings) -> int:
    """Log in, push the command definitions to Discord, and exit."""
    async with (
        open_services(settings) as services,
        MotionBot(services, sync_commands=False, start_tracker=False) as client,
    ):
        await client.login(settings.discord_token.get_secret_value())
        changed = await client.sync_commands_if_changed(force=True)
        print("Command definitions pushed." if changed else "Command definitions unchanged.")  # noqa: T201
    return EXIT_OK


def _close_on_signals(client: discord.Client) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(client.close()))


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with one subcommand per operation."""
    parser = argparse.ArgumentParser(prog="motionbot", description="Motionbot: Discord image-to-video bot.")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("sync", help="push the slash-command definitions to Discord and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, load settings and run the chosen subcommand."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.env_file)
    except SettingsError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    secrets = [settings.discord_token.get_secret_value(), settings.cometapi_key.get_secret_value()]
    configure_logging(settings.log_level, settings.log_format, secrets)
    command = args.command or "run"
    runner = {"run": run_bot, "sync": sync_commands}[command]
    try:
        return asyncio.run(runner(settings))
    except StoreError as exc:
        log.critical("%s", exc)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
