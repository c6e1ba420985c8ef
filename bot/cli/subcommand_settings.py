"""Settings for a subcommand: where they were looked for, and no setting silently ignored.

A name in the settings file that is not a setting stops every subcommand (exit 2): the admin who
wrote ``MAX_DAILY_JOB_PER_GUILD=5`` believes the budget applies, and a bot that ran on the default
would spend past it. A look-alike in the environment is only warned about (``doctor`` fails on it):
the environment also belongs to the shell, the platform and other programs, and a name that merely
looks like a setting must not keep a service from restarting.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from bot.cli.parser import DEFAULT_ENV_FILE, EXIT_CONFIG, folder_problem
from bot.cli.settings_check import find_unknown_names, where_line
from bot.settings import Settings, SettingsError, create_database_folder, read_settings


@dataclass(frozen=True)
class LoadedSettings:
    """The settings of a subcommand and the warnings to log once logging is set up."""

    settings: Settings
    warnings: list[str]


def load_for_command(
    env_file: str | None, *, create_folder: bool = True, **overrides: Any
) -> LoadedSettings | int:
    """Load the settings, or print one line per problem and return the exit code (2).

    ``create_folder`` creates the SQLite database's folder (the commands that only read leave it).
    """
    path = env_file or DEFAULT_ENV_FILE
    unknown = find_unknown_names(path, os.environ)
    try:
        settings = read_settings(path, **overrides)
    except SettingsError as exc:
        where = [where_line(path, exc.absent, os.environ)] if exc.absent else []
        return refuse([*unknown.lines(), *exc.problems, *where])
    if unknown.in_file:
        return refuse(unknown.lines())
    if create_folder:
        try:
            create_database_folder(settings)
        except OSError as exc:
            return refuse([folder_problem(exc)])
    return LoadedSettings(settings, [name.describe() for name in unknown.in_environment])


def refuse(lines: list[str]) -> int:
    """Print ``lines`` to standard error and return the configuration exit code."""
    for line in lines:
        print(line, file=sys.stderr)  # noqa: T201 - before logging is set up
    return EXIT_CONFIG
