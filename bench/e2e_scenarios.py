"""The end-to-end benchmark's two scenarios, each run for one bot in a fresh process.

``flow``: members run ``/animate`` within a short spread; every job runs its full length at the
CometAPI double and is delivered in Discord. Measures acknowledgements, provider requests, the delay
from the provider finishing to the clip being visible, Discord 429s and card edits.

``load``: many ``/animate`` (real slash commands) until that many jobs are in flight at once, then a
steady window while all of them are polled. Measures RSS (baseline, peak) and CPU per poll cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.e2e_probes import (
    CycleSampler,
    FullCollections,
    LoopStallMonitor,
    RssSampler,
    WarningCounter,
    rss_bytes,
    rss_high_water_bytes,
)
from bench.e2e_world import (
    PER_MEMBER_CONCURRENCY,
    BenchOptions,
    BotKind,
    acknowledgements,
    add_members,
    doubles,
    fire,
    plan_durations,
    running_bot,
    settings_overrides,
    wait_until,
)
from bot.models import Job
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble, User
from tests.e2e.harness import World, settings_for


@dataclass(slots=True)
class ScenarioFigures:
    """What every scenario records for one bot: the event loop's health and the warnings logged."""

    kind: BotKind
    acks: list[float] = field(default_factory=list)
    loop_stalls: list[float] = field(default_factory=list)
    full_gc_pauses: list[float] = field(default_factory=list)
    warnings: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class FlowFigures(ScenarioFigures):
    """What the flow scenario measured for one bot (times in seconds)."""

    refused: int = 0
    accepted: int = 0
    finished: int = 0
    delivered: int = 0
    provider_requests: dict[str, int] = field(default_factory=dict)
    status_lookups: int = 0
    done_to_visible: list[float] = field(default_factory=list)
    done_to_noticed: list[float] = field(default_factory=list)
    noticed_to_visible: list[float] = field(default_factory=list)
    edits_per_card: list[int] = field(default_factory=list)
    discord_requests: int = 0
    rate_limited: int = 0
    rate_limited_routes: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0


@dataclass(slots=True)
class LoadFigures(ScenarioFigures):
    """What the load scenario measured for one bot (bytes, seconds)."""

    requested: int = 0
    in_flight: int = 0
    ramp: float = 0.0
    window: float = 0.0
    rss_baseline: int = 0
    rss_idle: int = 0
    rss_peak: int = 0
    rss_high_water: int = 0
    cycle_cpu: list[float] = field(default_factory=list)
    window_cpu: float = 0.0
    window_requests: int = 0
    window_lookups: int = 0
    job_seconds: float = 0.0


# -- flow ---------------------------------------------------------------------------------------


async def flow_scenario(kind: BotKind, options: BenchOptions, folder: Path) -> FlowFigures:
    """Run the flow scenario for one bot and return its figures."""
    figures = FlowFigures(kind)
    wall_minus_monotonic = time.time() - time.monotonic()
    async with doubles(options.duration) as (discord, comet):
        members = await add_members(discord, options.members)
        settings = settings_for(discord, comet, folder, **settings_overrides(options))
        plan_durations(comet, options)
        async with running_bot(kind, settings, discord) as bot, watching_the_loop(figures):
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            started = time.monotonic()
            handles = await fire(world, members, options.jobs, options.spread)
            figures.acks, figures.refused = await acknowledgements(handles)
            figures.accepted = options.jobs - figures.refused

            async def all_final() -> bool:
                jobs = await world.store.all_jobs()
                return len(jobs) >= figures.accepted and all(job.status.is_final for job in jobs)

            await wait_until(all_final, options.duration * (1 + options.jitter) + 12 * options.poll + 60)
            figures.wall = time.monotonic() - started
            jobs = await world.store.all_jobs()
        record_flow(figures, jobs, discord, comet, wall_minus_monotonic)
    return figures


@contextlib.asynccontextmanager
async def watching_the_loop(figures: ScenarioFigures) -> AsyncIterator[None]:
    """Record event-loop stalls and full garbage collections into ``figures`` inside the block."""
    monitor = LoopStallMonitor()
    monitoring = asyncio.create_task(monitor.run())
    try:
        with FullCollections() as collections:
            yield
    finally:
        monitoring.cancel()
        await asyncio.gather(monitoring, return_exceptions=True)
    figures.loop_stalls, figures.full_gc_pauses = monitor.stalls, collections.pauses


def record_flow(
    figures: FlowFigures,
    jobs: Sequence[Job],
    discord: DiscordDouble,
    comet: CometAPIDouble,
    wall_minus_monotonic: float,
) -> None:
    """Fill in the figures read from the store and both doubles.

    Three moments per delivered job, on one clock (wall time; the CometAPI double's monotonic times
    are converted with one offset read at the start): the provider finishing (task creation plus its
    planned duration), the bot noticing (``finished_at``, stored before the tracker emits the event)
    and the clip being visible (the Discord double's revision of the card carrying the files).
    """
    figures.finished = sum(job.status.is_final for job in jobs)
    figures.delivered = sum(job.delivered_at is not None for job in jobs)
    figures.provider_requests = {kind: comet.counts[kind] for kind in ("submit", "list", "fetch")}
    figures.status_lookups = status_lookups(comet)
    patches = Counter(
        request.path.rsplit("/", 1)[-1] for request in discord.requests if request.method == "PATCH"
    )
    for job in jobs:
        if job.card_message_id is not None:
            figures.edits_per_card.append(patches[str(job.card_message_id)])
        task = comet.tasks.get(job.provider_task_id or "")
        card = discord.state.messages.get(job.card_message_id or 0)
        if task is None or card is None or job.delivered_at is None:
            continue
        done = task.created_at + task.plan.duration + wall_minus_monotonic  # double's clock: monotonic
        shown = next((revision.at for revision in card.history if revision.attachments), None)
        if shown is None or job.finished_at is None:
            continue
        visible, noticed = shown.timestamp(), job.finished_at.timestamp()
        figures.done_to_visible.append(visible - done)
        figures.done_to_noticed.append(noticed - done)
        figures.noticed_to_visible.append(visible - noticed)
    figures.discord_requests = len(discord.requests)
    figures.rate_limited = discord.rate_limited_count
    figures.rate_limited_routes = dict(discord.limiter.limited_counts)


def status_lookups(comet: CometAPIDouble) -> int:
    """Return how many task statuses the bot has asked for: every id listed, every single fetch."""
    return sum(len(ids) for ids in comet.list_queries) + comet.counts["fetch"]


# -- load ---------------------------------------------------------------------------------------


async def load_scenario(kind: BotKind, options: BenchOptions, folder: Path) -> LoadFigures:
    """Run the load scenario for one bot and return its figures."""
    figures = LoadFigures(kind, requested=options.inflight, job_seconds=options.load_job_seconds)
    async with doubles(options.load_job_seconds) as (discord, comet):
        members = await add_members(discord, math.ceil(options.inflight / PER_MEMBER_CONCURRENCY))
        settings = settings_for(discord, comet, folder, **settings_overrides(options))
        figures.rss_baseline = rss_bytes()
        with RssSampler() as sampler:
            async with running_bot(kind, settings, discord) as bot, trimming_logs(discord, comet):
                figures.rss_idle = rss_bytes()
                world = World(discord=discord, comet=comet, settings=settings, bot=bot)
                async with watching_the_loop(figures):
                    await ramp_up(figures, world, members, options)
                    await steady_window(figures, world, options.load_window)
                figures.in_flight = bot.services.tracker.in_flight
        figures.rss_peak = sampler.peak
    figures.rss_high_water = rss_high_water_bytes()
    return figures


@contextlib.asynccontextmanager
async def trimming_logs(discord: DiscordDouble, comet: CometAPIDouble) -> AsyncIterator[None]:
    """Empty the doubles' request logs every second inside the block.

    They keep every request with its parsed body for test assertions; nothing in a real deployment
    holds them, and the load scenario reads only ``comet.counts`` and ``comet.list_queries`` (short
    lists of ids, kept), so the RSS and the garbage collector's work stay about the bot.
    """

    async def trim() -> None:
        while True:
            await asyncio.sleep(1.0)
            for log in (discord.requests, comet.request_log, comet.submissions):
                log.clear()

    trimmer = asyncio.create_task(trim())
    try:
        yield
    finally:
        trimmer.cancel()
        await asyncio.gather(trimmer, return_exceptions=True)


async def ramp_up(figures: LoadFigures, world: World, members: Sequence[User], options: BenchOptions) -> None:
    """Start ``options.inflight`` jobs by slash command and wait until all are submitted."""
    started = time.monotonic()
    handles = await fire(world, members, options.inflight, options.inflight / options.inflight_rate)
    figures.acks, refused = await acknowledgements(handles)
    expected = options.inflight - refused

    async def all_submitted() -> bool:
        return world.comet.counts["submit"] >= expected

    await wait_until(all_submitted, within=120)
    figures.ramp = time.monotonic() - started


async def steady_window(figures: LoadFigures, world: World, window: float) -> None:
    """Watch the tracker for ``window`` seconds with every job in flight."""
    sampler = CycleSampler(world.bot.services.tracker)
    sampling = asyncio.create_task(sampler.run())
    requests_before = sum(world.comet.counts[kind] for kind in ("list", "fetch"))
    lookups_before = status_lookups(world.comet)
    cpu_before, started = time.process_time(), time.monotonic()
    try:
        await asyncio.sleep(window)
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
    figures.window = time.monotonic() - started
    figures.window_cpu = time.process_time() - cpu_before
    figures.window_requests = sum(world.comet.counts[kind] for kind in ("list", "fetch")) - requests_before
    figures.window_lookups = status_lookups(world.comet) - lookups_before
    figures.cycle_cpu = sampler.samples


# -- child process entry points ----------------------------------------------------------------

F = TypeVar("F", bound=ScenarioFigures)
Scenario = Callable[[BotKind, BenchOptions, Path], Coroutine[Any, Any, F]]


def run_flow(kind: BotKind, options: BenchOptions) -> FlowFigures:
    """Run the flow scenario for one bot in this (fresh) process."""
    return in_this_process(flow_scenario, kind, options)


def run_load(kind: BotKind, options: BenchOptions) -> LoadFigures:
    """Run the load scenario for one bot in this (fresh) process."""
    return in_this_process(load_scenario, kind, options)


def in_this_process(scenario: Scenario[F], kind: BotKind, options: BenchOptions) -> F:
    """Run ``scenario`` in a temporary folder, with warnings counted instead of printed."""
    counter = WarningCounter.install()
    with tempfile.TemporaryDirectory(prefix="motionbot-e2e-bench-") as folder:
        figures = asyncio.run(scenario(kind, options, Path(folder)))
    figures.warnings = counter.top()
    return figures
