"""The world both end-to-end scenarios run in: options, both doubles, either bot, members acting.

The bot is either Motionbot exactly as the e2e harness runs it (``running_motionbot``), or the same
bot built on ``NaiveTracker``. Both doubles run in the same process and event loop as the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bench.naive_tracker import open_naive_services
from bot.client import MotionBot
from bot.settings import Settings
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, InteractionHandle, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import TEST_BOT_OPTIONS, World, running_motionbot

BotKind = Literal["motionbot", "naive"]
PER_MEMBER_CONCURRENCY = 20  # the highest MAX_CONCURRENT_JOBS_PER_USER allows
RESPONSE_TIMEOUT = 30.0
IMAGE = png_bytes(width=256, height=256)  # made once: encoding a PNG per command is the bench's cost


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """What to run: sizes and timings of both scenarios."""

    jobs: int = 100
    members: int = 20
    spread: float = 2.0
    duration: float = 60.0
    poll: float = 5.0
    inflight: int = 1000
    inflight_rate: float = 50.0
    card_edit_interval: float = 4.0
    jitter: float = 0.1
    seed: int = 6

    @property
    def load_window(self) -> float:
        """Return how long the load scenario watches all jobs in flight: four poll intervals."""
        return 4 * self.poll

    @property
    def load_job_seconds(self) -> float:
        """Return the job length in the load scenario: none may finish before the window ends.

        The ramp may take up to twice its planned time on a slow machine.
        """
        ramp = self.inflight / self.inflight_rate
        return max(self.duration, 2 * ramp + self.load_window + 3 * self.poll)


def settings_overrides(options: BenchOptions) -> dict[str, Any]:
    """Production defaults where the e2e harness shortens them, and limits no member will reach."""
    return {
        "poll_interval_seconds": options.poll,
        "card_edit_interval_seconds": options.card_edit_interval,
        "provider_timeout_seconds": 30,
        "provider_max_retries": 4,
        "max_concurrent_jobs_per_user": PER_MEMBER_CONCURRENCY,
        # The provider cap lifted: these scenarios measure following every job in flight at once
        # (bench/queue_bench.py measures the queue with the default cap).
        "provider_max_running": 5000,
        "max_daily_jobs_per_user": 10_000,
        "max_daily_jobs_per_guild": 100_000,
        "log_level": "WARNING",
    }


@contextlib.asynccontextmanager
async def running_naive_bot(settings: Settings, discord: DiscordDouble) -> AsyncIterator[MotionBot]:
    """Run the bot built on NaiveTracker the way ``running_motionbot`` runs Motionbot."""
    async with open_naive_services(settings) as services, MotionBot(services, **TEST_BOT_OPTIONS) as bot:
        task = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        try:
            await asyncio.wait_for(discord.wait_ready(timeout=10), timeout=10)
            await bot.wait_until_ready()
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def running_bot(kind: BotKind, settings: Settings, discord: DiscordDouble) -> Any:
    """Return the context manager that runs the chosen bot."""
    runner = running_motionbot if kind == "motionbot" else running_naive_bot
    return runner(settings, discord)


@contextlib.asynccontextmanager
async def doubles(job_seconds: float) -> AsyncIterator[tuple[DiscordDouble, CometAPIDouble]]:
    """Start both doubles; CometAPI tasks take ``job_seconds`` of real time."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=job_seconds)
        yield discord, comet


async def add_members(discord: DiscordDouble, count: int) -> list[User]:
    """Create ``count`` regular members of the test guild."""
    return [await discord.add_user(f"member{index:04d}") for index in range(count)]


async def fire(world: World, members: Sequence[User], count: int, spread: float) -> list[InteractionHandle]:
    """Send ``count`` /animate evenly over ``spread`` seconds, round-robin over ``members``."""
    start = time.monotonic()
    handles = []
    for index in range(count):
        delay = start + index * spread / count - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        member = members[index % len(members)]
        handles.append(await world.animate(member, image=IMAGE, prompt=job_prompt(index)))
    return handles


def job_prompt(index: int) -> str:
    """Return the prompt of the index-th job; ``#index;`` lets a CometAPI double rule pick it out."""
    return f"bench job #{index};"


def plan_durations(comet: CometAPIDouble, options: BenchOptions) -> None:
    """Give job i a duration drawn (seeded) within ``duration`` ± ``jitter``.

    With one fixed duration a multiple of the poll interval, a job polled every interval from its
    submit is fetched a few milliseconds after it finishes, every time: real jobs vary in length.
    """
    draw = random.Random(options.seed)
    low, high = options.duration * (1 - options.jitter), options.duration * (1 + options.jitter)
    for index in range(options.jobs):
        comet.plan_tasks(TaskPlan(duration=draw.uniform(low, high)), prompt=f"#{index};")


async def acknowledgements(handles: Sequence[InteractionHandle]) -> tuple[list[float], int]:
    """Wait for every first response; return the latencies and how many were private refusals."""
    responses = await asyncio.gather(*(handle.wait_response(RESPONSE_TIMEOUT) for handle in handles))
    refused = sum(
        handle.ephemeral or not response.accepted for handle, response in zip(handles, responses, strict=True)
    )
    return [response.latency for response in responses], refused


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float, tick: float = 0.25) -> bool:
    """Re-check ``condition`` every ``tick`` until it holds (True) or ``within`` seconds pass (False)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(tick)
    return True
