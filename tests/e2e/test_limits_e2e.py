"""Per-member and per-server limits end to end: refusals name the limit, and only delivered jobs count."""

import datetime as dt

from bot.models import JobStatus
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, final_answer, make_world


def midnights() -> set[int]:
    """The next UTC midnight, and the one after (should a test straddle midnight)."""
    today = dt.datetime.now(dt.UTC).date()
    return {
        int(dt.datetime.combine(today + dt.timedelta(days=d), dt.time(), tzinfo=dt.UTC).timestamp())
        for d in (1, 2)
    }


async def finished(world: World, handle) -> object:
    """Wait for the job behind an /animate handle to reach a final state."""
    await handle.wait_response()
    return await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status.is_final
    )


async def refused(handle) -> str:
    """Return the private refusal the bot answered with."""
    response = await handle.wait_response()
    assert response.latency < 3.0 and handle.ephemeral
    return response.data["content"]


async def test_third_job_while_two_run_waits_instead_of_being_refused(world):
    """Default limit 2: a third /animate while two are generating gets its card and waits in line."""
    world.comet.default_plan = TaskPlan(duration=60)
    for prompt in ("one", "two"):
        handle = await world.animate(prompt=prompt)
        await handle.wait_response()
        await world.wait_job(lambda j, h=handle: j.card_message_id == h.original_message_id)

    third = await world.animate(prompt="three")
    await third.wait_response()

    assert not third.ephemeral
    waiting = await world.wait_job(lambda j: j.card_message_id == third.original_message_id)
    assert waiting.status is JobStatus.QUEUED
    assert len(await world.store.all_jobs()) == 3
    assert world.comet.counts["submit"] == 2


async def test_member_daily_limit_refuses_the_next_job_with_its_reset_time(tmp_path):
    """MAX_DAILY_JOBS_PER_USER=1: after one delivered job the next is refused until midnight UTC."""
    async with make_world(tmp_path, max_daily_jobs_per_user=1) as world:
        job = await finished(world, await world.animate())
        assert job.status is JobStatus.DELIVERED

        content = await refused(await world.animate())

        assert "your daily limit of 1 video" in content
        assert any(f"It resets <t:{midnight}:R>." in content for midnight in midnights())
        assert len(await world.store.all_jobs()) == 1
        other = await world.animate(world.discord.bob)
        await other.wait_response()
        assert not other.ephemeral  # the limit is per member: Bob gets his card


async def test_server_daily_limit_set_by_an_admin_refuses_every_member(world):
    """With the server's daily limit at 1 (a server setting), Bob is refused after Alice's video."""
    discord = world.discord
    setting = await discord.slash(
        discord.admin, "motionbot settings set", {"setting": "max_daily_per_guild", "value": "1"}
    )
    assert await final_answer(setting) == "Videos per server per day is now: 1"
    job = await finished(world, await world.animate())
    assert job.status is JobStatus.DELIVERED

    content = await refused(await world.animate(discord.bob))

    assert "This server has reached its daily limit of 1 video" in content
    assert any(f"It resets <t:{midnight}:R>." in content for midnight in midnights())
    assert len(await world.store.all_jobs()) == 1


async def test_refused_and_provider_failed_jobs_are_free_and_a_timed_out_one_counts(tmp_path):
    """With a daily limit of 2, a refused job and one the video service refused leave room for two
    videos; a job the bot timed out after sending it counts (the video service bills it, issue 21)."""
    async with make_world(tmp_path, max_daily_jobs_per_user=2, job_timeout_minutes=0.005) as world:
        world.comet.default_plan = TaskPlan(duration=0)
        await refused(await world.animate(image=png_bytes(width=16, height=16)))
        world.comet.moderate_submits("nude", prompt="nude")
        failed = await finished(world, await world.animate(prompt="nude"))
        world.comet.plan_tasks(TaskPlan(duration=60), prompt="slow")
        timed_out = await finished(world, await world.animate(prompt="slow"))
        assert (failed.status, timed_out.status) == (JobStatus.FAILED, JobStatus.TIMED_OUT)

        delivered = await finished(world, await world.animate(prompt="a cat"))
        assert delivered.status is JobStatus.DELIVERED
        usage = await world.store.usage_today(delivered.guild_id, delivered.requester_id)
        assert usage.user_today == 2

        content = await refused(await world.animate(prompt="one more"))
        assert "your daily limit of 2 videos" in content
