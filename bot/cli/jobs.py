"""``python -m bot jobs``: list or export jobs as a table, CSV or JSON, for an administrator.

Every field of a job is exported except the interaction token, which is a credential.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.parser import EXIT_CONFIG
from bot.cli.store_reading import StoreReadError, reading, write_out
from bot.models import Job, JobStatus
from bot.settings import Settings

HIDDEN_FIELDS = frozenset({"interaction_token"})
EXPORT_FIELDS: tuple[str, ...] = tuple(
    field.name for field in dataclasses.fields(Job) if field.name not in HIDDEN_FIELDS
)
SNOWFLAKE_FIELDS = ("requester_id", "guild_id", "channel_id", "source_message_id", "card_message_id")
TABLE_COLUMNS = ("id", "created_at", "status", "source", "guild_id", "requester_id", "progress", "error")
TABLE_ERROR_WIDTH = 60

Value = str | int | bool | None | list[str]


async def load_jobs(
    source: Settings | Path, *, since: dt.datetime | None, statuses: Sequence[str]
) -> list[Job]:
    """Return the jobs created at or after ``since`` and in one of ``statuses`` (``StoreReadError``).

    ``source`` is a database file (``--database``) or the settings: their PostgreSQL database when
    DATABASE_URL is set, else the file at DATABASE_PATH.
    """
    async with reading(source) as store:
        jobs = await store.all_jobs(since=since)
    wanted = {JobStatus(status) for status in statuses}
    return [job for job in jobs if not wanted or job.status in wanted]


def job_record(job: Job) -> dict[str, Value]:
    """Return the exportable fields of ``job`` as plain JSON values (never the interaction token)."""
    return {name: _plain(getattr(job, name)) for name in EXPORT_FIELDS}


def json_record(job: Job) -> dict[str, Value]:
    """Return ``job_record(job)`` with Discord snowflakes as strings.

    Snowflakes exceed 2**53, so JavaScript and other double-based JSON readers would round them.
    """
    record = job_record(job)
    for name in SNOWFLAKE_FIELDS:
        value = record[name]
        if isinstance(value, int):
            record[name] = str(value)
    return record


def _plain(value: object) -> Value:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [str(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def render_json(jobs: Sequence[Job]) -> str:
    """Return the jobs as a JSON array of objects."""
    return json.dumps([json_record(job) for job in jobs], ensure_ascii=False, indent=2) + "\n"


def render_csv(jobs: Sequence[Job]) -> str:
    """Return the jobs as CSV with a header row; clip URLs are separated by spaces."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for job in jobs:
        record = job_record(job)
        writer.writerow({name: _csv_cell(value) for name, value in record.items()})
    return buffer.getvalue()


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def render_table(jobs: Sequence[Job]) -> str:
    """Return the jobs as an aligned text table of the most useful columns."""
    rows = [list(TABLE_COLUMNS)]
    for job in jobs:
        record = job_record(job)
        cells = [_csv_cell(record[column]) for column in TABLE_COLUMNS]
        cells[1] = job.created_at.strftime("%Y-%m-%d %H:%M")
        cells[-1] = _shorten(cells[-1], TABLE_ERROR_WIDTH)
        rows.append(cells)
    widths = [max(len(row[index]) for row in rows) for index in range(len(TABLE_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.append(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}")
    return "\n".join(lines) + "\n"


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


RENDERERS = {"table": render_table, "csv": render_csv, "json": render_json}


async def export_jobs(
    source: Settings | Path,
    *,
    since: dt.datetime | None = None,
    statuses: Sequence[str] = (),
    fmt: str = "table",
    output: Path | None = None,
) -> int:
    """Write the selected jobs in ``fmt`` to ``output`` (or standard output); return the exit code."""
    try:
        jobs = await load_jobs(source, since=since, statuses=statuses)
    except StoreReadError as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - the command's one-line failure
        return EXIT_CONFIG
    return await write_out(RENDERERS[fmt](jobs), output, f"{len(jobs)} jobs")
