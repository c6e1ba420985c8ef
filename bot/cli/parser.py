"""The command line: one parser with a subcommand per operation, exit codes and start-up messages.

The subcommands themselves live in ``bot.__main__`` (run, sync), ``bot.cli.doctor`` (doctor),
``bot.cli.discord_rest`` (invite), ``bot.cli.jobs`` (jobs), ``bot.cli.usage`` (usage) and ``bot.cli.move``
(move-to-postgres).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bot.models import JobStatus

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2

INTENT_HELP = (
    "Discord refused the Message Content intent. Enable it in the developer portal "
    "(Applications > your bot > Bot > Privileged Gateway Intents > Message Content Intent), "
    "or set REACTIONS_ENABLED=false to run without the reaction trigger."
)
LOGIN_HELP = (
    "Discord rejected DISCORD_TOKEN: copy the bot token again from the developer portal "
    "(Applications > your bot > Bot > Reset Token)."
)
SHARDING_HELP = (
    "Discord closed the connection with code 4011 (sharding required): the bot is in more servers "
    "than {shards} may hold. Leave SHARD_COUNT empty so Discord's recommended shard count is used "
    "(or set it higher), then restart."
)
# What to check when Discord does not answer or cannot be reached (REST, gateway, or either).
_NETWORK = "check the network, a firewall or proxy"
REST_FIX = f"{_NETWORK}, and DISCORD_API_BASE_URL if you changed it"
GATEWAY_FIX = f"{_NETWORK}, and DISCORD_GATEWAY_URL if you changed it"
NETWORK_FIX = f"{_NETWORK}, and DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL if you changed them"
# The start-up watch's lines (``bot.ops.waits``): while an answer is late, and when the bot gives up on it.
START_WAIT_WARNING = (
    "Discord has not answered for {waited:.0f} s: still waiting for {what}; {fix} "
    "(still trying; giving up after {limit:.0f} s)"
)
START_GAVE_UP = (
    "Discord did not answer: gave up after {waited:.0f} s waiting for {what}; {fix}; "
    "DISCORD_START_TIMEOUT_SECONDS sets how long to wait"
)
EXPORT_FORMATS = ("table", "csv", "json")
STATUS_NAMES = [status.value for status in JobStatus]


def folder_problem(exc: OSError) -> str:
    """Describe a database folder that could not be created while loading the settings."""
    return (
        f"DATABASE_PATH cannot be used: the folder {exc.filename} cannot be created ({exc.strerror or exc}); "
        "point DATABASE_PATH at a writable folder."
    )


def parse_since(value: str) -> dt.datetime:
    """Read ``--since`` as an ISO date or date-time; without a zone it is UTC."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD or an ISO date-time such as 2026-01-01T12:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def parse_day(value: str) -> dt.date:
    """Read ``--since`` / ``--until`` of ``usage`` as a UTC day, ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day: use YYYY-MM-DD (2026-03-01)") from None


def parse_guild_id(value: str) -> int:
    """Read ``--guild`` as a server id (a Discord snowflake), or 0 for direct messages."""
    if value != "0" and (not value.isdigit() or not 15 <= len(value) <= 21):
        raise argparse.ArgumentTypeError(f"{value!r} is not a server id (15 to 21 digits, or 0 for DMs)")
    return int(value)


def parse_client_id(value: str) -> int:
    """Read ``--client-id`` as a Discord snowflake."""
    if not value.isdigit() or not 15 <= len(value) <= 21:
        raise argparse.ArgumentTypeError(f"{value!r} is not an application id (15 to 21 digits)")
    return int(value)


# Read when present; --env-file names another file.
DEFAULT_ENV_FILE = ".env"


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with one subcommand per operation."""
    parser = argparse.ArgumentParser(
        prog="motionbot",
        description="Motionbot: a self-hosted Discord bot that turns images into short videos.",
        epilog="Without a subcommand, `run` is assumed. Settings come from the environment and --env-file.",
    )
    # None means "the default .env, if there is one"; a file named explicitly must exist for doctor.
    parser.add_argument(
        "--env-file", default=None, metavar="FILE", help="settings file to read (default: .env)"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file", default=argparse.SUPPRESS, metavar="FILE", help="settings file to read (default: .env)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run",
        parents=[common],
        help="run the bot (the default)",
        description="Run the bot until SIGINT/SIGTERM; serves /healthz and /metrics when HTTP_PORT is set.",
    )
    sub.add_parser(
        "sync",
        parents=[common],
        help="push the slash-command definitions to Discord and exit",
        description="Log in, push the command definitions to Discord (to DEV_GUILD_ID when set) and exit.",
    )
    sub.add_parser(
        "doctor",
        parents=[common],
        help="check the settings, database, CometAPI key, Discord token and intents",
        description="Check every setting and connection once and print `ok` or `FAIL <what>: <the fix>` "
        "for each; exit code 0 only when all are ok.",
    )
    _add_invite_parser(sub, common)
    _add_jobs_parser(sub, common)
    _add_usage_parser(sub, common)
    _add_move_parser(sub, common)
    return parser


def _add_invite_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    invite = sub.add_parser(
        "invite",
        parents=[common],
        help="print the URL that adds the bot to a server",
        description="Print the OAuth2 URL with the bot and applications.commands scopes and exactly the "
        "permissions the bot needs. The application id is read from Discord unless --client-id is given.",
    )
    invite.add_argument(
        "--client-id",
        metavar="ID",
        type=parse_client_id,
        help="application id (skips the request to Discord and the settings)",
    )


def _add_jobs_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    jobs = sub.add_parser(
        "jobs",
        parents=[common],
        help="list or export jobs (table, CSV or JSON)",
        description="List or export jobs for an administrator. Interaction tokens are never included.",
    )
    jobs.add_argument(
        "--since",
        type=parse_since,
        metavar="DATE",
        help="only jobs created at or after this UTC date or time",
    )
    jobs.add_argument(
        "--status",
        action="append",
        choices=STATUS_NAMES,
        metavar="STATUS",
        help=f"only jobs in this status: {', '.join(STATUS_NAMES)} (repeat for several)",
    )
    jobs.add_argument(
        "--format", choices=EXPORT_FORMATS, default="table", help="output format (default: table)"
    )
    jobs.add_argument("--output", metavar="FILE", help="write to this file instead of standard output")
    jobs.add_argument(
        "--database",
        metavar="FILE",
        help="read this database file instead of DATABASE_PATH (the settings are then not needed)",
    )


def _add_usage_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    usage = sub.add_parser(
        "usage",
        parents=[common],
        help="what videos cost per server and per person over some days (table, CSV or JSON)",
        description="Sum the ledger over UTC days, per server (0: direct messages) and per person, in "
        "PRICE_CURRENCY: charged and reserved spend count, released reservations do not.",
    )
    usage.add_argument(
        "--since", type=parse_day, required=True, metavar="DAY", help="the first UTC day, YYYY-MM-DD"
    )
    usage.add_argument(
        "--until", type=parse_day, metavar="DAY", help="the last UTC day, YYYY-MM-DD (default: today)"
    )
    usage.add_argument(
        "--guild", type=parse_guild_id, metavar="ID", help="only this server (0: direct messages)"
    )
    usage.add_argument(
        "--format", choices=EXPORT_FORMATS, default="table", help="output format (default: table)"
    )
    usage.add_argument("--output", metavar="FILE", help="write to this file instead of standard output")
    usage.add_argument(
        "--database", metavar="FILE", help="read this database file instead of DATABASE_PATH / DATABASE_URL"
    )


def _add_move_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    move = sub.add_parser(
        "move-to-postgres",
        parents=[common],
        help="copy the SQLite database (jobs, server settings, usage) into an empty PostgreSQL database",
        description="Stop the bot first. Copies every job with its id, every server's settings, the daily "
        "usage and the meta values from the SQLite file into the empty PostgreSQL database at DATABASE_URL, "
        "in one transaction, then prints what it copied. Refuses (exit 1, nothing copied) while a bot runs "
        "on the file, while a job is unfinished, or when the PostgreSQL database is not empty.",
    )
    move.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        help="the SQLite database file to move (default: DATABASE_PATH)",
    )
