"""/usage benchmark: the spend chart's render time and size, the loop stall while charts are drawn, and
the ledger reads of one server's report on a busy bot's SQLite store.

The chart is drawn as the /usage cog draws it (``bot.budget.draw_spend_chart``: matplotlib's Agg
renderer in a worker thread; here the same function, timed inside the thread for its CPU time). The
loop stall is how late a 10 ms sleep wakes while charts are drawn (Agg's C++ drawing holds the GIL
while it runs), beside the same probe with nothing drawn. The reads are ``UsageReports.server`` on a
ledger of ``--rows`` rows over 60 days and 50 servers. The first chart includes importing matplotlib
(once per process). Prints figures, asserts nothing.

    .venv/bin/python -m bench.usage_bench            # --charts 40 --rows 60000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.e2e_probes import LoopStallMonitor
from bot.budget import ChartText, UsageReports, draw_spend_chart, operator_budgets
from bot.budget.spend_chart import render_spend_chart
from bot.i18n import Lang, format_day
from bot.settings import read_settings
from bot.store import JobStore, Spend

RENDER_BUDGET = 0.250  # p95 of one chart, seconds: the member waits behind a deferral
STALL_BUDGET = 0.100
READ_BUDGET = 0.100  # p95 of one server's report reads
SERVERS, DAYS = 50, 60
TODAY = dt.date(2026, 3, 31)
TEXT = ChartText(
    title="Chi tiêu của máy chủ này theo ngày, 30 ngày qua",
    days_axis="Ngày (UTC)",
    amount_axis="Số tiền (USD)",
    charged="Đã tính phí",
    reserved="Đang giữ chỗ (đang chờ hoặc đang chạy)",
    day_label=lambda day: format_day(day, Lang.VI),
)


def month_of_spend(seed: int) -> list[tuple[dt.date, Spend]]:
    """30 days of made-up spend, reserved only on the last two (jobs still running)."""
    rng = random.Random(seed)
    first = TODAY - dt.timedelta(days=29)
    return [
        (
            first + dt.timedelta(days=n),
            Spend(jobs=1, charged=rng.randrange(0, 5_000_000), reserved=rng.randrange(0, 400_000) * (n > 27)),
        )
        for n in range(30)
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def verdict(value: float, budget: float) -> str:
    return "PASS" if value < budget else "MISS"


def timed_render(days: list[tuple[dt.date, Spend]]) -> tuple[bytes, float]:
    """Draw one chart as ``draw_spend_chart`` does, and the CPU time its thread spent on it."""
    started = time.thread_time()
    png = render_spend_chart(days, TEXT)
    return png, time.thread_time() - started


async def baseline_stall(seconds: float) -> float:
    """The longest loop stall with nothing drawn: what the machine's other load alone causes."""
    monitor = LoopStallMonitor()
    watcher = asyncio.create_task(monitor.run())
    await asyncio.sleep(seconds)
    watcher.cancel()
    return max(monitor.stalls, default=0.0)


async def charts(count: int) -> None:
    """Print the first chart's time, then the render figures and the loop stall over ``count`` charts."""
    started = time.perf_counter()
    await draw_spend_chart(month_of_spend(0), TEXT)
    print(f"first chart (imports matplotlib): {(time.perf_counter() - started) * 1000:.0f} ms")
    walls: list[float] = []
    cpus: list[float] = []
    sizes: list[int] = []
    monitor = LoopStallMonitor()
    watcher = asyncio.create_task(monitor.run())
    began = time.perf_counter()
    for index in range(count):
        started = time.perf_counter()
        png, cpu = await asyncio.to_thread(timed_render, month_of_spend(index))
        walls.append(time.perf_counter() - started)
        cpus.append(cpu)
        sizes.append(len(png))
    drawing = time.perf_counter() - began
    watcher.cancel()
    p95 = percentile(walls, 0.95)
    print(
        f"{count} charts of 30 days (800x360 PNG), one after another: "
        f"median {statistics.median(walls) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms [{verdict(p95, RENDER_BUDGET)} < {RENDER_BUDGET * 1000:.0f} ms], "
        f"max {max(walls) * 1000:.0f} ms; CPU per chart median {statistics.median(cpus) * 1000:.0f} ms"
    )
    print(f"  PNG size: median {statistics.median(sizes) / 1024:.1f} KiB, max {max(sizes) / 1024:.1f} KiB")
    together = time.perf_counter()
    await asyncio.gather(*(draw_spend_chart(month_of_spend(n), TEXT) for n in range(4)))
    print(
        f"  4 charts asked at once: {(time.perf_counter() - together) * 1000:.0f} ms in all (drawn in turn)"
    )
    worst = max(monitor.stalls, default=0.0)
    quiet = await baseline_stall(drawing)
    print(
        f"  loop stall while drawing: longest {worst * 1000:.1f} ms over {len(monitor.stalls)} probes "
        f"[{verdict(worst, STALL_BUDGET)} < {STALL_BUDGET * 1000:.0f} ms]; "
        f"with nothing drawn for as long: {quiet * 1000:.1f} ms (the machine's other load)"
    )


def fill_ledger(path: Path, rows: int) -> None:
    """Write ``rows`` ledger rows over ``DAYS`` days and ``SERVERS`` servers, most charged."""
    rng = random.Random(7)
    states = ["charged"] * 8 + ["reserved", "released"]
    entries = []
    for _ in range(rows):
        day = TODAY - dt.timedelta(days=rng.randrange(DAYS))
        stamp = f"{day.isoformat()}T12:00:00.000000+00:00"
        entries.append(
            (
                rng.randrange(1000),
                1 + rng.randrange(SERVERS),
                day.isoformat(),
                day.isoformat()[:7],
                1,
                rng.randrange(50_000, 640_000),
                rng.choice(states),
                stamp,
            )
        )
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO ledger (person_id, guild_id, day, month, units, amount, state, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            entries,
        )
    conn.close()


async def reads(rows: int, reports: int) -> None:
    """Print how long one server's report reads take on a ledger of ``rows`` rows."""
    with tempfile.TemporaryDirectory(prefix="usage-bench-") as name:
        path = Path(name) / "motionbot.sqlite3"
        async with await JobStore.open(path):
            pass
        fill_ledger(path, rows)
        clock = lambda: dt.datetime.combine(TODAY, dt.time(18), tzinfo=dt.UTC)  # noqa: E731
        budgets = operator_budgets(read_settings(None, discord_token="x" * 60, cometapi_key="sk-bench"))
        async with await JobStore.open(path) as store:
            usage = UsageReports(store, clock=clock)
            times = []
            for index in range(reports):
                started = time.perf_counter()
                await usage.server(1 + index % SERVERS, budgets)
                times.append(time.perf_counter() - started)
    p95 = percentile(times, 0.95)
    print(
        f"one server's report on a ledger of {rows} rows ({SERVERS} servers, {DAYS} days, SQLite): "
        f"median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
        f"[{verdict(p95, READ_BUDGET)} < {READ_BUDGET * 1000:.0f} ms]"
    )


def main() -> None:
    """Run the chart figures, then the read figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--charts", type=int, default=40)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--reports", type=int, default=40)
    args = parser.parse_args()
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    asyncio.run(charts(args.charts))
    asyncio.run(reads(args.rows, args.reports))


if __name__ == "__main__":
    main()
