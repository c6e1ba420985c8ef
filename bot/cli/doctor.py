"""``python -m bot doctor``: check the settings, the database, the clip archive, CometAPI and Discord.

Each check prints ``ok  <what>`` or ``FAIL <what>: <the fix>``; the exit code is 0 only when every
check is ok. Nothing printed ever contains a secret: every line is redacted before it is written.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import aiohttp

from bot.cli.discord_rest import (
    DiscordAPIError,
    DiscordREST,
    DiscordTokenRejected,
    DiscordUnreachable,
    has_message_content_intent,
)
from bot.cli.parser import DEFAULT_ENV_FILE, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, INTENT_HELP
from bot.cli.settings_check import UnknownNames, absolute, find_unknown_names, missing_env_file, where_line
from bot.media import ArchiveError, open_archive
from bot.ops import RedactingFilter, configure_logging
from bot.provider import AuthenticationError, CometAPIError, classify_response, rejected_key_fix
from bot.settings import Settings, SettingsError, read_settings
from bot.store import Inspection, StoreError, describe_database, inspect_database

PROVIDER_TIMEOUT = aiohttp.ClientTimeout(total=20)


class DoctorReport:
    """Prints one line per check and remembers whether any failed."""

    def __init__(self, out: TextIO, secrets: Iterable[str] = ()) -> None:
        self._out = out
        self._redactor = RedactingFilter(secrets)
        self.failures = 0

    def ok(self, what: str) -> None:
        """Report a passing check."""
        self._write(f"ok  {what}")

    def fail(self, what: str, fix: str) -> None:
        """Report a failing check and what to do about it."""
        self.failures += 1
        self._write(f"FAIL {what}: {fix}")

    def _write(self, line: str) -> None:
        print(self._redactor.redact(line), file=self._out, flush=True)


def doctor(env_file: str | None, out: TextIO | None = None) -> int:
    """Run ``doctor`` for the command line: a file named with --env-file must exist (None means .env).

    A typo in the file's name would otherwise check the environment alone and mislead.
    """
    missing = missing_env_file(env_file) if env_file is not None else None
    if missing:
        DoctorReport(out or sys.stdout).fail("settings", missing)
        return EXIT_CONFIG
    return asyncio.run(run_doctor(env_file or DEFAULT_ENV_FILE, out))


async def run_doctor(env_file: str | Path | None, out: TextIO | None = None) -> int:
    """Run every check and return the exit code (0 all ok, 1 a check failed, 2 unusable settings).

    A name in the settings file that is not a setting makes the code 2 (the bot refuses to start on
    it), yet every other check still runs; a look-alike in the environment is a failed check.
    """
    stream = out if out is not None else sys.stdout
    unknown = find_unknown_names(env_file, os.environ)
    try:
        # Not even the database's folder is created: a check must not change what it checks.
        settings = read_settings(env_file)
    except SettingsError as exc:
        report = DoctorReport(stream)
        where = [where_line(env_file, exc.absent, os.environ)] if exc.absent and env_file is not None else []
        for problem in [*unknown.lines(), *exc.problems, *where]:
            report.fail("settings", problem)
        return EXIT_CONFIG
    secrets = settings.secret_values
    configure_logging("WARNING", settings.log_format, secrets)
    report = DoctorReport(stream, secrets)
    check_names(env_file, unknown, report)
    await check_database(settings, report)
    await check_archive(settings, report)
    async with aiohttp.ClientSession() as http:
        await check_provider(http, settings, report)
        await check_discord(http, settings, report)
    if unknown.in_file:
        return EXIT_CONFIG
    return EXIT_OK if report.failures == 0 else EXIT_FAILURE


def check_names(env_file: str | Path | None, unknown: UnknownNames, report: DoctorReport) -> None:
    """Fail once per name Motionbot would ignore, or say where the settings were read from."""
    lines = unknown.lines()
    for line in lines:
        report.fail("settings", line)
    if not lines:
        report.ok(f"settings ({_describe_source(env_file)})")


def _describe_source(env_file: str | Path | None) -> str:
    if env_file is not None and Path(env_file).is_file():
        return f"environment and {absolute(env_file)}"
    return "environment"


async def check_database(settings: Settings, report: DoctorReport) -> None:
    """Check the database is reachable, sound, not from a newer Motionbot and writable, changing nothing.

    An empty PostgreSQL database stays empty (``move-to-postgres`` needs it so) and a missing SQLite
    file stays missing: the bot creates and migrates them at its first start.
    """
    what = describe_database(settings)
    try:
        found = await inspect_database(settings)
    except (StoreError, OSError) as exc:
        report.fail(what, str(exc))
        return
    if found.unwritable:
        report.fail(what, f"it cannot be written ({found.unwritable}); {_write_fix(settings)}")
    else:
        report.ok(database_line(what, found, "reachable" if settings.uses_postgres else "integrity ok"))


async def check_archive(settings: Settings, report: DoctorReport) -> None:
    """Check the clip archive, when one is set, changing nothing.

    A bucket is HEAD-ed and listed (a probe object would leave a version behind in a versioned
    bucket, and fire its notifications); a folder, or the parent it would be made in, must be writable.
    """
    if settings.archive_location is None:
        return
    archive = open_archive(settings)
    older = " (CLIP_ARCHIVE_DIR, the older name of CLIP_ARCHIVE)" if settings.clip_archive is None else ""
    what = f"clip archive {archive}{older}"
    try:
        report.ok(f"{what}: {await archive.check()}")
    except ArchiveError as exc:
        report.fail(what, str(exc))
    finally:
        await archive.close()


def database_line(what: str, found: Inspection, opened: str) -> str:
    """Return the ``ok`` line for a writable database: missing, empty, behind or up to date."""
    if not found.exists:
        return f"{what}: not created yet, the bot will create it at first start"
    if found.empty:
        return f"{what}: empty, the bot will create its tables at first start"
    if found.version < found.latest:
        schema = f"schema version {found.version} of {found.latest}, the bot migrates it at its next start"
        return f"{what} ({opened}, {schema}, writable)"
    return f"{what} ({opened}, migrated, writable)"


def _write_fix(settings: Settings) -> str:
    if settings.uses_postgres:
        return "give the DATABASE_URL user the right to write its tables"
    return "check the owner and permissions of the file and its folder"


async def check_provider(http: aiohttp.ClientSession, settings: Settings, report: DoctorReport) -> None:
    """Prove the CometAPI key with one cheap request: list-by-condition with no ids."""
    base_url = str(settings.cometapi_base_url).rstrip("/")
    headers = {"Authorization": f"Bearer {settings.cometapi_key.get_secret_value()}"}
    try:
        async with http.post(
            f"{base_url}/mj/task/list-by-condition",
            json={"ids": []},
            headers=headers,
            timeout=PROVIDER_TIMEOUT,
        ) as response:
            status, response_headers = response.status, response.headers
            text = await response.text(errors="replace")
        classify_response(status, response_headers, text)
    except AuthenticationError:
        report.fail("CometAPI key", rejected_key_fix(base_url))
    except CometAPIError as exc:
        report.fail(
            f"CometAPI at {base_url}", f"{exc.description}; try again later or check COMETAPI_BASE_URL"
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        report.fail(
            f"CometAPI at {base_url}",
            f"not reachable ({type(exc).__name__}); check COMETAPI_BASE_URL and the network",
        )
    else:
        report.ok(f"CometAPI key accepted by {base_url}")


async def check_discord(http: aiohttp.ClientSession, settings: Settings, report: DoctorReport) -> None:
    """Prove the Discord token, then check the Message Content intent the reaction trigger needs."""
    rest = DiscordREST(http, str(settings.discord_api_base_url), settings.discord_token)
    try:
        user = await rest.current_user()
    except DiscordAPIError as exc:
        report.fail("Discord token", str(exc))
        if isinstance(exc, DiscordTokenRejected):
            report.fail("Discord intents", "cannot be checked until DISCORD_TOKEN works")
            return
        if isinstance(exc, DiscordUnreachable):  # asking again would only wait as long again
            report.fail("Discord intents", "cannot be checked until Discord answers")
            return
    else:
        report.ok(f"Discord token (bot {user.get('username', '?')}, id {user.get('id', '?')})")
    await check_intents(rest, settings, report)


async def check_intents(rest: DiscordREST, settings: Settings, report: DoctorReport) -> None:
    """Check the application's flags for the Message Content intent when reactions are enabled."""
    if not settings.reactions_enabled:
        report.ok("Discord intents (REACTIONS_ENABLED=false: no privileged intent needed)")
        return
    try:
        application = await rest.application()
    except DiscordAPIError as exc:
        report.fail("Discord intents", str(exc))
        return
    flags = application.get("flags")
    if isinstance(flags, int) and has_message_content_intent(flags):
        report.ok("Discord intents (Message Content enabled, for the reaction trigger)")
    else:
        report.fail("Discord intents", INTENT_HELP)
