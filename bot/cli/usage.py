"""``python -m bot usage``: what videos cost over some UTC days, per server and per person, for the operator.

Read from the ledger: a job's price counts once it is reserved (waiting or running) or charged (the
provider has it and bills it); a released reservation (the provider did not bill) counts nothing.
Amounts carry the operator's currency label (``PRICE_CURRENCY``). Direct messages are server ``0``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.budget import Money, format_amount, format_money
from bot.cli.parser import EXIT_CONFIG
from bot.cli.store_reading import StoreReadError, reading, write_out
from bot.settings import Settings
from bot.store import Spend

DIRECT_MESSAGES = 0
CSV_FIELDS = ("kind", "id", "jobs", "units", "charged", "reserved", "total", "currency")
TABLE_NUMBERS = ("jobs", "units")
TABLE_AMOUNTS = ("charged", "reserved", "total")


@dataclass(frozen=True, slots=True)
class SpendReport:
    """The spend from ``first`` to ``last`` (UTC days, both counted) per server and per person."""

    first: dt.date
    last: dt.date
    currency: str
    guild_id: int | None
    servers: Mapping[int, Spend]
    people: Mapping[int, Spend]

    @property
    def total(self) -> Spend:
        """Everything that counted, across the servers shown."""
        return sum(self.servers.values(), Spend())


async def load_report(
    source: Settings | Path, *, currency: str, first: dt.date, last: dt.date, guild_id: int | None
) -> SpendReport:
    """Read the report from the store ``source`` names (``StoreReadError`` when it cannot be read)."""
    async with reading(source) as store:
        servers = await store.spend_by_guild(first, last)
        people = await store.spend_by_person(first, last, guild_id=guild_id)
    if guild_id is not None:
        servers = {guild: spend for guild, spend in servers.items() if guild == guild_id}
    return SpendReport(first, last, currency, guild_id, servers, people)


def ranked(spends: Mapping[int, Spend]) -> list[tuple[int, Spend]]:
    """Return the entries who spent most first (then by id, so the order is stable)."""
    return sorted(spends.items(), key=lambda item: (-item[1].amount, item[0]))


def _amounts(spend: Spend) -> dict[str, Money]:
    return {
        "charged": Money(spend.charged),
        "reserved": Money(spend.reserved),
        "total": Money(spend.amount),
    }


# -- JSON ------------------------------------------------------------------------------------------


def render_json(report: SpendReport) -> str:
    """Return the report as one JSON object; ids are strings (JavaScript would round snowflakes)."""
    document = {
        "since": report.first.isoformat(),
        "until": report.last.isoformat(),
        "currency": report.currency,
        "counted": ["charged", "reserved"],
        "guild_id": None if report.guild_id is None else str(report.guild_id),
        "servers": [_json_entry("guild_id", guild, spend) for guild, spend in ranked(report.servers)],
        "people": [_json_entry("person_id", person, spend) for person, spend in ranked(report.people)],
        "total": _json_spend(report.total),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_entry(id_name: str, ident: int, spend: Spend) -> dict[str, object]:
    return {id_name: str(ident), **_json_spend(spend)}


def _json_spend(spend: Spend) -> dict[str, object]:
    amounts = {name: format_amount(amount) for name, amount in _amounts(spend).items()}
    return {"jobs": spend.jobs, "units": spend.units, **amounts}


# -- CSV -------------------------------------------------------------------------------------------


def render_csv(report: SpendReport) -> str:
    """Return the report as CSV: a row per server, per person, and the total (``kind`` says which)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    rows: list[tuple[str, int | str, Spend]] = [
        ("server", guild, spend) for guild, spend in ranked(report.servers)
    ]
    rows += [("person", person, spend) for person, spend in ranked(report.people)]
    rows.append(("total", "", report.total))
    for kind, ident, spend in rows:
        amounts = {name: format_amount(amount) for name, amount in _amounts(spend).items()}
        writer.writerow(
            {"kind": kind, "id": ident, "jobs": spend.jobs, "units": spend.units, **amounts}
            | {"currency": report.currency}
        )
    return buffer.getvalue()


# -- table -----------------------------------------------------------------------------------------


def render_table(report: SpendReport) -> str:
    """Return the report as two aligned tables, servers then people, each with its total."""
    where = "" if report.guild_id is None else f" in server {report.guild_id}"
    heading = f"Spend from {report.first} to {report.last} (UTC days){where}"
    lines = [
        f"{heading}: charged and reserved; released reservations count nothing.",
        "",
        *_table(report, "server", ranked(report.servers), _server_name, "all servers"),
        "",
        *_table(report, "person", ranked(report.people), str, "everyone"),
    ]
    return "\n".join(lines) + "\n"


def _server_name(guild_id: int) -> str:
    return "direct messages" if guild_id == DIRECT_MESSAGES else str(guild_id)


def _table(
    report: SpendReport,
    heading: str,
    entries: list[tuple[int, Spend]],
    name: Callable[[int], str],
    total_name: str,
) -> list[str]:
    rows = [[heading, *TABLE_NUMBERS, *TABLE_AMOUNTS]]
    rows += [_cells(name(ident), spend, report.currency) for ident, spend in entries]
    rows.append(_cells(total_name, sum((spend for _, spend in entries), Spend()), report.currency))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def _cells(label: str, spend: Spend, currency: str) -> list[str]:
    amounts = [format_money(amount, currency) for amount in _amounts(spend).values()]
    return [label, str(spend.jobs), str(spend.units), *amounts]


RENDERERS = {"table": render_table, "csv": render_csv, "json": render_json}


async def usage_report(
    source: Settings | Path,
    *,
    currency: str,
    since: dt.date,
    until: dt.date | None = None,
    guild_id: int | None = None,
    fmt: str = "table",
    output: Path | None = None,
) -> int:
    """Write the spend report in ``fmt`` to ``output`` (or standard output); return the exit code."""
    last = until or dt.datetime.now(dt.UTC).date()
    if last < since:
        problem = f"--until {last} is before --since {since}: give the first day, then the last"
        print(problem, file=sys.stderr)  # noqa: T201 - the command's one-line failure
        return EXIT_CONFIG
    try:
        report = await load_report(source, currency=currency, first=since, last=last, guild_id=guild_id)
    except StoreReadError as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - the command's one-line failure
        return EXIT_CONFIG
    return await write_out(RENDERERS[fmt](report), output, "the spend report")
