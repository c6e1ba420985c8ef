"""Scaling benchmark (issue 14): the flow scenario on SQLite (1 process) and PostgreSQL (2 processes).

Both columns run REAL bot processes (``python -m bot run``, started as tests/reliability's
``running_shard_process`` starts them) against the Discord and CometAPI doubles, which run in this
process. Two servers, one on each shard of 2, the members split between them:

* SQLite: one process with ``SHARD_COUNT=2`` (both shards), the embedded default.
* PostgreSQL: two processes, ``SHARD_IDS=0`` and ``SHARD_IDS=1`` of 2, on one fresh database of a
  private server this script starts (tests/postgres_server.py) and stops.

The flow is e2e_bench's: ``--jobs`` ``/animate`` from ``--members`` members within ``--spread``
seconds, jobs of ``--duration`` s ± 10 % at the CometAPI double, production poll and card-edit
intervals, limits nobody reaches. Figures: jobs delivered, acknowledgement latency, provider
requests per job, provider done -> clip visible, Discord 429s, peak RSS and CPU per process, and how
the jobs were split between the processes.

Not a test: nothing here asserts; budgets are printed with PASS or MISS.

    .venv/bin/python -m bench.scale_bench            # the full run, about 3 minutes on 2 cores
    .venv/bin/python -m bench.scale_bench --quick    # small numbers, under 30 s in all
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import platform
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import asyncpg
import psutil  # type: ignore[import-untyped]  # no stubs installed

from bench.e2e_bench import invalid
from bench.e2e_probes import MIB, RssSampler
from bench.e2e_report import HARMLESS_WARNINGS, NAME_WIDTH, VALUE_WIDTH, Budget, Row, mib, number, secs
from bench.e2e_report import flow_rows as e2e_flow_rows
from bench.e2e_scenarios import FlowFigures, record_flow, watching_the_loop
from bench.e2e_world import (
    IMAGE,
    BenchOptions,
    acknowledgements,
    doubles,
    job_prompt,
    plan_durations,
    settings_overrides,
    wait_until,
)
from bot.models import Job
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import Channel, DiscordDouble, DoubleConfig, Guild, InteractionHandle, User
from tests.postgres_server import PrivateServer, admin, database_url, server_bindir
from tests.reliability.subprocess_bot import BotProcess, running_shard_process

SHARDS = 2
RSS_BUDGET = 200 * MIB  # e2e_bench's RSS budget (bot and both doubles, 1,000 jobs): here the bot alone
QUICK = BenchOptions(jobs=20, members=4, spread=1.0, duration=5.0, poll=1.0)
Engine = Literal["sqlite", "postgresql"]
HEARTBEAT_RACE = "(not counted: discord.py heartbeat race) "


@dataclass(frozen=True, slots=True)
class Column:
    """One side of the comparison: an engine and the shards of each of its processes (empty: all)."""

    label: str
    engine: Engine
    processes: tuple[tuple[int, ...], ...]


COLUMNS = (
    Column("SQLite, 1 proc", "sqlite", ((),)),
    Column("Postgres, 2 proc", "postgresql", ((0,), (1,))),
)


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


# -- the world --------------------------------------------------------------------------------------


def shard_of(guild_id: int) -> int:
    """Discord's formula: which of the ``SHARDS`` shards receives a server's events."""
    return (guild_id >> 22) % SHARDS


async def two_servers(discord: DiscordDouble, members: int) -> list[tuple[User, Channel]]:
    """Add a second server on the other shard; return the senders, alternating between the servers.

    The double's own server keeps the first half of the members, the new one gets the rest.
    """
    other_shard = 1 - shard_of(discord.guild.id)
    other = await discord.add_guild("Other", shard=(other_shard, SHARDS))
    halves: list[list[tuple[User, Channel]]] = [[], []]
    for index in range(members):
        guild: Guild = discord.guild if index % 2 == 0 else other
        user = await discord.add_user(f"member{index:04d}", guild=guild)
        halves[index % 2].append((user, next(iter(guild.channels.values()))))
    return [sender for pair in zip(*halves, strict=False) for sender in pair] + halves[0][len(halves[1]) :]


async def fire_across(
    discord: DiscordDouble, senders: Sequence[tuple[User, Channel]], count: int, spread: float
) -> list[InteractionHandle]:
    """Send ``count`` /animate evenly over ``spread`` seconds, round-robin over ``senders``' channels."""
    start = time.monotonic()
    handles = []
    for index in range(count):
        delay = start + index * spread / count - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        user, channel = senders[index % len(senders)]
        attachment = ("cat.png", IMAGE, "image/png")
        options = {"prompt": job_prompt(index)}
        handles.append(await discord.slash(user, "animate", options, attachment=attachment, channel=channel))
    return handles


@contextlib.asynccontextmanager
async def private_postgres() -> AsyncIterator[str]:
    """Start a throw-away PostgreSQL server; yield the URL of a fresh database on it."""
    bindir = server_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (Debian: apt-get install postgresql-15)")
    server = PrivateServer(bindir, Path(tempfile.mkdtemp(prefix="motionbot-scale-pg-")))
    try:
        await asyncio.to_thread(server.init)
        await asyncio.to_thread(server.start)
        name = f"scale_{uuid.uuid4().hex}"
        await asyncio.to_thread(admin, server.url, f'CREATE DATABASE "{name}"')
        yield database_url(server.url, name)
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(server.folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def bot_processes(
    column: Column, discord: DiscordDouble, comet: CometAPIDouble, settings: dict[str, object], folder: Path
) -> AsyncIterator[list[BotProcess]]:
    """Start the column's processes one after the other; yield them once every shard is live.

    A process still running when the block ends is killed (``running_shard_process``).
    """
    database = folder / "motionbot.sqlite3"
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for n, shard_ids in enumerate(column.processes):
            log = folder / f"process{n + 1}.log"
            starting = running_shard_process(
                discord, comet, database, log, shard_ids=shard_ids, shard_count=SHARDS, **settings
            )
            bots.append(await stack.enter_async_context(starting))
        await discord.wait_shards(set(range(SHARDS)), SHARDS, timeout=30)
        yield bots


@contextlib.asynccontextmanager
async def reading_store(engine: Engine, folder: Path, url: str) -> AsyncIterator[JobStore]:
    """Open the column's store from this process, to watch the jobs the way an operator would."""
    if engine == "postgresql":
        opened = await JobStore.open_postgres(url, max_connections=1)
    else:
        opened = await JobStore.open(folder / "motionbot.sqlite3")
    async with opened as store:
        yield store


@contextlib.contextmanager
def sampling_rss(bots: Sequence[BotProcess]) -> Iterator[list[RssSampler]]:
    """Sample every bot process's RSS from a thread each, inside the block."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(RssSampler(pid=bot.process.pid)) for bot in bots]


# -- one column ---------------------------------------------------------------------------------------


async def run_column(column: Column, options: BenchOptions, folder: Path) -> ColumnFigures:
    """Run the flow scenario on ``column``'s engine and processes; return its figures."""
    figures = ColumnFigures(
        column, processes=[ProcessFigures(ids or tuple(range(SHARDS))) for ids in column.processes]
    )
    wall_minus_monotonic = time.time() - time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(private_postgres()) if column.engine == "postgresql" else ""
        discord, comet = await stack.enter_async_context(doubles(options.duration))
        senders = await two_servers(discord, options.members)
        plan_durations(comet, options)
        settings = {**settings_overrides(options), **({"database_url": url} if url else {})}
        started = time.monotonic()
        bots = await stack.enter_async_context(bot_processes(column, discord, comet, settings, folder))
        figures.startup = time.monotonic() - started
        store = await stack.enter_async_context(reading_store(column.engine, folder, url))
        with sampling_rss(bots) as samplers:
            jobs = await flow(figures.flow, discord, store, senders, options)
            for process, bot, sampler in zip(figures.processes, bots, samplers, strict=True):
                process.pid, process.rss_peak = bot.process.pid, sampler.peak
                process.cpu, process.rss_high_water = cpu_seconds(bot), high_water(bot)
        owners = await lease_owners(column.engine, folder, url)
        await stop_cleanly(bots)
        record_flow(figures.flow, jobs, discord, comet, wall_minus_monotonic)
    for process, bot in zip(figures.processes, bots, strict=True):
        process.from_its_servers = sum(shard_of(job.guild_id or 0) in process.shards for job in jobs)
        process.held = sum(owner == process.pid for owner in owners.values())
        process.problems = log_problems(bot)
    return figures


async def flow(
    figures: FlowFigures,
    discord: DiscordDouble,
    store: JobStore,
    senders: Sequence[tuple[User, Channel]],
    options: BenchOptions,
) -> list[Job]:
    """Send the commands, wait until every accepted job is final; return the jobs.

    The doubles' set-up (and the previous column's leftovers) is collected and frozen first: this
    process runs only the harness, and a full collection over it during the burst would show up as
    acknowledgement latency of the bot.
    """
    gc.collect()
    gc.freeze()
    async with watching_the_loop(figures):
        started = time.monotonic()
        handles = await fire_across(discord, senders, options.jobs, options.spread)
        figures.acks, figures.refused = await acknowledgements(handles)
        figures.accepted = options.jobs - figures.refused

        async def all_final() -> bool:
            jobs = await store.all_jobs()
            return len(jobs) >= figures.accepted and all(job.status.is_final for job in jobs)

        await wait_until(
            all_final, options.duration * (1 + options.jitter) + 12 * options.poll + 60, tick=0.5
        )
        figures.wall = time.monotonic() - started
    gc.unfreeze()
    return list(await store.all_jobs())


def cpu_seconds(bot: BotProcess) -> float:
    """Return the CPU time (user + system) the bot process has used so far."""
    times = psutil.Process(bot.process.pid).cpu_times()
    return float(times.user + times.system)


def high_water(bot: BotProcess) -> float:
    """Return the kernel's record of the process's peak RSS (Linux ``VmHWM``), or NaN elsewhere."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{bot.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(int(line.split()[1]) * 1024)
    return math.nan


async def lease_owners(engine: Engine, folder: Path, url: str) -> dict[int, int | None]:
    """Return, per job, the pid in its lease owner (``host:pid:random``): the process that tracked it.

    Read before the processes stop (a clean stop releases their leases).
    """
    query = "SELECT id, lease_owner FROM jobs"
    if engine == "postgresql":
        conn = await asyncpg.connect(url)
        try:
            rows = [(row["id"], row["lease_owner"]) for row in await conn.fetch(query)]
        finally:
            await conn.close()
    else:
        path = folder / "motionbot.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(query).fetchall()
    return {int(job_id): int(owner.split(":")[1]) if owner else None for job_id, owner in rows}


async def stop_cleanly(bots: Sequence[BotProcess]) -> None:
    """SIGTERM every process and wait for it to exit (as a supervisor stops them)."""
    for bot in bots:
        bot.terminate()
    await asyncio.gather(*(bot.wait_exit(timeout=30) for bot in bots))


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


# -- command line -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> BenchOptions:
    """Read the command line into options (``--quick`` first, then any explicit flag on top)."""
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="python -m bench.scale_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help=f"/animate sent (default {defaults.jobs})")
    parser.add_argument(
        "--members", type=int, help=f"members sending them, split over 2 servers (default {defaults.members})"
    )
    parser.add_argument(
        "--spread", type=float, help=f"seconds they are sent within (default {defaults.spread:g})"
    )
    parser.add_argument("--duration", type=float, help=f"seconds a job takes (default {defaults.duration:g})")
    parser.add_argument("--poll", type=float, help=f"POLL_INTERVAL_SECONDS (default {defaults.poll:g})")
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke run")
    args = parser.parse_args(argv)
    given = {
        "jobs": args.jobs,
        "members": args.members,
        "spread": args.spread,
        "duration": args.duration,
        "poll": args.poll,
    }
    options = replace(QUICK if args.quick else defaults, **{k: v for k, v in given.items() if v is not None})
    problem = invalid(options) or (
        "--members must be at least 2 (one per server)" if options.members < 2 else None
    )
    if problem:
        parser.error(problem)
    return options


async def run_columns(options: BenchOptions) -> list[ColumnFigures]:
    """Run every column in turn, each with fresh doubles, processes and database."""
    results = []
    for column in COLUMNS:
        started = time.monotonic()
        print(f"  {column.label} ...", end="", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="motionbot-scale-bench-") as folder:
            results.append(await run_column(column, options, Path(folder)))
        print(f" {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run both columns and print the report."""
    options = parse_args(argv)
    started = time.monotonic()
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    columns = asyncio.run(run_columns(options))
    print("\n".join([*report(options, columns), "", f"total wall time: {time.monotonic() - started:.0f} s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
