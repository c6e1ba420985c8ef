"""No account can make 720p videos for a while: the other members' 480p videos still go, end to end.

CometAPI's upstream answers every HD submit with code 3 ("无可用的账号实例": HD needs an HD-capable
account and none is free) while 480p submits are accepted. With one slot at the provider, Alice's 720p
job, first in line, is refused again and again: it must let Bob's and Mod's 480p jobs go meanwhile,
then fail once the refusals have lasted past ``JOB_TIMEOUT_MINUTES``, with a message that says what
to do, free of charge and with Retry on its card.
"""

from __future__ import annotations

import asyncio

from bot.models import FailureKind, JobStatus, Quality
from tests.e2e.harness import World, card_parts, make_world

HD = Quality.HD.video_type
BOUND_MINUTES = 0.1  # 6 s of refusals before the job fails


async def started(world: World, user: object, quality: str) -> int:
    """Run /animate as ``user`` with ``quality``; return the stored job's id."""
    handle = await world.animate(user, quality=quality)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.requester_id == user.id)  # type: ignore[attr-defined]
    return job.id


async def refused_once(world: World) -> None:
    """Wait until the provider has answered a 720p submit (with code 3: there is no other answer)."""
    async with asyncio.timeout(10):
        while not any(body.get("videoType") == HD for body in world.comet.submissions):
            await asyncio.sleep(0.02)


async def test_a_720p_job_no_account_can_make_lets_the_others_go_then_fails_free(tmp_path) -> None:
    overrides = {"provider_max_running": 1, "provider_max_retries": 0, "job_timeout_minutes": BOUND_MINUTES}
    async with make_world(tmp_path, **overrides) as world:
        discord = world.discord
        world.comet.no_instance(times=None, video_type=HD)
        hd_id = await started(world, discord.alice, "720p")
        await refused_once(world)
        others = [await started(world, user, "480p") for user in (discord.bob, discord.mod)]

        delivered = [await world.wait_delivered(job_id, timeout=15) for job_id in others]
        failed = await world.wait_job(lambda j: j.id == hd_id and j.status is JobStatus.FAILED, timeout=20)

        assert failed.failure_kind is FailureKind.NO_CAPACITY and failed.provider_task_id is None
        assert failed.finished_at is not None
        assert all(
            job.delivered_at is not None and job.delivered_at < failed.finished_at for job in delivered
        )
        refused_for = failed.finished_at - failed.created_at
        assert refused_for.total_seconds() >= BOUND_MINUTES * 60  # not given up before the bound
        assert {task.body.get("videoType") for task in world.comet.tasks.values()} == {"vid_1.1_i2v_480"}

        card = await world.wait_card(
            lambda m: m.id == failed.card_message_id and "Failed" in card_parts(m).state
        )
        parts = card_parts(card)
        assert "no capacity for 720p videos right now" in parts.state
        assert "Try again later with Retry, or start it again with quality 480p" in parts.state
        assert "did not count against your daily limit" in parts.notes
        assert f"mb:r:{hd_id}" in card.custom_ids
        guild = discord.guild.id
        assert (await world.store.usage_today(guild, discord.alice.id)).user_today == 0
        assert (await world.store.usage_today(guild, discord.bob.id)).user_today == 1
