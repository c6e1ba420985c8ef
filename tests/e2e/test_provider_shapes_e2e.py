"""Every answer shape of the real services, end to end: the real bot against the CometAPI double.

A finished task may list its clips in any of the fields real gateways use, or in none: then its
``imageUrl`` (the new-api ``/mj/image/{id}`` relay) is the clip when it serves a video, and the job
fails, uncharged and without posting it, when it serves an image. A failure may carry ``fail_reason``;
a submit may meet code 3 (no account instance free), which is waited out like a full queue.
"""

from __future__ import annotations

import pytest

from bot.media.delivery import NO_VIDEO_REASON
from bot.models import FailureKind, Job, JobStatus
from tests.doubles.cometapi_jobs import ClipShape, TaskPlan, clip_bytes
from tests.doubles.discord import Message
from tests.e2e.harness import World, card_parts, card_text

# The clips each shape lists for a task of the default batch of four.
SHAPES: list[tuple[ClipShape, int]] = [
    ("videoUrls", 4),
    ("video_urls", 4),
    ("video_urls_bare", 1),
    ("videoUrl", 1),
    ("video_url", 1),
    ("imageUrl", 1),
]


async def started(world: World, plan: TaskPlan) -> Job:
    """Run /animate as Alice with the provider answering per ``plan``; return the job once sent."""
    world.comet.default_plan = plan
    handle = await world.animate()
    await handle.wait_response()
    return await world.wait_job(lambda j: j.provider_task_id is not None and j.card_message_id is not None)


async def final_card(world: World, job: Job, state: str) -> Message:
    """Wait for the job's card to show ``state`` in its state line."""
    return await world.wait_card(lambda m: m.id == job.card_message_id and state in card_parts(m).state)


def task_of(world: World, job: Job) -> str:
    assert job.provider_task_id is not None
    return job.provider_task_id


@pytest.mark.parametrize(("shape", "count"), SHAPES)
async def test_each_clip_shape_is_delivered(world: World, shape: ClipShape, count: int) -> None:
    job = await started(world, TaskPlan(duration=0.3, clip_shape=shape))
    delivered = await world.wait_delivered(job.id)
    assert len(delivered.clip_urls) == count
    card = await final_card(world, job, "Done")
    assert len(card.files) == count
    first = clip_bytes(task_of(world, job), 0, 0)
    assert card.files[0].data == first  # the provider's own bytes
    usage = await world.store.usage_today(job.guild_id, job.requester_id)
    assert usage.user_today == 1


async def test_an_image_url_that_serves_a_video_is_the_clip(world: World) -> None:
    """No video field at all (trueai with EnableFillOfficialCdn off): the relay's MP4 is delivered."""
    job = await started(world, TaskPlan(duration=0.3, clip_shape="imageUrl"))
    delivered = await world.wait_delivered(job.id)
    relay = f"{world.comet.base_url}/mj/image/{task_of(world, job)}"
    assert delivered.clip_urls == (relay,)
    card = await final_card(world, job, "Done")
    assert [file.data for file in card.files] == [clip_bytes(task_of(world, job), 0, 0)]
    assert world.comet.counts["clip"] == 0
    # One GET of the relay and nothing more: the download itself is the content-type check (no HEAD,
    # which the relay does not answer; no probe before it), so the fallback costs no extra request.
    assert [(r.method, r.path) for r in world.comet.request_log if r.endpoint.startswith("image")] == [
        ("GET", f"/mj/image/{task_of(world, job)}")
    ]


@pytest.mark.parametrize("image_type", ["image/png", "image/webp"])
async def test_an_image_url_that_serves_an_image_fails_without_posting_it(
    world: World, image_type: str
) -> None:
    job = await started(world, TaskPlan(duration=0.3, clip_shape="imageUrl", image_type=image_type))
    failed = await world.wait_job(lambda j: j.id == job.id and j.status is JobStatus.FAILED)
    assert (failed.failure_kind, failed.error) == (FailureKind.PROVIDER_FAILED, NO_VIDEO_REASON)
    card = await final_card(world, job, "Failed")
    assert "what it sent is not a video" in card_parts(card).state
    relay = f"{world.comet.base_url}/mj/image/{task_of(world, job)}"
    assert relay not in card_text(card) and relay not in str(card.components)  # no link to it either
    assert card.files == []
    bot_id = world.discord.bot_user.id
    assert not [m for m in world.discord.state.messages.values() if m.author.id == bot_id and m.files]
    usage = await world.store.usage_today(job.guild_id, job.requester_id)
    assert usage.user_today == 0  # not charged


async def test_a_failure_reason_in_fail_reason_is_shown(world: World) -> None:
    plan = TaskPlan(duration=0.3, fail_reason="上游任务超时（超过1小时）", fail_field="fail_reason")
    job = await started(world, plan)
    failed = await world.wait_job(lambda j: j.id == job.id and j.status is JobStatus.FAILED)
    assert (failed.failure_kind, failed.error) == (FailureKind.PROVIDER_FAILED, "上游任务超时（超过1小时）")
    card = await final_card(world, job, "Failed")
    assert "上游任务超时（超过1小时）" in card_parts(card).state


async def test_no_account_instance_on_submit_is_waited_out_then_the_job_succeeds(world: World) -> None:
    """Code 3 "无可用的账号实例" outlasts the client's own retries once; the job waits, then goes."""
    attempts = world.settings.provider_max_retries + 1
    world.comet.no_instance(times=attempts + 2)
    job = await started(world, TaskPlan(duration=0.3))
    delivered = await world.wait_delivered(job.id)
    assert delivered.failure_kind is None and delivered.error is None
    assert world.comet.counts["submit"] == attempts + 3  # two rounds of code 3, then the accepted one
    assert len(world.comet.tasks) == 1
