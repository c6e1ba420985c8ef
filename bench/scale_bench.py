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
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs installed

from bench.e2e_bench import invalid
from bench.e2e_probes import RssSampler
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
from bench.scale_report import SHARDS, Column, ColumnFigures, Engine, ProcessFigures, log_problems, report
from bot.models import Job
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import Channel, DiscordDouble, Guild, InteractionHandle, User
from tests.postgres_server import PrivateServer, admin, database_url, find_server
from tests.reliability.subprocess_bot import BotProcess, running_shard_process
from tests.reliability.two_process_scenario import lease_pids

QUICK = BenchOptions(jobs=20, members=4, spread=1.0, duration=5.0, poll=1.0)


COLUMNS = (
    Column("SQLite, 1 proc", "sqlite", ((),)),
    Column("Postgres, 2 proc", "postgresql", ((0,), (1,))),
)


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
    bindir, reason = find_server()
    if bindir is None:
        raise SystemExit(f"PostgreSQL server binaries (initdb, pg_ctl, postgres): {reason}")
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
    if engine == "postgresql":
        return await lease_pids(url)
    path = folder / "motionbot.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT id, lease_owner FROM jobs").fetchall()
    return {int(job_id): int(owner.split(":")[1]) if owner else None for job_id, owner in rows}


async def stop_cleanly(bots: Sequence[BotProcess]) -> None:
    """SIGTERM every process and wait for it to exit (as a supervisor stops them)."""
    for bot in bots:
        bot.terminate()
    await asyncio.gather(*(bot.wait_exit(timeout=30) for bot in bots))


# -- command line -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> BenchOptions:
    """Read the command line into options (``--quick`` first, then any explicit flag on top)."""
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="scripts/bench scale_bench", description=__doc__.split("\n\n")[0])
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
