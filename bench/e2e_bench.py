"""End-to-end benchmark: the real Motionbot between the Discord and CometAPI doubles, side by side
with a naive baseline (the same bot, but one polling task per job calling fetch every interval).

Two scenarios, each run for each bot in a fresh process so neither inherits the other's memory:

* flow: 100 ``/animate`` from 20 members within 2 s, jobs of 60 s (± 10 %), POLL_INTERVAL_SECONDS=5.
  Acknowledgement latency, provider requests per job, provider done -> clip visible, Discord 429s,
  card edits per job.
* load: 1,000 ``/animate`` (real slash commands, 50 per second, from 50 members) until 1,000 jobs
  are in flight, then a window of four poll intervals. Peak RSS and CPU per poll cycle.

Not a test: nothing here asserts; budgets are printed next to the figures with PASS or MISS.

    .venv/bin/python -m bench.e2e_bench            # the full run, about 5 minutes on 2 cores
    .venv/bin/python -m bench.e2e_bench --quick    # small numbers, under a minute
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import TypeVar

from bench.e2e_report import report
from bench.e2e_scenarios import run_flow, run_load
from bench.e2e_world import BenchOptions, BotKind

F = TypeVar("F")

BOTS: tuple[BotKind, BotKind] = ("motionbot", "naive")
QUICK = BenchOptions(jobs=20, members=5, spread=1.0, duration=5.0, poll=1.0, inflight=100)


def parse_args(argv: Sequence[str] | None = None) -> BenchOptions:
    """Read the command line into options (``--quick`` first, then any explicit flag on top)."""
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="scripts/bench e2e_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help=f"/animate in the flow scenario (default {defaults.jobs})")
    parser.add_argument("--members", type=int, help=f"members sending them (default {defaults.members})")
    parser.add_argument(
        "--spread", type=float, help=f"seconds they are sent within (default {defaults.spread:g})"
    )
    parser.add_argument("--duration", type=float, help=f"seconds a job takes (default {defaults.duration:g})")
    parser.add_argument("--poll", type=float, help=f"POLL_INTERVAL_SECONDS (default {defaults.poll:g})")
    parser.add_argument(
        "--inflight", type=int, help=f"jobs in flight in the load scenario (default {defaults.inflight})"
    )
    parser.add_argument(
        "--rate", type=float, help=f"/animate per second while loading (default {defaults.inflight_rate:g})"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke run (under a minute)")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else defaults
    given = {
        "jobs": args.jobs,
        "members": args.members,
        "spread": args.spread,
        "duration": args.duration,
        "poll": args.poll,
        "inflight": args.inflight,
        "inflight_rate": args.rate,
    }
    options = replace(options, **{name: value for name, value in given.items() if value is not None})
    problem = invalid(options)
    if problem:
        parser.error(problem)
    return options


def invalid(options: BenchOptions) -> str | None:
    """Return what is wrong with ``options``, or None."""
    if min(options.jobs, options.members, options.inflight) < 1:
        return "--jobs, --members and --inflight must be at least 1"
    if options.spread < 0 or options.duration < 0:
        return "--spread and --duration must not be negative"
    if not 0.01 <= options.poll <= 300:
        return "--poll must be between 0.01 and 300 (POLL_INTERVAL_SECONDS' range)"
    if options.inflight_rate <= 0:
        return "--rate must be positive"
    if options.jobs > options.members * 20:
        return "--jobs may be at most 20 per member (the highest MAX_CONCURRENT_JOBS_PER_USER)"
    return None


def run_isolated(scenario: Callable[[BotKind, BenchOptions], F], kind: BotKind, options: BenchOptions) -> F:
    """Run ``scenario`` for one bot in a fresh interpreter and return its figures."""
    started = time.monotonic()
    print(f"  {scenario.__name__} {kind} ...", end="", file=sys.stderr, flush=True)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        figures = pool.submit(scenario, kind, options).result()
    print(f" {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Run both scenarios for both bots and print the report."""
    options = parse_args(argv)
    started = time.monotonic()
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    flow = [run_isolated(run_flow, kind, options) for kind in BOTS]
    load = [run_isolated(run_load, kind, options) for kind in BOTS]
    lines = report(options, flow, load)
    print("\n".join([*lines, "", f"total wall time: {time.monotonic() - started:.0f} s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
