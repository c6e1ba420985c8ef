"""Entry point and composition root: ``python -m bot [run|sync|doctor|invite|jobs|usage|move-to-postgres]``.

Settings are read once here, every resource (store, HTTP session, provider client, tracker, bot,
health server) is built here and closed here in reverse order, and start-up failures end with one
clear line and a non-zero exit code instead of a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
import discord

from bot.budget import BudgetAlerts
from bot.checks import ImageFetcher, ProviderImages, QuotaService
from bot.cli import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    INTENT_HELP,
    LOGIN_HELP,
    NETWORK_FIX,
    SHARDING_HELP,
    DiscordAPIError,
    DiscordTokenRejected,
    build_parser,
    doctor,
    export_jobs,
    fetch_client_id,
    load_for_command,
    missing_env_file,
    move_to_postgres,
    print_invite,
    refuse,
    usage_report,
)
from bot.client import MotionBot, Services
from bot.i18n import Catalogue
from bot.intake import JobIntake
from bot.media import open_archive
from bot.ops import (
    HealthServer,
    HealthServerError,
    Metrics,
    NoAnswer,
    configure_logging,
    describe_error,
    standard_checks,
    until_stopped,
    watched,
)
from bot.provider import CometAPIClient
from bot.settings import Settings
from bot.store import JobStore, StoreError, instance_guard, open_store
from bot.tracking import JobTracker

__all__ = ["EXIT_CONFIG", "INTENT_HELP", "main", "open_services", "open_store", "run_bot", "sync_commands"]

log = logging.getLogger("bot")


class StartRefused(Exception):  # noqa: N818 - reads as the condition
    """Discord refused the start for a reason the admin must fix; the message is the one-line fix."""


Command = Callable[[Settings, argparse.Namespace], Awaitable[int]]
SHARDING_REQUIRED = 4011  # gateway close code: too many servers for the shard count


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    tracker_class: type[JobTracker] = JobTracker,
    store_opener: Callable[[Settings], Awaitable[JobStore]] = open_store,
) -> AsyncIterator[Services]:
    """Build every core service and close them in reverse order on exit.

    ``tracker_class`` exists for the benchmark, which runs the same bot on a naive tracker;
    ``store_opener`` for the tests, which run it on an engine whose reads they can hold.
    """
    metrics = metrics if metrics is not None else Metrics()
    store = await store_opener(settings)
    try:
        timeout = aiohttp.ClientTimeout(total=settings.provider_timeout_seconds * 4)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            provider = CometAPIClient(
                http,
                str(settings.cometapi_base_url),
                settings.cometapi_key,
                timeout=settings.provider_timeout_seconds,
                max_retries=settings.provider_max_retries,
                on_request=metrics.observe_provider_request,
            )
            budget_alerts = BudgetAlerts(store)
            quotas = QuotaService(store, settings, alerts=budget_alerts)
            images = ProviderImages(ImageFetcher(http, settings.image_host_policy, settings.max_image_bytes))
            tracker = tracker_class(
                store,
                provider,
                poll_interval=settings.poll_interval_seconds,
                job_timeout=dt.timedelta(minutes=settings.job_timeout_minutes),
                provider_cap=settings.provider_max_running,
                # A busy provider is asked again after one poll interval at first (doubling, capped).
                busy_retry_seconds=settings.poll_interval_seconds,
                running_limit=quotas.running_limit,
                images=images,
            )
            metrics.attach(store=store, tracker=tracker)
            archive = open_archive(settings)
            try:
                yield Services(
                    settings=settings,
                    store=store,
                    provider=provider,
                    tracker=tracker,
                    quotas=quotas,
                    catalogue=Catalogue.load(),
                    http=http,
                    intake=JobIntake(
                        store,
                        tracker,
                        quotas,
                        settings,
                        images,
                        on_created=lambda job: metrics.job_created(job.source),
                    ),
                    budget_alerts=budget_alerts,
                    metrics=metrics,
                    archive=archive,
                )
            finally:
                await budget_alerts.drain()  # the alerts claimed are told before the store closes
                await archive.close()
    finally:
        await store.close()


async def run_bot(settings: Settings, *, install_signals: bool = True) -> int:
    """Run the bot (and the health server when ``HTTP_PORT`` is set) until it is closed.

    Only one bot may run on an SQLite database (``AlreadyRunning`` otherwise); on PostgreSQL several
    may (``instance_guard``). ``sync`` and the read-only commands (``jobs``, ``doctor``) take no
    lock: they receive no events, so they may run beside it. SIGTERM and SIGINT stop it cleanly
    (exit 0) at any moment, start-up included (``bot.ops.stopping``).
    """
    return await until_stopped(_run_guarded_by_lock(settings), EXIT_OK, on_signals=install_signals)


async def _run_guarded_by_lock(settings: Settings) -> int:
    with instance_guard(settings):
        try:
            return await _run_locked(settings)
        except StartRefused as exc:
            # Said only now that the client and the services have closed, so the fix is the last line.
            log.critical("%s", exc)
            return EXIT_CONFIG


async def _run_locked(settings: Settings) -> int:
    async with open_services(settings) as services, MotionBot(services) as client:
        services.metrics.watch_discord_logs()
        try:
            async with serve_health(settings, services, client):
                # Everything built so far (modules, discord.py, the catalogue) lives as long as the
                # process: keep full garbage collections from rescanning it on every pass.
                gc.freeze()
                return await _start_client(client, settings)
        finally:
            services.metrics.unwatch_discord_logs()


async def _start_client(client: MotionBot, settings: Settings) -> int:
    try:
        await watched(client.start(settings.discord_token.get_secret_value()), client.start_watch)
    except discord.PrivilegedIntentsRequired:
        raise StartRefused(INTENT_HELP) from None
    except discord.LoginFailure:
        raise StartRefused(LOGIN_HELP) from None
    except discord.ConnectionClosed as exc:
        if exc.code != SHARDING_REQUIRED:
            raise
        count = settings.shard_count
        raise StartRefused(
            SHARDING_HELP.format(shards=f"SHARD_COUNT={count}" if count else "Discord's recommendation")
        ) from None
    return EXIT_OK


@contextlib.asynccontextmanager
async def serve_health(
    settings: Settings, services: Services, client: discord.AutoShardedClient
) -> AsyncIterator[HealthServer | None]:
    """Serve ``/healthz`` and ``/metrics`` while inside the block, when ``HTTP_PORT`` is set."""
    if settings.http_port is None:
        yield None
        return
    checks = standard_checks(
        lambda: gateway_connected(client),
        services.store,
        services.tracker,
        str(settings.cometapi_base_url).rstrip("/"),
    )
    async with HealthServer(services.metrics, checks, settings.http_host, settings.http_port) as server:
        yield server


def gateway_connected(client: discord.AutoShardedClient) -> bool:
    """Return True while the client is logged in, ready and every shard of this process is connected."""
    shards = client.shards
    expected = client.shard_ids or range(client.shard_count or 0)
    return (
        client.is_ready()
        and not client.is_closed()
        and set(shards) == set(expected)
        and not any(shard.is_closed() for shard in shards.values())
    )


async def sync_commands(settings: Settings) -> int:
    """Log in, push the command definitions to Discord, and exit."""
    async with (
        open_services(settings) as services,
        MotionBot(services, sync_commands=False, start_tracker=False) as client,
    ):
        changed = await watched(_login_and_sync(client, settings), client.start_watch)
        print("Command definitions pushed." if changed else "Command definitions unchanged.")  # noqa: T201
    return EXIT_OK


async def _login_and_sync(client: MotionBot, settings: Settings) -> bool:
    await client.login(settings.discord_token.get_secret_value())
    return await client.sync_commands_if_changed(force=True)


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    return print_invite(await fetch_client_id(settings))


async def _jobs(source: Settings | Path, args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else None
    return await export_jobs(
        source, since=args.since, statuses=args.status or (), fmt=args.format, output=output
    )


async def _usage(settings: Settings, args: argparse.Namespace) -> int:
    source: Settings | Path = Path(args.database) if args.database else settings
    return await usage_report(
        source,
        currency=settings.price_currency,
        since=args.since,
        until=args.until,
        guild_id=args.guild,
        fmt=args.format,
        output=Path(args.output) if args.output else None,
    )


# Stands in for COMETAPI_KEY (and DISCORD_TOKEN) in commands that never call CometAPI (or Discord).
UNUSED_COMETAPI_KEY = "not-needed-by-this-command"

COMMANDS: dict[str, Command] = {
    "run": lambda settings, args: run_bot(settings),
    "sync": lambda settings, args: sync_commands(settings),
    "invite": _invite,
    "jobs": _jobs,
    "usage": _usage,
    "move-to-postgres": lambda settings, args: move_to_postgres(settings, args.source),
}


def _overrides(command: str) -> dict[str, str]:
    # invite only asks Discord for the client id: it must not demand the CometAPI key.
    if command == "invite":
        return {"cometapi_key": UNUSED_COMETAPI_KEY}
    # jobs, usage and move-to-postgres only touch the databases.
    if command in ("jobs", "usage", "move-to-postgres"):
        return {"cometapi_key": UNUSED_COMETAPI_KEY, "discord_token": UNUSED_COMETAPI_KEY}
    return {}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, load settings and run the chosen subcommand; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already explained
        return exc.code if isinstance(exc.code, int) else EXIT_CONFIG
    command = args.command or "run"
    if command == "doctor":
        return doctor(args.env_file)
    missing = missing_env_file(args.env_file) if args.env_file is not None else None
    if missing:
        return refuse([missing])
    if command == "invite" and args.client_id is not None:
        return print_invite(args.client_id)
    if command == "jobs" and args.database:
        return asyncio.run(_jobs(Path(args.database), args))
    loaded = load_for_command(args.env_file, create_folder=command in ("run", "sync"), **_overrides(command))
    if isinstance(loaded, int):
        return loaded
    settings = loaded.settings
    configure_logging(settings.log_level, settings.log_format, settings.secret_values)
    for warning in loaded.warnings:
        log.warning("%s", warning)
    return run_guarded(COMMANDS[command](settings, args))


def run_guarded(work: Awaitable[int]) -> int:
    """Run ``work`` to completion, turning every known start-up failure into one line and an exit code."""
    try:
        return asyncio.run(_as_coroutine(work))
    except KeyboardInterrupt:
        return EXIT_OK
    except (StoreError, HealthServerError) as exc:
        log.critical("%s", exc)
        return EXIT_CONFIG
    except (discord.LoginFailure, DiscordTokenRejected):
        log.critical(LOGIN_HELP)
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        log.critical(INTENT_HELP)
        return EXIT_CONFIG
    except (DiscordAPIError, NoAnswer) as exc:
        log.critical("%s", exc)
        return EXIT_FAILURE
    except (aiohttp.ClientError, TimeoutError, discord.DiscordException) as exc:
        # TimeoutError: discord.py's own limit (5 min for a REST answer) when the start-up watch waits longer.
        log.critical("cannot talk to Discord (%s); %s", describe_error(exc), NETWORK_FIX)
        return EXIT_FAILURE
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        log.critical(
            "stopped by an unexpected error (%s: %s); LOG_LEVEL=DEBUG shows the traceback",
            type(exc).__name__,
            exc,
        )
        return EXIT_FAILURE


async def _as_coroutine(work: Awaitable[int]) -> int:
    return await work


if __name__ == "__main__":
    sys.exit(main())
