"""Restarts: ``kill -9`` with 50 jobs in flight, then a restart on the same database, loses nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.models import FailureKind, Job, JobStatus
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import Message
from tests.e2e.harness import card_text
from tests.reliability.kill_scenario import (
    GROUPS,
    KillWorld,
    clip_job_ids,
    expected_clips,
    group_of,
    kill_world,
    stored_usage,
    wait_for_jobs,
)
from tests.reliability.lock_holder import write_lock_held

SIGKILL_EXIT = -9
BIG_CLIP = 8 * 1024 * 1024  # four of these exceed one request's 25 MiB: the card plus a reply


async def test_kill_with_50_jobs_in_flight_then_restart_delivers_every_job_exactly_once(
    tmp_path: Path,
) -> None:
    """SIGKILL with jobs queued/submitted/generating/finished; the restart delivers each once, in place."""
    async with kill_world(tmp_path) as world:
        async with world.bot_running():
            first = await world.deliver_one_before_the_kill()
            world.steer_provider()
            await world.send_all_groups()
            await world.finish_the_finished_group()
            await world.wait_kill_state()
            assert await world.kill() == SIGKILL_EXIT

        in_flight = world.in_flight_at_kill()
        assert in_flight == {
            JobStatus.QUEUED: GROUPS["queued"],
            JobStatus.SUBMITTED: GROUPS["submitted"],
            JobStatus.RUNNING: GROUPS["generating"],
            JobStatus.SUCCEEDED: GROUPS["finished"],
        }
        cards_at_kill = {job.id: job.card_message_id for job in world.at_kill}
        assert world.clip_uploads() == expected_clips([first])  # nothing else reached Discord yet

        world.let_the_provider_finish()
        async with world.bot_running() as bot:
            jobs = await world.wait_all_delivered(1 + sum(GROUPS.values()))
            handle = await world.extend_after_restart(first)
            response = await handle.wait_response()
            assert response.type == 4 and not handle.ephemeral
            jobs = await world.wait_all_delivered(2 + sum(GROUPS.values()))
            bot.terminate()
            assert await bot.wait_exit(10) == 0

    assert_cards_continued(world, jobs, cards_at_kill)
    assert_delivered_exactly_once(world, jobs)
    assert_provider_ran_each_job_once(world, jobs)
    assert_extends(world, jobs, first)
    await assert_charged_once_per_job(world, jobs)


def assert_cards_continued(world: KillWorld, jobs: list[Job], cards_at_kill: dict[int, int | None]) -> None:
    """Each job's card is still the message /animate answered with, edited into the delivered card."""
    assert {job.id: job.card_message_id for job in jobs if job.id in cards_at_kill} == cards_at_kill
    for handle in world.handles.values():
        assert handle.original_message_id in cards_at_kill.values()


def assert_delivered_exactly_once(world: KillWorld, jobs: list[Job]) -> None:
    """Each clip file was uploaded once, on its own job's card, and nothing else is visible."""
    assert world.clip_uploads() == expected_clips(jobs)
    cards = {job.card_message_id: job.id for job in jobs}
    public = world.public_bot_messages()
    assert len(public) == len(jobs)
    for message in public:
        assert clip_job_ids(message) == {cards[message.id]} and len(message.files) == 4


def assert_provider_ran_each_job_once(world: KillWorld, jobs: list[Job]) -> None:
    """One provider task per job; the queued ones were refused before the kill and sent again after."""
    tasks = world.provider_tasks_per_job()
    assert all(tasks[job.state_tag] == 1 for job in jobs)
    assert all(world.submits_of(job) >= 2 for job in jobs if group_of(job) == "queued")


def assert_extends(world: KillWorld, jobs: list[Job], parent: Job) -> None:
    """The Extend pressed after the restart extended clip 1 of the card made before the kill."""
    child = next(job for job in jobs if job.parent_job_id == parent.id)
    assert child.clip_index == 0 and child.status is JobStatus.DELIVERED
    body = next(b for b in world.comet.submissions if b.get("state") == child.state_tag)
    assert body["action"] == "extend" and body["taskId"] == parent.provider_task_id


async def assert_charged_once_per_job(world: KillWorld, jobs: list[Job]) -> None:
    """Each member's usage today counts each of their delivered jobs once, however often the bot died."""
    per_member = Counter(job.requester_id for job in jobs)
    for job in {job.requester_id: job for job in jobs}.values():
        assert (await stored_usage(world.database, job)).user_today == per_member[job.requester_id]


async def test_a_kill_after_the_provider_accepted_but_before_the_task_id_was_stored_fails_the_job_uncharged(
    tmp_path: Path,
) -> None:
    """Killed with a submit on the wire: on restart the job is FAILED (interrupted), uncharged, said so."""
    async with kill_world(tmp_path) as world:
        async with world.bot_running():
            # The provider creates the task at once but answers only after a minute.
            world.comet.inject(FaultKind.SLOW, endpoint="submit", delay=60)
            await world.animate(world.discord.alice, "sent just before the kill")
            await wait_for_jobs(
                world.database, _submit_on_the_wire(world), 10, "the submit to be on the wire"
            )
            await world.kill()
        (job,) = world.at_kill
        assert job.status is JobStatus.SUBMITTING and job.provider_task_id is None
        assert world.provider_tasks_per_job()[job.state_tag] == 1  # the provider did accept it

        world.let_the_provider_finish()
        async with world.bot_running() as bot:
            (failed,) = await wait_for_jobs(world.database, _all_final, 10, "the interrupted job to be final")
            card = await world.discord.wait_for_message(
                lambda m: m.id == job.card_message_id and "restarted while sending" in _embed_text(m)
            )
            bot.terminate()
            assert await bot.wait_exit(10) == 0

    assert failed.status is JobStatus.FAILED and failed.failure_kind is FailureKind.INTERRUPTED
    assert "did not count against your daily limit" in _embed_text(card)
    # Only Retry (and 🗑 Delete): nothing to extend.
    assert not card.files and card.custom_ids == [f"mb:r:{failed.id}", f"mb:d:{failed.id}"]
    assert (await stored_usage(world.database, failed)).user_today == 0
    assert world.submits_of(failed) == 1  # not sent a second time: its outcome is unknowable


def _submit_on_the_wire(world: KillWorld) -> Callable[[list[Job]], bool]:
    def check(jobs: list[Job]) -> bool:
        return len(jobs) == 1 and jobs[0].status is JobStatus.SUBMITTING and world.submits_of(jobs[0]) == 1

    return check


def _all_final(jobs: list[Job]) -> bool:
    return bool(jobs) and all(job.status.is_final for job in jobs)


def _embed_text(message: Message) -> str:
    return card_text(message)


async def test_a_kill_after_the_clips_reached_discord_but_before_the_delivery_was_stored_posts_nothing_twice(
    tmp_path: Path,
) -> None:
    """Killed after the clips (card + reply) were posted, before "delivered" was stored: none sent twice."""
    async with kill_world(tmp_path) as world:
        world.comet.default_plan = TaskPlan(duration=600, initial_fraction=0.0, clip_min_bytes=BIG_CLIP)
        async with world.bot_running():
            await world.animate(world.discord.alice, "four big clips")
            await wait_for_jobs(world.database, _one_with(JobStatus.RUNNING), 10, "a running job")
            # The clips download slowly, so the lock below is in place before the bot posts them.
            world.comet.inject(FaultKind.SLOW, endpoint="clip", times=4, delay=2.0)
            world.comet.finish(next(iter(world.comet.tasks)))
            await wait_for_jobs(world.database, _one_with(JobStatus.SUCCEEDED), 10, "a succeeded job")
            async with write_lock_held(world.database) as holder:
                # "delivered" cannot be stored while another process holds the lock: kill once all is posted.
                await world.discord.wait_for_message(_more_clips_reply, timeout=10)
                await world.kill()
                await holder.release()
        (job,) = world.at_kill
        assert job.status is JobStatus.SUCCEEDED
        assert world.clip_uploads() == expected_clips([job])  # all four on Discord: card and a reply

        world.let_the_provider_finish()
        async with world.bot_running() as bot:
            (delivered,) = await world.wait_all_delivered(1)
            bot.terminate()
            assert await bot.wait_exit(10) == 0

    assert world.clip_uploads() == expected_clips([delivered])
    card, reply = world.public_bot_messages()  # nothing else is visible
    assert card.id == delivered.card_message_id and reply.reference is not None
    assert clip_job_ids(card) == clip_job_ids(reply) == {delivered.id}


def _one_with(status: JobStatus) -> Callable[[list[Job]], bool]:
    def check(jobs: list[Job]) -> bool:
        return len(jobs) == 1 and jobs[0].status is status

    return check


def _more_clips_reply(message: Message) -> bool:
    return message.reference is not None and bool(clip_job_ids(message))
