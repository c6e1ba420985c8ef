"""SIGTERM: stop taking jobs, finish writes, close everything, exit 0 within 10 s; jobs resume later."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.models import FailureKind, Job, JobStatus
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan
from tests.e2e.harness import make_world
from tests.reliability.kill_scenario import (
    clip_job_ids,
    expected_clips,
    kill_world,
    read_jobs,
    wait_for_jobs,
)

SHUTDOWN_BUDGET = 10.0
RESTARTING = "Motionbot is restarting"


def _running_and_delivering(jobs: list[Job]) -> bool:
    running = [job for job in jobs if job.status is JobStatus.RUNNING]
    delivering = [job for job in jobs if job.status is JobStatus.SUCCEEDED]
    return len(running) == 3 and len(delivering) == 1


async def test_sigterm_with_jobs_running_exits_0_within_10_s_and_the_jobs_resume_after_a_restart(
    tmp_path: Path,
) -> None:
    """SIGTERM mid-job: the delivery under way completes, clean exit 0 in 10 s; running jobs resume later."""
    async with kill_world(tmp_path) as world:
        world.comet.default_plan = TaskPlan(duration=600, initial_fraction=0.0)
        async with world.bot_running() as bot:
            for n, member in enumerate(world.members[:4]):
                await world.animate(member, f"clip {n}")
            await wait_for_jobs(world.database, _all_running(4), 10, "four running jobs")
            # One job finishes at the provider; its clips download slowly, so SIGTERM lands mid-delivery.
            world.comet.inject(FaultKind.SLOW, endpoint="clip", times=4, delay=1.0)
            world.comet.finish(next(iter(world.comet.tasks)))
            await wait_for_jobs(world.database, _running_and_delivering, 10, "a job being delivered")
            started = time.monotonic()
            bot.terminate()
            code = await bot.wait_exit(SHUTDOWN_BUDGET + 5)
            elapsed = time.monotonic() - started

        assert code == 0
        assert elapsed < SHUTDOWN_BUDGET
        assert not Path(f"{world.database}-wal").exists()  # the last connection closed and checkpointed
        log = world.log_path.read_text(encoding="utf-8")
        assert "shutting down" in log
        assert "Traceback" not in log and "Unclosed" not in log
        after_stop = await read_jobs(world.database)
        delivered = [job for job in after_stop if job.status is JobStatus.DELIVERED]
        assert len(delivered) == 1  # the delivery under way was finished and recorded before exiting
        assert [job.status for job in after_stop if job not in delivered] == [JobStatus.RUNNING] * 3

        world.let_the_provider_finish()
        async with world.bot_running() as bot:
            jobs = await world.wait_all_delivered(4)
            bot.terminate()
            assert await bot.wait_exit(SHUTDOWN_BUDGET) == 0

    assert {job.id: job.card_message_id for job in jobs} == {
        job.id: job.card_message_id for job in after_stop
    }
    for job in jobs:
        card = world.discord.state.messages[job.card_message_id or 0]
        assert clip_job_ids(card) == {job.id} and len(card.files) == 4
    assert world.clip_uploads() == expected_clips(jobs)


def _all_running(count: int) -> Callable[[list[Job]], bool]:
    def check(jobs: list[Job]) -> bool:
        return len(jobs) == count and all(job.status is JobStatus.RUNNING for job in jobs)

    return check


async def test_requests_during_shutdown_get_the_restarting_answer_and_start_nothing(tmp_path: Path) -> None:
    """Once the tracker stops, /animate and Extend get a private "restarting"; nothing is stored or sent."""
    async with make_world(tmp_path) as world:
        handle = await world.animate()
        card = await world.wait_card(lambda m: len(m.files) == 4)
        await world.wait_delivered(1)
        jobs_before = await world.store.all_jobs()
        submits_before = world.comet.counts["submit"]

        await world.bot.services.tracker.stop()
        late = await world.animate(world.discord.bob)
        extend = await world.discord.click(world.discord.alice, card, "mb:x:1:0:l")

        for answered in (late, extend):
            response = await answered.wait_response()
            assert answered.ephemeral
            assert RESTARTING in response.data["content"]
        assert await world.store.all_jobs() == jobs_before
        assert world.comet.counts["submit"] == submits_before
        assert handle.original_message_id == card.id


async def test_sigterm_while_a_submit_hangs_at_the_provider_still_exits_0_within_10_s(tmp_path: Path) -> None:
    """A submit hanging at the provider: SIGTERM still exits 0 in 10 s; the restart fails it (interrupted)."""
    async with kill_world(tmp_path, provider_timeout_seconds=30, provider_max_retries=4) as world:
        async with world.bot_running() as bot:
            world.comet.inject(FaultKind.SLOW, endpoint="submit", delay=60)
            await world.animate(world.discord.alice, "sent to a provider that hangs")
            await wait_for_jobs(world.database, _one_submitting, 10, "a submit on the wire")
            started = time.monotonic()
            bot.terminate()
            code = await bot.wait_exit(SHUTDOWN_BUDGET + 5)
            elapsed = time.monotonic() - started
        assert code == 0 and elapsed < SHUTDOWN_BUDGET
        assert not Path(f"{world.database}-wal").exists()

        async with world.bot_running() as bot:
            (job,) = await wait_for_jobs(world.database, _one_final, 10, "the job to be final")
            bot.terminate()
            assert await bot.wait_exit(SHUTDOWN_BUDGET) == 0

    assert job.status is JobStatus.FAILED and job.failure_kind is FailureKind.INTERRUPTED


def _one_submitting(jobs: list[Job]) -> bool:
    return len(jobs) == 1 and jobs[0].status is JobStatus.SUBMITTING


def _one_final(jobs: list[Job]) -> bool:
    return len(jobs) == 1 and jobs[0].status.is_final
