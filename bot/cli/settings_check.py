"""Where the settings were looked for, and names in ``.env`` or the environment that are not settings.

pydantic-settings ignores every name it does not know, so a misspelled limit
(``MAX_DAILY_JOB_PER_GUILD=5``) would leave the default in force without a word. Every name in the
settings file is meant for Motionbot, so each unknown one is reported. The environment is shared with
the shell, the container platform and other programs, so only names that look like a setting are: a
``MOTIONBOT_`` prefix, a setting without its unit, or one a typo away from a setting.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import DotEnvSettingsSource

from bot.settings import Settings

SETTING_NAMES = tuple(name.upper() for name in Settings.model_fields)
# Docker Compose reads the .env next to compose.yaml for itself too: its own options and the
# ${VARIABLES} that compose*.yaml interpolate. Those lines are not meant for the bot.
COMPOSE_PREFIXES = ("COMPOSE_", "DOCKER_")
COMPOSE_VARIABLES = frozenset({"POSTGRES_PASSWORD"})
OWN_PREFIX = "MOTIONBOT_"
# The test suite's own switches (scripts/bootstrap, scripts/postgres-binaries, tests/postgres_server.py).
OWN_TEST_PREFIX = "MOTIONBOT_TEST_"
# Kubernetes gives every container MOTIONBOT_SERVICE_HOST, MOTIONBOT_PORT_8080_TCP... when a
# service is named motionbot (https://kubernetes.io/docs/concepts/services-networking/service/).
KUBERNETES_LINK = re.compile(r"MOTIONBOT_(SERVICE_(HOST|PORT\w*)|PORT(_\d+_(TCP|UDP|SCTP)\w*)?)")
# difflib ratio from which an environment variable is taken for a misspelled setting: typos such as
# MAX_DAILY_JOB_PER_GUILD, DISCORD_BOT_TOKEN or LOGLEVEL score 0.85-0.98, while the unrelated names a
# machine has (HTTP_PROXY, PGPORT, LOG_FILE, DATABASE_HOST...) score 0.79 at most.
ENVIRONMENT_CUTOFF = 0.85
# For a suggestion only: every unknown name in the settings file is reported, close or not.
SUGGESTION_CUTOFF = 0.6
UNITS = ("_SECONDS", "_MINUTES", "_MB")


@dataclass(frozen=True)
class UnknownName:
    """A name Motionbot would ignore, where it was found, and the setting it most looks like."""

    name: str
    env_file: Path | None  # None: the process environment
    closest: str | None

    def describe(self) -> str:
        """Return the one line that names it and says what to rename it to."""
        if self.env_file is None:
            fix = (
                f"rename it to {self.closest}"
                if self.closest
                else f"Motionbot's settings have no {OWN_PREFIX} prefix (.env.example lists them)"
            )
            return (
                f"the environment variable {self.name} is not a setting, so it is ignored: {fix}, "
                "or unset it if another program needs it."
            )
        fix = f"rename it to {self.closest}" if self.closest else "fix its name or delete the line"
        return (
            f"{self.name} in {self.env_file} is not a setting: {fix} (.env.example lists every setting; "
            "Motionbot does not start while its settings file has a line it would ignore)."
        )


@dataclass(frozen=True)
class UnknownNames:
    """The unknown names of the settings file (the bot refuses them) and of the environment (warned)."""

    in_file: tuple[UnknownName, ...]
    in_environment: tuple[UnknownName, ...]

    def lines(self) -> list[str]:
        """Return one line per name, the settings file's first."""
        return [unknown.describe() for unknown in (*self.in_file, *self.in_environment)]


def find_unknown_names(env_file: str | Path | None, environ: Mapping[str, str]) -> UnknownNames:
    """Return the names of ``env_file`` (when it exists) and ``environ`` that Motionbot would ignore."""
    path = absolute(env_file) if env_file is not None else None
    file_names = env_file_names(path) if path is not None and path.is_file() else []
    in_file = tuple(
        UnknownName(name, path, closest_setting(name, SUGGESTION_CUTOFF))
        for name in file_names
        if not _is_setting(name) and not _is_compose_own(name)
    )
    seen = {name.upper() for name in file_names}
    in_environment = tuple(
        UnknownName(name, None, closest_setting(name, SUGGESTION_CUTOFF))
        for name in sorted(environ)
        if name.upper() not in seen and looks_like_a_setting(name)
    )
    return UnknownNames(in_file, in_environment)


def env_file_names(path: Path) -> list[str]:
    """Return the names ``path`` sets, read by the same parser the settings use."""
    source = DotEnvSettingsSource(Settings, env_file=path, env_file_encoding="utf-8", case_sensitive=True)
    return list(source.env_vars)


def looks_like_a_setting(name: str) -> bool:
    """Return True for an environment variable that is no setting but looks meant as one."""
    upper = name.upper()
    if _is_setting(upper) or upper.startswith(OWN_TEST_PREFIX) or KUBERNETES_LINK.fullmatch(upper):
        return False
    if upper.startswith(OWN_PREFIX) or any(upper + unit in SETTING_NAMES for unit in UNITS):
        return True
    return closest_setting(upper, ENVIRONMENT_CUTOFF) is not None


def closest_setting(name: str, cutoff: float) -> str | None:
    """Return the setting ``name`` most looks like (a ``MOTIONBOT_`` prefix and a missing unit aside)."""
    upper = name.upper().removeprefix(OWN_PREFIX)
    if _is_setting(upper):
        return upper
    with_unit = [upper + unit for unit in UNITS if upper + unit in SETTING_NAMES]
    if with_unit:
        return with_unit[0]
    matches = difflib.get_close_matches(upper, SETTING_NAMES, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _is_setting(name: str) -> bool:
    return name.upper() in SETTING_NAMES


def _is_compose_own(name: str) -> bool:
    upper = name.upper()
    return upper in COMPOSE_VARIABLES or upper.startswith(COMPOSE_PREFIXES)


def absolute(path: str | Path) -> Path:
    """Return ``path`` made absolute against the current folder, as the settings loader reads it."""
    return Path(os.path.abspath(Path(path).expanduser()))


def missing_env_file(env_file: str | Path) -> str | None:
    """Return the line refusing an ``--env-file`` that does not exist (None when it does).

    A typo in the file's name would otherwise run on the environment alone and mislead.
    """
    path = absolute(env_file)
    if path.is_file():
        return None
    return f"there is no settings file {path} (--env-file {env_file}): check the path."


def where_line(env_file: str | Path, absent: tuple[str, ...], environ: Mapping[str, str]) -> str:
    """Return the line, after missing or empty settings, that says where they were looked for."""
    path = absolute(env_file)
    # An empty variable (`export DISCORD_TOKEN=`, compose's ${VAR} of nothing) hides the file's value.
    hidden = [name for name in absent if name in {key.upper() for key in environ}]
    if hidden:
        verb, pronoun = ("is", "it") if len(hidden) == 1 else ("are", "them")
        return (
            f"{' and '.join(hidden)} {verb} set but empty in the environment, which wins over {path}: "
            f"unset {pronoun} or give {pronoun} a value."
        )
    names = " and ".join(absent)
    if path.is_file():
        return f"the settings were read from the environment and {path}: set {names} in {path}."
    return _no_file_line(path, names)


def _no_file_line(path: Path, names: str) -> str:
    start = f"there is no settings file {path}, so only the environment was read"
    checkout = project_folder()
    if checkout is None:
        return f"{start}: create it from .env.example (cp .env.example .env) and set {names} in it."
    if checkout == path.parent.resolve():
        return f"{start}: create it with `cp .env.example .env` in {checkout}, then set {names} in it."
    if (checkout / ".env").is_file():
        return (
            f"{start} (.env is read from the current folder): {checkout / '.env'} exists, so start from "
            f"{checkout} (scripts/run does) or pass --env-file {checkout / '.env'}."
        )
    return (
        f"{start} (.env is read from the current folder): in {checkout} run `cp .env.example .env`, "
        f"set {names} in it, and start from there (scripts/run does)."
    )


def project_folder() -> Path | None:
    """Return the Motionbot folder this code runs from (a clone), or None when it is installed elsewhere."""
    folder = Path(__file__).resolve().parents[2]  # <clone>/bot/cli/settings_check.py
    if (folder / ".env.example").is_file() and (folder / "pyproject.toml").is_file():
        return folder
    return None
