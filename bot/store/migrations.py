"""The numbered schema migrations of both engines: ``migrations/<dialect>/NNNN_description.sql``.

Each dialect has the same steps under the same numbers (``sqlite`` files have run on user databases
and never change; ``postgres`` holds the PostgreSQL form of each step), so a schema version means
the same thing on both engines.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from typing import Literal

from bot.store.errors import StoreError

MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_[a-z0-9_]+\.sql$")

Dialect = Literal["sqlite", "postgres"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: Dialect = "sqlite") -> tuple[Migration, ...]:
    """Return the packaged migrations of ``dialect`` in order, checking they are numbered 1, 2, 3 …."""
    folder = importlib.resources.files("bot.store") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migration files must be numbered 0001, 0002, … without gaps; found {versions}")
    return tuple(found)


def newer_schema_message(target: str, current: int, latest: int) -> str:
    """Return the refusal for a database whose schema a newer Motionbot wrote."""
    return (
        f"the {target} has schema version {current}, but this Motionbot only knows versions up to "
        f"{latest}; run the newer Motionbot that created it, or restore a backup made by this version"
    )
