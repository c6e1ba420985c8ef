"""The command line: the parser, exit codes and messages, and the subcommands besides ``run``.

``doctor`` checks the settings, the database, the CometAPI key and the Discord side; ``invite``
prints the invite link (plain REST calls to Discord, no gateway); ``jobs`` lists or exports jobs;
``usage`` sums what videos cost per server and per person;
``move-to-postgres`` moves the SQLite database into PostgreSQL. ``run`` and ``sync`` live in
``bot.__main__``. May import: ``bot.provider``, ``bot.store``, ``bot.ops``, the shared vocabulary,
and Discord (discord.py, for its REST errors).
"""

from bot.cli.discord_rest import DiscordAPIError, DiscordTokenRejected, fetch_client_id, print_invite
from bot.cli.doctor import doctor
from bot.cli.jobs import export_jobs
from bot.cli.move import move_to_postgres
from bot.cli.parser import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    GATEWAY_FIX,
    INTENT_HELP,
    LOGIN_HELP,
    NETWORK_FIX,
    REST_FIX,
    SHARDING_HELP,
    START_GAVE_UP,
    START_WAIT_WARNING,
    build_parser,
)
from bot.cli.settings_check import missing_env_file
from bot.cli.subcommand_settings import load_for_command, refuse
from bot.cli.usage import usage_report

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_OK",
    "GATEWAY_FIX",
    "INTENT_HELP",
    "LOGIN_HELP",
    "NETWORK_FIX",
    "REST_FIX",
    "SHARDING_HELP",
    "START_GAVE_UP",
    "START_WAIT_WARNING",
    "DiscordAPIError",
    "DiscordTokenRejected",
    "build_parser",
    "doctor",
    "export_jobs",
    "fetch_client_id",
    "load_for_command",
    "missing_env_file",
    "move_to_postgres",
    "print_invite",
    "refuse",
    "usage_report",
]
