"""The end-to-end benchmark's printed report: each figure for both bots, its budget, PASS or MISS."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.e2e_probes import MIB, mean, percentile
from bench.e2e_scenarios import FlowFigures, LoadFigures, ScenarioFigures
from bench.e2e_world import BenchOptions

UPLOAD_ALLOWANCE = 1.0  # seconds for downloading four clips and uploading them, on loopback
HARMLESS_WARNINGS = ("PyNaCl is not installed", "davey is not installed")
NAME_WIDTH, VALUE_WIDTH = 52, 18


@dataclass(frozen=True, slots=True)
class Budget:
    """A limit a figure must respect, shown as ``text``."""

    text: str
    holds: Callable[[float], bool]

    @classmethod
    def below(cls, limit: float, unit: str) -> Budget:
        """Return the budget ``figure < limit``."""
        return cls(f"< {limit:g} {unit}".rstrip(), lambda figure: figure < limit)

    @classmethod
    def below_ms(cls, limit_ms: float, note: str = "") -> Budget:
        """Return the budget ``figure < limit_ms`` milliseconds, for a figure in seconds."""
        return cls(
            f"< {limit_ms:g} ms" + (f" ({note})" if note else ""), lambda seconds: seconds * 1000 < limit_ms
        )

    @classmethod
    def at_most(cls, limit: float, unit: str = "", note: str = "") -> Budget:
        """Return the budget ``figure <= limit``."""
        text = f"<= {limit:g} {unit}".rstrip() + (f" ({note})" if note else "")
        return cls(text, lambda figure: figure <= limit)

    @classmethod
    def at_least(cls, limit: float) -> Budget:
        """Return the budget ``figure >= limit``."""
        return cls(f">= {limit:g}", lambda figure: figure >= limit)


@dataclass(frozen=True, slots=True)
class Row:
    """One figure for both bots: ``fmt`` turns a number into its printed form."""

    name: str
    values: tuple[float, float]
    fmt: Callable[[float], str]
    budget: Budget | None = None

    def render(self) -> str:
        """Return the row as one line of the table."""
        cells = [self._cell(value) for value in self.values]
        budget = self.budget.text if self.budget else ""
        return f"{self.name:<{NAME_WIDTH}}{cells[0]:<{VALUE_WIDTH}}{cells[1]:<{VALUE_WIDTH}}{budget}"

    def _cell(self, value: float) -> str:
        text = self.fmt(value)
        if self.budget is None or math.isnan(value):
            return text
        return f"{text} {'PASS' if self.budget.holds(value) else 'MISS'}"


def ms(seconds: float) -> str:
    """Format seconds as milliseconds."""
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    """Format seconds."""
    return f"{seconds:.2f} s"


def mib(size: float) -> str:
    """Format bytes as MiB."""
    return f"{size / MIB:.1f} MiB"


def number(value: float) -> str:
    """Format a count or ratio."""
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def header(options: BenchOptions) -> list[str]:
    """Return the lines that say what ran, where."""
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    return [
        "Motionbot end-to-end benchmark: the real bot between the Discord and CometAPI doubles",
        f"machine: {machine}; every scenario ran in a fresh process, bot and both doubles in one loop",
        (
            f"flow: {options.jobs} /animate from {options.members} members within {options.spread:g} s; "
            f"jobs of {options.duration:g} s ± {options.jitter:.0%}; POLL_INTERVAL_SECONDS={options.poll:g}; "
            f"CARD_EDIT_INTERVAL_SECONDS={options.card_edit_interval:g}"
        ),
        (
            f"load: {options.inflight} /animate at {options.inflight_rate:g} per second until "
            f"{options.inflight} jobs are in flight (jobs of {options.load_job_seconds:g} s), then a "
            f"{options.load_window:g} s window"
        ),
        "",
        f"{'figure':<{NAME_WIDTH}}{'Motionbot':<{VALUE_WIDTH}}{'naive baseline':<{VALUE_WIDTH}}budget",
        "-" * (NAME_WIDTH + 2 * VALUE_WIDTH + 30),
    ]


def flow_rows(options: BenchOptions, bots: Sequence[FlowFigures]) -> list[Row]:
    """Return the flow scenario's rows."""

    def pair(figure: Callable[[FlowFigures], float]) -> tuple[float, float]:
        return figure(bots[0]), figure(bots[1])

    edit_ceiling = math.ceil(options.duration * (1 + options.jitter) / options.card_edit_interval) + 2
    visible_budget = options.poll + UPLOAD_ALLOWANCE
    return [
        Row("acknowledgement latency p50", pair(lambda f: percentile(f.acks, 0.5)), ms),
        Row(
            "acknowledgement latency p99",
            pair(lambda f: percentile(f.acks, 0.99)),
            ms,
            Budget.below_ms(100),
        ),
        Row(
            "acknowledgement latency max",
            pair(lambda f: max(f.acks, default=math.nan)),
            ms,
            Budget.below_ms(3000, "Discord's limit"),
        ),
        Row("commands refused or not acknowledged", pair(lambda f: f.refused), number, Budget.at_most(0)),
        Row(
            "provider requests per job (submit+list+fetch)", pair(requests_per_job), number, Budget.at_most(2)
        ),
        Row(
            "  status look-ups per job (task ids asked for)",
            pair(lambda f: f.status_lookups / jobs(f)),
            number,
        ),
        Row("provider done -> clip visible p50", pair(lambda f: percentile(f.done_to_visible, 0.5)), secs),
        Row(
            "provider done -> clip visible p95",
            pair(lambda f: percentile(f.done_to_visible, 0.95)),
            secs,
            Budget.at_most(visible_budget, "s", f"one poll + {UPLOAD_ALLOWANCE:g} s upload"),
        ),
        Row(
            "  provider done -> bot notices p95",
            pair(lambda f: percentile(f.done_to_noticed, 0.95)),
            secs,
            Budget.at_most(options.poll, "s", "one poll"),
        ),
        Row(
            "  bot notices -> clip visible p95",
            pair(lambda f: percentile(f.noticed_to_visible, 0.95)),
            secs,
            Budget.at_most(UPLOAD_ALLOWANCE, "s", "download + upload"),
        ),
        Row("Discord 429s drawn", pair(lambda f: f.rate_limited), number, Budget.at_most(0)),
        Row("card edits per job, mean", pair(lambda f: mean(f.edits_per_card)), number),
        Row(
            "card edits per job, max",
            pair(lambda f: max(f.edits_per_card, default=math.nan)),
            number,
            Budget.at_most(edit_ceiling, "", "one per CARD_EDIT_INTERVAL + first + final"),
        ),
        Row("Discord REST requests per job", pair(lambda f: f.discord_requests / jobs(f)), number),
        Row("jobs not delivered", pair(lambda f: f.accepted - f.delivered), number, Budget.at_most(0)),
        Row("event-loop stall max (10 ms probe)", pair(lambda f: max(f.loop_stalls, default=math.nan)), ms),
        Row("full garbage collection, longest", pair(lambda f: max(f.full_gc_pauses, default=0.0)), ms),
        Row("wall time of the scenario", pair(lambda f: f.wall), secs),
    ]


def jobs(figures: FlowFigures) -> int:
    """Return the number of jobs the figures are divided by (at least 1)."""
    return max(1, figures.accepted)


def requests_per_job(figures: FlowFigures) -> float:
    """Return provider API requests (submit, list, fetch) per accepted job."""
    return sum(figures.provider_requests.values()) / jobs(figures)


def load_rows(options: BenchOptions, bots: Sequence[LoadFigures]) -> list[Row]:
    """Return the load scenario's rows."""

    def pair(figure: Callable[[LoadFigures], float]) -> tuple[float, float]:
        return figure(bots[0]), figure(bots[1])

    def per_interval(figures: LoadFigures) -> float:
        return figures.window_cpu / (figures.window / options.poll) if figures.window else math.nan

    def per_job_minute(count: float, figures: LoadFigures) -> float:
        return count / max(1, figures.in_flight) / (figures.window / 60) if figures.window else math.nan

    return [
        Row(
            "jobs in flight at the end of the window",
            pair(lambda f: f.in_flight),
            number,
            Budget.at_least(options.inflight),
        ),
        Row("ramp: time to submit them all", pair(lambda f: f.ramp), secs),
        Row("ramp: acknowledgement latency p50", pair(lambda f: percentile(f.acks, 0.5)), ms),
        Row("ramp: acknowledgement latency p99", pair(lambda f: percentile(f.acks, 0.99)), ms),
        Row("RSS before the bot starts (both doubles up)", pair(lambda f: f.rss_baseline), mib),
        Row("RSS with the bot connected, idle", pair(lambda f: f.rss_idle), mib),
        Row(
            "RSS peak, bot + both doubles (psutil, 0.1 s)",
            pair(lambda f: f.rss_peak),
            mib,
            Budget("< 200 MiB", lambda peak: peak < 200 * MIB),
        ),
        Row("RSS high-water mark (kernel)", pair(lambda f: f.rss_high_water), mib),
        Row("RSS growth, peak - before the bot", pair(lambda f: f.rss_peak - f.rss_baseline), mib),
        Row("CPU per poll cycle (last_cycle_cpu), mean", pair(lambda f: mean(f.cycle_cpu)), ms),
        Row(
            "CPU per poll cycle (last_cycle_cpu), max", pair(lambda f: max(f.cycle_cpu, default=math.nan)), ms
        ),
        Row("poll cycles sampled in the window", pair(lambda f: len(f.cycle_cpu)), number),
        Row("process CPU per poll interval (window)", pair(per_interval), ms),
        Row(
            "provider requests per job per minute (list+fetch)",
            pair(lambda f: per_job_minute(f.window_requests, f)),
            number,
        ),
        Row(
            "  status look-ups per job per minute",
            pair(lambda f: per_job_minute(f.window_lookups, f)),
            number,
        ),
        Row("event-loop stall max (10 ms probe)", pair(lambda f: max(f.loop_stalls, default=math.nan)), ms),
        Row("full garbage collection, longest", pair(lambda f: max(f.full_gc_pauses, default=0.0)), ms),
    ]


def warnings(bots: Sequence[ScenarioFigures], scenario: str) -> list[str]:
    """Return the bots' own warnings (voice-support notices left out), most frequent first."""
    lines = []
    for figures in bots:
        for message, count in figures.warnings:
            if not any(harmless in message for harmless in HARMLESS_WARNINGS):
                lines.append(f"  {scenario}/{figures.kind}: {count} x {message}")
    return lines


def report(options: BenchOptions, flow: Sequence[FlowFigures], load: Sequence[LoadFigures]) -> list[str]:
    """Return the whole printed report."""
    lines = header(options)
    lines.append("flow")
    lines += [row.render() for row in flow_rows(options, flow)]
    lines.append("load")
    lines += [row.render() for row in load_rows(options, load)]
    noted = warnings(flow, "flow") + warnings(load, "load")
    lines += ["", "warnings logged during the scenarios:", *(noted or ["  none"]), "", *NOTES]
    return lines


NOTES = [
    "notes:",
    "- both doubles share the bot's process and event loop: RSS, CPU, stalls and GC pauses include their",
    "  work (RSS is an upper bound for the bot; the load scenario empties their request logs every second)",
    "- last_cycle_cpu is process CPU over one poll's span: for Motionbot one batched poll of the due jobs",
    "  (plus whatever else the loop ran meanwhile), for the naive bot one poll interval (every job fetched",
    "  once); 'process CPU per poll interval' puts both on the same footing",
    "- provider done = task creation at the CometAPI double + its planned duration; bot notices = the",
    "  job's finished_at in the store; clip visible = the Discord double's card revision with the files",
    "- job lengths are drawn (seeded) within the jitter, so a poller on a fixed interval is not",
    "  phase-locked to the moment jobs finish",
]
