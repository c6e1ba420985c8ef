"""The scaling benchmark's figures and its printed report (``bench.scale_bench`` runs the flow).

Per column (SQLite with one process, PostgreSQL with two) the flow figures e2e_bench prints, and per
process its memory, CPU, the jobs it received and tracked, and the warnings it logged.
"""

from __future__ import annotations

import math
import os
import platform
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bench.e2e_probes import MIB
from bench.e2e_report import HARMLESS_WARNINGS, NAME_WIDTH, VALUE_WIDTH, Budget, Row, mib, number, secs
from bench.e2e_report import flow_rows as e2e_flow_rows
from bench.e2e_scenarios import FlowFigures
from bench.e2e_world import BenchOptions
from tests.doubles.discord import DoubleConfig
from tests.reliability.subprocess_bot import BotProcess

SHARDS = 2
RSS_BUDGET = 200 * MIB  # e2e_bench's RSS budget (bot and both doubles, 1,000 jobs): here the bot alone
Engine = Literal["sqlite", "postgresql"]
HEARTBEAT_RACE = "(not counted: discord.py heartbeat race) "


@dataclass(frozen=True, slots=True)
class Column:
    """One side of the comparison: an engine and the shards of each of its processes (empty: all)."""

    label: str
    engine: Engine
    processes: tuple[tuple[int, ...], ...]


@dataclass(slots=True)
class ProcessFigures:
    """What one bot process used and did."""

    shards: tuple[int, ...]
    pid: int = 0
    rss_peak: int = 0
    rss_high_water: float = math.nan
    cpu: float = 0.0
    from_its_servers: int = 0
    held: int = 0
    problems: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class ColumnFigures:
    """The flow's figures for one column, and each of its processes."""

    column: Column
    flow: FlowFigures = field(default_factory=lambda: FlowFigures("motionbot"))
    processes: list[ProcessFigures] = field(default_factory=list)
    startup: float = 0.0


# -- logs ---------------------------------------------------------------------------------------------


def log_problems(bot: BotProcess) -> Counter[str]:
    """Count the process's logged warnings and errors (and tracebacks), by level, logger and message."""
    problems: Counter[str] = Counter()
    for line in bot.log_text().splitlines():
        _, _, rest = line.partition(" ")
        level = rest.split(" ", 1)[0]
        if level in {"WARNING", "ERROR", "CRITICAL"} and not any(h in rest for h in HARMLESS_WARNINGS):
            message = " ".join(rest.split())[:100]
            problems[f"{HEARTBEAT_RACE}{message}" if heartbeat_race(message) else message] += 1
        elif line.startswith("Traceback"):
            problems["Traceback"] += 1
    return problems


def heartbeat_race(message: str) -> bool:
    """Whether ``message`` is discord.py's "Can't keep up" measured from before its first heartbeat.

    discord.py's keep-alive thread stamps a heartbeat as sent only once the event loop reports the
    send done; the double's ACK arrives over loopback at once and may be handled first, so the
    "latency" is the whole interval since the previous stamp: one heartbeat interval, not a stall.
    """
    found = re.search(r"Can't keep up, shard ID \d+ websocket is ([\d.]+)s behind", message)
    interval = DoubleConfig().heartbeat_interval_ms / 1000
    return found is not None and abs(float(found.group(1)) - interval) < 1.0


def counted(problems: Counter[str]) -> int:
    """Return how many problems count against the budget (the heartbeat race apart)."""
    return sum(count for message, count in problems.items() if not message.startswith(HEARTBEAT_RACE))


# -- report -------------------------------------------------------------------------------------------


def or_dash(fmt: Callable[[float], str]) -> Callable[[float], str]:
    """Return ``fmt`` printing "-" for a figure a column does not have (NaN)."""
    return lambda value: "-" if math.isnan(value) else fmt(value)


def header(options: BenchOptions, columns: Sequence[ColumnFigures]) -> list[str]:
    """Return the lines that say what ran, where."""
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    return [
        "Motionbot scaling benchmark: real bot processes (python -m bot run) between both doubles",
        f"machine: {machine}; both doubles in this process, each bot in its own",
        (
            f"flow: {options.jobs} /animate from {options.members} members in 2 servers (one per shard of "
            f"{SHARDS}) within {options.spread:g} s; jobs of {options.duration:g} s ± {options.jitter:.0%}"
        ),
        f"POLL_INTERVAL_SECONDS={options.poll:g}; CARD_EDIT_INTERVAL_SECONDS={options.card_edit_interval:g}",
        "SQLite: 1 process, SHARD_COUNT=2 (both shards); PostgreSQL: 2 processes, SHARD_IDS=0 and 1 of 2",
        "start-up (spawn to every shard live): "
        + "; ".join(f"{figures.column.label} {figures.startup:.1f} s" for figures in columns),
        "",
        f"{'figure':<{NAME_WIDTH}}" + "".join(f"{f.column.label:<{VALUE_WIDTH}}" for f in columns) + "budget",
        "-" * (NAME_WIDTH + 2 * VALUE_WIDTH + 30),
    ]


def flow_rows(options: BenchOptions, columns: Sequence[ColumnFigures]) -> list[Row]:
    """Return e2e_bench's flow rows for both columns, the loop probes named for where they ran."""
    renamed = {
        "event-loop stall max (10 ms probe)": "doubles' event-loop stall max (10 ms probe)",
        "full garbage collection, longest": "doubles' process: full GC, longest",
    }
    delivered = Row(
        f"jobs delivered (of {options.jobs} sent)",
        (columns[0].flow.delivered, columns[1].flow.delivered),
        number,
        Budget.at_least(options.jobs),
    )
    rows = e2e_flow_rows(options, [figures.flow for figures in columns])
    return [delivered] + [replace(row, name=renamed.get(row.name, row.name)) for row in rows]


def process_rows(columns: Sequence[ColumnFigures]) -> list[Row]:
    """Return the rows per process: memory, CPU, and which jobs each one had."""
    most = max(len(figures.processes) for figures in columns)
    rows = []
    for n in range(most):

        def pair(figure: Callable[[ProcessFigures], float], n: int = n) -> tuple[float, float]:
            values = [figure(f.processes[n]) if n < len(f.processes) else math.nan for f in columns]
            return values[0], values[1]

        rows += [
            Row(
                f"process {n + 1}: peak RSS (psutil, 0.1 s)",
                pair(lambda p: p.rss_peak),
                or_dash(mib),
                Budget("< 200 MiB", lambda peak: peak < RSS_BUDGET),
            ),
            Row(
                f"process {n + 1}: RSS high-water mark (kernel)",
                pair(lambda p: p.rss_high_water),
                or_dash(mib),
            ),
            Row(f"process {n + 1}: CPU time (user + system)", pair(lambda p: p.cpu), or_dash(secs)),
            Row(
                f"process {n + 1}: jobs from its shard's server",
                pair(lambda p: p.from_its_servers),
                or_dash(number),
            ),
            Row(
                f"process {n + 1}: jobs it tracked (lease at the end)",
                pair(lambda p: p.held),
                or_dash(number),
            ),
            Row(
                f"process {n + 1}: warnings/errors logged",
                pair(lambda p: counted(p.problems)),
                or_dash(number),
                Budget.at_most(0),
            ),
        ]
    return rows


def report(options: BenchOptions, columns: Sequence[ColumnFigures]) -> list[str]:
    """Return the whole printed report."""
    lines = header(options, columns)
    lines += [row.render() for row in flow_rows(options, columns)]
    lines += [row.render() for row in process_rows(columns)]
    noted = [
        f"  {figures.column.label}, process {n + 1}: {count} x {message}"
        for figures in columns
        for n, process in enumerate(figures.processes)
        for message, count in process.problems.most_common(5)
    ]
    lines += ["", "warnings and errors the bot processes logged:", *(noted or ["  none"]), "", *NOTES]
    return lines


NOTES = [
    "notes:",
    "- the bots run in child processes: their RSS and CPU are the bot alone; the loop stall and GC rows",
    "  are this process's, which runs both doubles (they explain most of the acknowledgement tail)",
    "- provider requests = CometAPI submit + list + fetch; provider done = task creation at the double +",
    "  its planned duration; clip visible = the Discord double's card revision with the files",
    "- 'jobs from its shard's server' are the commands a process received and acknowledged; 'jobs it",
    "  tracked' are those whose lease it held when all were delivered: it dispatched, polled and",
    "  delivered them (a job stays with the process that created it unless that process stops)",
    "- a 'Can't keep up ... 41.3s behind' warning about one heartbeat interval long is discord.py's",
    "  keep-alive thread stamping its send after the loopback ACK was handled: listed, not counted",
]
