"""Admission benchmark (issue 21): the ledger's admission on SQLite and PostgreSQL beside today's.

A busy hour's admissions as the intake makes them: 100 commands from 20 members of one server, sent
evenly within 2 s, each one the quota check before the answer (``QuotaService.check``, a read) then the
admission that stores the job (with the ledger: its checks and the reservation in one write
transaction, an advisory lock on PostgreSQL; today's: an in-process lock around the counters' reads
and ``create_job``). The store first holds a month of history (1,000 delivered jobs of 200 members in
10 servers), so the ledger's sums have rows to add up. The money budgets are set high enough never to
refuse: they are summed all the same.

"Today's" is the code before the ledger, taken from git (``--baseline``, the commit issue 21's work
started from) and run the same way in its own interpreter. Each run is a fresh interpreter and a fresh
database; PostgreSQL is a private server this script starts and stops (tests/postgres_server.py).
Budget: admission p99 under 50 ms. Not a test: nothing here asserts.

    .venv/bin/python -m bench.admission_bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import inspect
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BASELINE = "02bb0a3"  # i21-base: the counters and the in-process admission lock, before the ledger
P99_BUDGET = 0.050
PRICE = 200_000  # a 4-clip 480p video at the default prices, in millionths
GUILD, CHANNEL = 7001, 7002
HIGH = Decimal("1000000")  # budgets that never refuse but are summed
SETTINGS: dict[str, Any] = {
    "discord_token": "token",
    "cometapi_key": "key",
    "max_daily_jobs_per_user": 10_000,
    "max_daily_jobs_per_guild": 100_000,
    **{
        f"budget_{scope}_{period}": HIGH
        for scope in ("person", "server", "bot")
        for period in ("day", "month")
    },
}


@dataclasses.dataclass
class Run:
    """What one run measured, in seconds per command."""

    engine: str
    code: str
    checks: list[float] = dataclasses.field(default_factory=list)
    admissions: list[float] = dataclasses.field(default_factory=list)
    admitted: int = 0
    note: str = ""


# -- one run, in a fresh interpreter (this tree's bot, or the baseline's) ---------------------------


def new_job(requester: int, guild: int, prompt: str) -> Any:
    from bot.models import JobSource, Motion, NewJob, Quality

    job = NewJob(
        requester_id=requester,
        guild_id=guild,
        channel_id=CHANNEL,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt=prompt,
        image_url="https://cdn.discordapp.com/attachments/1/2/cat.png",
    )
    return dataclasses.replace(job, price=PRICE)


async def open_store(database: str) -> Any:
    from bot.store import JobStore

    if database.startswith("postgres"):
        return await JobStore.open_postgres(database, max_connections=10)
    return await JobStore.open(database)


async def fill_history(store: Any, jobs: int) -> None:
    """Delivered jobs of 200 members in 10 servers, as the bot stores them (ledger rows, or counters)."""
    for index in range(jobs):
        job = await store.create_job(new_job(10_000 + index % 200, 8000 + index % 10, f"history {index}"))
        await store.mark_submitted(job.id, f"history-{job.id}")
        await store.mark_succeeded(job.id, [f"https://cdn.example/{job.id}.mp4"])
        await store.mark_delivered(job.id)


async def admit(quotas: Any, store: Any, job: Any) -> None:
    """Store ``job`` through admission: the ledger's (one call) or today's (a lock around create_job)."""
    if "new" in inspect.signature(quotas.admission).parameters:
        await quotas.admission(job)
        return
    async with quotas.admission(job.guild_id, job.requester_id, job.cost):
        await store.create_job(job)


async def timed_command(quotas: Any, store: Any, job: Any, run: Run) -> None:
    started = time.perf_counter()
    await quotas.check(job.guild_id, job.requester_id, job.cost)
    checked = time.perf_counter()
    await admit(quotas, store, job)
    run.checks.append(checked - started)
    run.admissions.append(time.perf_counter() - checked)
    run.admitted += 1


async def one_run(engine: str, code: str, database: str, options: argparse.Namespace) -> Run:
    from bot.checks import QuotaService
    from bot.settings import Settings

    run = Run(engine, code)
    async with await open_store(database) as store:
        await fill_history(store, options.history)
        quotas = QuotaService(store, Settings(_env_file=None, **SETTINGS))
        start, tasks = time.monotonic(), []
        for index in range(options.commands):
            delay = start + index * options.spread / options.commands - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            job = new_job(20_000 + index % options.members, GUILD, f"command {index}")
            tasks.append(asyncio.create_task(timed_command(quotas, store, job, run)))
        await asyncio.gather(*tasks)
    return run


# -- the report, from the parent ---------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values`` (0 for none)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def figures(run: Run) -> list[str]:
    if run.note:
        return [f"{run.engine:<11} {run.code:<9} {run.note}"]
    lines = []
    for name, values in (("check", run.checks), ("admission", run.admissions)):
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        verdict = ("PASS" if p99 < P99_BUDGET else "MISS") if name == "admission" else "    "
        lines.append(
            f"{run.engine:<11} {run.code:<9} {name:<10} p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
            f"max {max(values, default=0) * 1000:6.1f} ms  {verdict}"
        )
    return lines


def baseline_tree(revision: str, folder: Path) -> Path | str:
    """Extract ``revision``'s ``bot`` package and this script into ``folder``; a reason if it cannot."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "bot"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return f"no baseline: git archive {revision} failed ({archive.stderr.decode().strip()[:120]})"
    (folder / "bench").mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    (folder / "bench" / "__init__.py").touch()
    shutil.copy(Path(__file__), folder / "bench" / "admission_bench.py")
    return folder


def run_isolated(engine: str, code: str, database: str, tree: Path, options: argparse.Namespace) -> Run:
    """Run one measurement in a fresh interpreter whose ``bot`` is ``tree``'s."""
    print(f"  {engine}, {code}...", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "bench.admission_bench", "--one", engine, code, database]
    command += ["--commands", str(options.commands), "--spread", str(options.spread)]
    command += ["--members", str(options.members), "--history", str(options.history)]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return Run(engine, code, note=f"failed: {done.stderr.strip().splitlines()[-1:]}")
    return Run(**json.loads(done.stdout.strip().splitlines()[-1]))


@contextlib.asynccontextmanager
async def postgres_databases() -> AsyncIterator[Any]:
    """Start a private PostgreSQL server; yield a maker of fresh database URLs (None without binaries)."""
    sys.path.insert(0, str(REPO))
    from tests.postgres_server import PrivateServer, admin, database_url, find_server

    bindir, reason = find_server()
    if bindir is None:
        print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
        yield None
        return
    server = PrivateServer(bindir, Path(tempfile.mkdtemp(prefix="motionbot-admission-pg-")))
    try:
        await asyncio.to_thread(server.init)
        await asyncio.to_thread(server.start)
        count = 0

        def fresh() -> str:
            nonlocal count
            count += 1
            admin(server.url, f'CREATE DATABASE "admission_{count}"')
            return database_url(server.url, f"admission_{count}")

        yield fresh
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(server.folder, ignore_errors=True)


async def all_runs(options: argparse.Namespace, folder: Path) -> list[Run]:
    trees: dict[str, Path | str] = {
        "ledger": REPO,
        "counters": baseline_tree(options.baseline, folder / "base"),
    }
    runs = []
    async with postgres_databases() as fresh_postgres:
        for engine in ("sqlite", "postgresql"):
            for code, tree in trees.items():
                if isinstance(tree, str):
                    runs.append(Run(engine, code, note=tree))
                    continue
                if engine == "postgresql" and fresh_postgres is None:
                    runs.append(Run(engine, code, note="skipped: no PostgreSQL server binaries"))
                    continue
                database = str(folder / f"{code}.sqlite3") if engine == "sqlite" else fresh_postgres()
                runs.append(await asyncio.to_thread(run_isolated, engine, code, database, tree, options))
    return runs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench admission_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--commands", type=int, default=100, help="admissions in the burst (100)")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds to send them in (2)")
    parser.add_argument("--members", type=int, default=20, help="members sending them (20)")
    parser.add_argument("--history", type=int, default=1000, help="delivered jobs stored first (1000)")
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of today's code ({BASELINE})")
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "CODE", "DATABASE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every engine with both admissions and print the report."""
    options = parse_args(argv)
    if options.one:
        run = asyncio.run(one_run(*options.one, options))
        print(json.dumps(dataclasses.asdict(run)))
        return 0
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="motionbot-admission-") as folder:
        runs = asyncio.run(all_runs(options, Path(folder)))
    header = (
        f"admission latency: {options.commands} commands from {options.members} members in "
        f"{options.spread:g} s, {options.history} delivered jobs stored first; today's = {options.baseline}"
    )
    lines = [
        header,
        *(line for run in runs for line in figures(run)),
        f"total wall time: {time.monotonic() - started:.0f} s",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
