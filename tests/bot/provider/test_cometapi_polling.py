"""CometAPIClient polling through the CometAPI double: fetch one task and list-by-condition."""

from __future__ import annotations

import pytest

from bot.models import Motion, Quality
from bot.provider.cometapi_types import (
    ProviderUnavailableError,
    RequestRefusedError,
    TaskNotFoundError,
    TaskState,
    VideoRequest,
)
from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session
cometapi_client = fixtures_cometapi.cometapi_client
make_cometapi_client = fixtures_cometapi.make_cometapi_client

REQUEST = VideoRequest("https://example.com/cat.png", Motion.LOW, "waves", Quality.SD, "motionbot:3")


async def test_a_task_goes_from_pending_to_success(cometapi_client, cometapi_double):
    """Polling sees "" → SUBMITTED → IN_PROGRESS with rising progress → SUCCESS with four clips."""
    cometapi_double.plan_tasks(TaskPlan(duration=100))
    task_id = (await cometapi_client.submit_video(REQUEST)).task_id
    seen = []
    for step in (0, 15, 20, 30, 40):
        cometapi_double.advance(step)
        seen.append(await cometapi_client.fetch_task(task_id))
    assert [snapshot.raw_status for snapshot in seen] == [
        "",
        "SUBMITTED",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "SUCCESS",
    ]
    assert [snapshot.state for snapshot in seen] == [TaskState.PENDING] * 2 + [TaskState.RUNNING] * 2 + [
        TaskState.SUCCEEDED
    ]
    assert 0 < seen[2].progress < seen[3].progress < 100
    assert seen[0].provider_state == ""  # the gateway has not synced yet
    assert seen[-1].provider_state == "motionbot:3"
    assert seen[-1].progress == 100
    assert [url.rsplit("/", 1)[1] for url in seen[-1].clip_urls] == ["0.mp4", "1.mp4", "2.mp4", "3.mp4"]
    assert all(url.startswith(cometapi_double.base_url) for url in seen[-1].clip_urls)


async def test_forced_failure_is_reported(cometapi_client, cometapi_double):
    """A task failed by the double is FAILED with the provider's reason."""
    cometapi_double.plan_tasks(TaskPlan(duration=600))
    task_id = (await cometapi_client.submit_video(REQUEST)).task_id
    cometapi_double.fail(task_id, "Banned prompt detected")
    snapshot = await cometapi_client.fetch_task(task_id)
    assert (snapshot.state, snapshot.fail_reason, snapshot.raw_status) == (
        TaskState.FAILED,
        "Banned prompt detected",
        "FAILURE",
    )
    assert snapshot.progress == 100


async def test_forced_finish_is_reported(cometapi_client, cometapi_double):
    """A task finished by the double is SUCCEEDED at once."""
    task_id = cometapi_double.add_task(plan=TaskPlan(duration=600))
    cometapi_double.finish(task_id)
    snapshot = await cometapi_client.fetch_task(task_id)
    assert snapshot.state is TaskState.SUCCEEDED
    assert len(snapshot.clip_urls) == 4


@pytest.mark.parametrize(
    ("plan", "raw_status", "progress"),
    [
        (TaskPlan(fail_reason="上游任务超时（超过1小时）"), "FAILURE", 100),
        (TaskPlan(fail_reason="Image denied", failure_progress=""), "FAILURE", 0),
        (TaskPlan(cancel=True), "CANCEL", 100),
    ],
)
async def test_planned_failures(cometapi_client, cometapi_double, plan, raw_status, progress):
    """FAILURE with "100%" or "" progress, and CANCEL, are FAILED."""
    task_id = cometapi_double.add_task(plan=plan)
    snapshot = await cometapi_client.fetch_task(task_id)
    assert (snapshot.state, snapshot.raw_status, snapshot.progress) == (
        TaskState.FAILED,
        raw_status,
        progress,
    )
    assert snapshot.fail_reason
    assert not snapshot.needs_input


@pytest.mark.parametrize("shape", ["video_urls_bare", "video_url"])
async def test_single_url_shapes(cometapi_client, cometapi_double, shape):
    """A bare-string video_urls and a snake-case video_url each give the one clip they name."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape=shape))
    snapshot = await cometapi_client.fetch_task(task_id)
    assert snapshot.clip_urls == (f"{cometapi_double.base_url}/cdn/video/{task_id}/0.mp4",)


async def test_a_task_without_video_fields_offers_its_image_url(cometapi_client, cometapi_double):
    """No video field (EnableFillOfficialCdn off): the relayed imageUrl is the clip candidate."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape="imageUrl"))
    (snapshot,) = (await cometapi_client.fetch_tasks([task_id])).values()
    assert snapshot.clip_urls == (f"{cometapi_double.base_url}/mj/image/{task_id}",)


async def test_modal_needs_input(cometapi_client, cometapi_double):
    """A MODAL task is FAILED with needs_input and a clear reason."""
    task_id = cometapi_double.add_task(plan=TaskPlan(modal=True))
    snapshot = await cometapi_client.fetch_task(task_id)
    assert snapshot.state is TaskState.FAILED
    assert snapshot.needs_input
    assert "input" in snapshot.fail_reason


@pytest.mark.parametrize(("shape", "count"), [("video_urls", 4), ("videoUrl", 1)])
async def test_older_clip_shapes(cometapi_client, cometapi_double, shape, count):
    """Clips are found in the video_urls JSON string or the lone videoUrl too."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape=shape))
    snapshot = await cometapi_client.fetch_task(task_id)
    wire = cometapi_double.task_json(task_id)
    assert "videoUrls" not in wire
    assert isinstance(wire.get("video_urls", ""), str)
    assert len(snapshot.clip_urls) == count
    assert snapshot.clip_urls[0].endswith("/0.mp4")


async def test_unknown_task_is_not_found_without_retry(cometapi_client, cometapi_double):
    """Fetching an unknown id raises TaskNotFoundError after one request."""
    with pytest.raises(TaskNotFoundError) as caught:
        await cometapi_client.fetch_task("1700000000000123")
    assert caught.value.task_id == "1700000000000123"
    assert cometapi_double.counts["fetch"] == 1


async def test_fetch_error_body_with_http_200_is_refused(cometapi_client, cometapi_double):
    """A code body instead of a task object is a refusal, not a task."""
    cometapi_double.reply(200, {"code": 4, "description": "无权限"}, endpoint="fetch")
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.fetch_task("1700000000000123")
    assert caught.value.description == "无权限"


async def test_fetch_null_is_not_found(cometapi_client, cometapi_double):
    """A null task body means the task is not there."""
    cometapi_double.reply(200, None, endpoint="fetch")
    with pytest.raises(TaskNotFoundError):
        await cometapi_client.fetch_task("1700000000000123")


async def test_list_chunks_and_merges(cometapi_double, cometapi_session):
    """120 ids with chunk size 50 take 3 list requests of 50, 50 and 20 ids, merged by id."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, list_chunk_size=50)
    task_ids = [cometapi_double.add_task() for _ in range(120)]
    snapshots = await client.fetch_tasks(task_ids)
    assert set(snapshots) == set(task_ids)
    assert all(snapshots[task_id].task_id == task_id for task_id in task_ids)
    assert client.request_counts["list"] == 3
    assert [len(query) for query in cometapi_double.list_queries] == [50, 50, 20]


async def test_default_chunk_size_is_fifty(cometapi_client, cometapi_double):
    """Without a chunk size, 51 ids take two requests."""
    await cometapi_client.fetch_tasks([str(1700000000000000 + n) for n in range(51)])
    assert [len(query) for query in cometapi_double.list_queries] == [50, 1]


async def test_list_omits_unknown_and_hidden_tasks(cometapi_client, cometapi_double):
    """Ids the provider leaves out are simply absent from the result."""
    shown = cometapi_double.add_task(plan=TaskPlan(duration=60))
    hidden = cometapi_double.add_task(plan=TaskPlan(omit_from_list=True))
    snapshots = await cometapi_client.fetch_tasks([shown, hidden, "1700000000000123"])
    assert list(snapshots) == [shown]
    assert snapshots[shown].state is TaskState.PENDING


async def test_list_deduplicates_ids_and_skips_empty_input(cometapi_client, cometapi_double):
    """Duplicate ids are asked for once; no ids means no request."""
    task_id = cometapi_double.add_task()
    assert await cometapi_client.fetch_tasks([]) == {}
    assert cometapi_client.request_counts["list"] == 0
    snapshots = await cometapi_client.fetch_tasks([task_id, task_id])
    assert list(snapshots) == [task_id]
    assert cometapi_double.list_queries == [[task_id]]


async def test_list_ignores_tasks_it_did_not_ask_for(cometapi_client, cometapi_double):
    """A provider answer with extra tasks does not leak them into the result."""
    wanted, other = cometapi_double.add_task(), cometapi_double.add_task()
    cometapi_double.reply(
        200, [cometapi_double.task_json(other), cometapi_double.task_json(wanted)], endpoint="list"
    )
    assert list(await cometapi_client.fetch_tasks([wanted])) == [wanted]


async def test_list_null_is_empty(cometapi_client, cometapi_double):
    """A Go gateway's null list means no tasks."""
    cometapi_double.reply(200, None, endpoint="list")
    assert await cometapi_client.fetch_tasks(["1700000000000123"]) == {}


async def test_list_failure_in_a_later_chunk_is_retried(cometapi_double, cometapi_session):
    """A transient failure on the second chunk is retried without losing the first chunk."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, list_chunk_size=2)
    task_ids = [cometapi_double.add_task() for _ in range(4)]
    first_chunk = [cometapi_double.task_json(task_id) for task_id in task_ids[:2]]
    cometapi_double.reply(200, first_chunk, endpoint="list")
    cometapi_double.inject(FaultKind.SERVER_ERROR, endpoint="list")
    snapshots = await client.fetch_tasks(task_ids)
    assert list(snapshots) == task_ids
    assert client.request_counts["list"] == 3
    assert [len(query) for query in cometapi_double.list_queries] == [
        2
    ]  # the canned and failed ones never reached it


async def test_list_unavailable_after_retries(cometapi_client, cometapi_double):
    """A list that keeps failing raises ProviderUnavailableError."""
    cometapi_double.inject(FaultKind.SERVER_ERROR, endpoint="list", times=10)
    with pytest.raises(ProviderUnavailableError):
        await cometapi_client.fetch_tasks(["1700000000000123"])
