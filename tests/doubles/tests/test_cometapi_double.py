"""The CometAPI double itself, spoken to with plain aiohttp: validation, tasks, clips, knobs."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_faults import Chaos, FaultKind
from tests.doubles.cometapi_jobs import LARGE_CLIP_BYTES, TaskPlan
from tests.doubles.media import jpeg_bytes, mp4_bytes, png_bytes, top_level_boxes, webp_bytes

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session
AUTH = {"Authorization": f"Bearer {fixtures_cometapi.TEST_API_KEY}"}
GOOD = {"image": "https://example.com/cat.png", "motion": "low", "prompt": "waves", "state": "motionbot:1"}


async def call(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any, Any]:
    headers = kwargs.pop("headers", AUTH)
    async with session.request(method, url, headers=headers, **kwargs) as response:
        text = await response.text()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return response.status, body, response.headers


async def submit(session, double, body):
    return await call(session, "POST", f"{double.base_url}/mj/submit/video", json=body)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "nope"}])
async def test_bad_key_gets_401_envelope(cometapi_double, cometapi_session, headers):
    """A missing or wrong key gets HTTP 401 with CometAPI's error envelope."""
    status, body, _ = await call(
        cometapi_session, "POST", f"{cometapi_double.base_url}/mj/submit/video", json=GOOD, headers=headers
    )
    assert status == 401
    assert body["error"]["type"] == "comet_api_error"
    assert cometapi_double.tasks == {}


async def test_raw_key_without_bearer_is_accepted(cometapi_double, cometapi_session):
    """Like the gateway, the double also accepts the key without "Bearer "."""
    headers = {"Authorization": fixtures_cometapi.TEST_API_KEY}
    status, body, _ = await call(
        cometapi_session, "POST", f"{cometapi_double.base_url}/mj/submit/video", json=GOOD, headers=headers
    )
    assert (status, body["code"]) == (200, 1)


async def test_accepted_submit_shape(cometapi_double, cometapi_session):
    """A valid submit gets code 1, 提交成功 and a 16-digit id made of unix ms + 3 digits."""
    status, body, _ = await submit(cometapi_session, cometapi_double, GOOD)
    assert (status, body["code"], body["description"]) == (200, 1, "提交成功")
    assert re.fullmatch(r"\d{16}", body["result"])
    assert set(body["properties"]) == {"discordChannelId", "discordInstanceId"}
    assert cometapi_double.submissions == [GOOD]
    assert cometapi_double.tasks[body["result"]].state == "motionbot:1"


async def test_ids_are_unique_and_increasing(cometapi_double, cometapi_session):
    """Many submits in the same millisecond still get distinct, rising ids."""
    ids = [(await submit(cometapi_session, cometapi_double, GOOD))[1]["result"] for _ in range(20)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 20


@pytest.mark.parametrize(
    ("change", "code", "description"),
    [
        ({"motion": None}, 4, "motion 参数错误"),
        ({"motion": "medium"}, 4, "motion 参数错误"),
        ({"prompt": ""}, 4, "Prompt 不能为空"),
        ({"prompt": None}, 4, "Prompt 不能为空"),
        ({"image": ""}, 4, "image 不能为空"),
        ({"image": "cat.png"}, 4, "base64格式错误"),  # neither a link nor base64 (DataUrl.Parse)
        ({"state": "s" * 256}, 4, "state 长度不能超过255"),
        ({"videoType": "vid_9"}, 4, "videoType 参数错误"),
        ({"action": "upscale", "taskId": "1"}, 4, "任务类型错误"),
        ({"action": "extend"}, 4, "index 和 taskId 不能为空"),
        ({"action": "extend", "taskId": "1700000000000123"}, 4, "index 和 taskId 不能为空"),
        ({"action": "extend", "taskId": "1700000000000123", "index": 0}, 3, "关联任务不存在或已失效"),
    ],
)
async def test_upstream_validation(cometapi_double, cometapi_session, change, code, description):
    """Invalid submits get the upstream's code and description with HTTP 200, and no task."""
    body = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    status, answer, _ = await submit(cometapi_session, cometapi_double, body)
    assert (status, answer["code"], answer["description"], answer["result"]) == (200, code, description, None)
    assert cometapi_double.tasks == {}


@pytest.mark.parametrize("index", [-1, 4, 7, "1", True])
async def test_extend_index_outside_range_is_refused(cometapi_double, cometapi_session, index):
    """The double refuses an extend index outside 0..3 with code 4."""
    parent = cometapi_double.add_task()
    body = {"action": "extend", "taskId": parent, "index": index, "motion": "low", "prompt": "more"}
    _, answer, _ = await submit(cometapi_session, cometapi_double, body)
    assert (answer["code"], answer["description"]) == (4, "index 参数错误")


async def test_extend_needs_a_successful_parent(cometapi_double, cometapi_session):
    """Extending a running parent is refused; once it succeeds, the extend is accepted."""
    parent = cometapi_double.add_task(plan=TaskPlan(duration=60))
    body = {"action": "extend", "taskId": parent, "index": 3, "motion": "high", "prompt": "more"}
    _, refused, _ = await submit(cometapi_session, cometapi_double, body)
    cometapi_double.advance(61)
    _, accepted, _ = await submit(cometapi_session, cometapi_double, body)
    assert (refused["code"], refused["description"]) == (4, "关联任务状态错误")
    assert accepted["code"] == 1
    assert cometapi_double.tasks[accepted["result"]].parent_task_id == parent


async def test_task_json_has_the_gateway_fields(cometapi_double, cometapi_session):
    """A fetched task carries the gateway DTO field set, plus videoUrls."""
    task_id = cometapi_double.add_task({**GOOD, "state": "motionbot:8"})
    status, task, _ = await call(
        cometapi_session, "GET", f"{cometapi_double.base_url}/mj/task/{task_id}/fetch"
    )
    expected = {"id", "action", "customId", "botType", "prompt", "promptEn", "description", "state"}
    expected |= {"submitTime", "startTime", "finishTime", "imageUrl", "videoUrl", "status", "progress"}
    expected |= {"failReason", "buttons", "maskBase64", "properties", "videoUrls"}
    assert status == 200
    assert set(task) == expected
    assert (task["action"], task["status"], task["progress"], task["state"]) == (
        "VIDEO",
        "SUCCESS",
        "100%",
        "motionbot:8",
    )
    assert task["submitTime"] <= task["startTime"] <= task["finishTime"]
    assert [button["label"] for button in task["buttons"]] == ["U1", "U2", "U3", "U4", ""]


async def test_progress_rises_on_the_virtual_clock(cometapi_double):
    """Progress climbs with advance() and the initial status is the gateway's ""."""
    task_id = cometapi_double.add_task(plan=TaskPlan(duration=50, initial_fraction=0.2))
    seen = []
    for step in (0, 12, 10, 10, 10, 10):
        cometapi_double.advance(step)
        task = cometapi_double.task_json(task_id)
        seen.append((task["status"], task["progress"]))
    assert seen[:2] == [("", "0%"), ("SUBMITTED", "0%")]
    assert [status for status, _ in seen[2:5]] == ["IN_PROGRESS"] * 3
    percents = [int(progress.rstrip("%")) for _, progress in seen[2:5]]
    assert percents == sorted(percents)
    assert 0 < percents[0] < percents[-1] < 100
    assert seen[-1] == ("SUCCESS", "100%")


async def test_fetch_unknown_task(cometapi_double, cometapi_session):
    """An unknown id gets HTTP 400 task_no_found."""
    status, body, _ = await call(cometapi_session, "GET", f"{cometapi_double.base_url}/mj/task/42/fetch")
    assert (status, body) == (400, {"description": "task_no_found ", "type": "upstream_error", "code": 4})


@pytest.mark.parametrize("payload", [{"ids": []}, {}, {"ids": "nope"}, None])
async def test_list_without_ids_is_empty(cometapi_double, cometapi_session, payload):
    """An empty or absent id list gets []."""
    cometapi_double.add_task()
    status, body, _ = await call(
        cometapi_session, "POST", f"{cometapi_double.base_url}/mj/task/list-by-condition", json=payload
    )
    assert (status, body) == (200, [])


async def test_clips_are_real_distinct_deterministic_mp4s(cometapi_double, cometapi_session):
    """Each of the four clips is an MP4 (ftyp isom, moov, mdat), stable per clip, different between clips."""
    task_id = cometapi_double.add_task()
    urls = [item["url"] for item in cometapi_double.task_json(task_id)["videoUrls"]]
    clips = []
    for url in urls:
        async with cometapi_session.get(url) as response:
            assert response.headers["Content-Type"] == "video/mp4"
            clips.append(await response.read())
    async with cometapi_session.get(urls[0]) as response:
        again = await response.read()
    assert again == clips[0]
    assert len(set(clips)) == 4
    for clip in clips:
        assert [kind for kind, _ in top_level_boxes(clip)] == ["ftyp", "moov", "mdat"]
        assert clip[8:12] == b"isom"
    assert cometapi_double.counts["clip"] == 5


async def test_large_clips_exceed_ten_mib(cometapi_double, cometapi_session):
    """clip_min_bytes=LARGE_CLIP_BYTES pads clips past 10 MiB with a free box."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_min_bytes=LARGE_CLIP_BYTES))
    async with cometapi_session.get(cometapi_double.task_json(task_id)["videoUrl"]) as response:
        clip = await response.read()
    assert len(clip) >= LARGE_CLIP_BYTES > 10 * 1024 * 1024
    assert [kind for kind, _ in top_level_boxes(clip)] == ["ftyp", "moov", "free", "mdat"]


async def test_clips_of_unfinished_or_unknown_tasks_are_404(cometapi_double, cometapi_session):
    """Clips exist only once the task succeeded, and only indexes 0..3."""
    running = cometapi_double.add_task(plan=TaskPlan(duration=60))
    done = cometapi_double.add_task()
    for path in (f"{running}/0", f"{done}/4", "42/0"):
        async with cometapi_session.get(f"{cometapi_double.base_url}/cdn/video/{path}.mp4") as response:
            assert response.status == 404


async def test_cover_image_is_a_png(cometapi_double, cometapi_session):
    """The gateway-style imageUrl serves a real PNG."""
    task_id = cometapi_double.add_task()
    async with cometapi_session.get(f"{cometapi_double.base_url}/mj/image/{task_id}") as response:
        data = await response.read()
    assert Image.open(io.BytesIO(data)).format == "PNG"


async def test_rate_limit_fault_headers(cometapi_double, cometapi_session):
    """429 faults carry Retry-After only when asked, with the gateway's code 30 body."""
    cometapi_double.inject(FaultKind.RATE_LIMITED, retry_after="7")
    cometapi_double.inject(FaultKind.RATE_LIMITED)
    first = await submit(cometapi_session, cometapi_double, GOOD)
    second = await submit(cometapi_session, cometapi_double, GOOD)
    assert (first[0], first[1]["code"], first[2]["Retry-After"]) == (429, 30, "7")
    assert second[0] == 429
    assert "Retry-After" not in second[2]


async def test_faults_target_one_endpoint(cometapi_double, cometapi_session):
    """A fault for "fetch" leaves submits alone and is used up by the first fetch."""
    cometapi_double.inject(FaultKind.SERVER_ERROR, endpoint="fetch", status=503)
    status_submit, body, _ = await submit(cometapi_session, cometapi_double, GOOD)
    url = f"{cometapi_double.base_url}/mj/task/{body['result']}/fetch"
    statuses = [(await call(cometapi_session, "GET", url))[0] for _ in range(2)]
    assert (status_submit, statuses) == (200, [503, 200])


async def test_html_and_malformed_bodies(cometapi_double, cometapi_session):
    """HTML faults send a text/html page; malformed faults send truncated JSON."""
    cometapi_double.inject(FaultKind.HTML)
    cometapi_double.inject(FaultKind.MALFORMED_JSON)
    html = await submit(cometapi_session, cometapi_double, GOOD)
    broken = await submit(cometapi_session, cometapi_double, GOOD)
    assert html[0] == 502
    assert html[2]["Content-Type"].startswith("text/html")
    assert broken[0] == 200
    with pytest.raises(ValueError):
        json.loads(broken[1])


async def test_reset_drops_the_connection(cometapi_double, cometapi_session):
    """A reset fault closes the connection without an answer."""
    cometapi_double.inject(FaultKind.RESET)
    with pytest.raises(aiohttp.ClientConnectionError):
        await submit(cometapi_session, cometapi_double, GOOD)
    assert cometapi_double.counts["submit"] == 1


async def test_rules_match_prompts_and_run_out(cometapi_double, cometapi_session):
    """A prompt rule only hits matching submits and only as many times as asked."""
    cometapi_double.moderate_submits("gore", prompt="gore", times=1)
    blocked = await submit(cometapi_session, cometapi_double, {**GOOD, "prompt": "gore fest"})
    other = await submit(cometapi_session, cometapi_double, GOOD)
    again = await submit(cometapi_session, cometapi_double, {**GOOD, "prompt": "gore fest"})
    assert blocked[1]["code"] == 24
    assert blocked[1]["properties"]["bannedWord"] == "gore"
    assert (other[1]["code"], again[1]["code"]) == (1, 1)


def test_chaos_is_seeded_and_bounded():
    """The same seed gives the same faults; rate 0 never fails and rate 1 always does."""
    chaos_a, chaos_b = Chaos(0.5, seed=7), Chaos(0.5, seed=7)
    picks_a = [chaos_a.pick("submit") for _ in range(200)]
    picks_b = [chaos_b.pick("submit") for _ in range(200)]
    assert [(p.kind, p.status, p.retry_after) if p else None for p in picks_a] == [
        (p.kind, p.status, p.retry_after) if p else None for p in picks_b
    ]
    assert 60 < sum(p is not None for p in picks_a) < 140
    assert {p.kind for p in picks_a if p} == set(FaultKind) - {FaultKind.CANNED}
    assert all(pick is None for pick in (Chaos(0.0).pick("submit") for _ in range(100)))
    assert all(pick is not None for pick in (Chaos(1.0).pick("submit") for _ in range(100)))
    with pytest.raises(ValueError):
        Chaos(1.5)


async def test_chaos_limited_to_some_endpoints(cometapi_session):
    """Chaos on "fetch" never touches submits."""
    async with CometAPIDouble.serve(api_key=fixtures_cometapi.TEST_API_KEY) as double:
        double.set_chaos(1.0, endpoints=frozenset({"fetch"}), slow_delay=0.01)
        statuses = [(await submit(cometapi_session, double, GOOD))[0] for _ in range(5)]
    assert statuses == [200] * 5


def test_media_images_are_real():
    """The media helpers make images Pillow reads back in the right format."""
    for data, kind in ((png_bytes(), "PNG"), (jpeg_bytes(), "JPEG"), (webp_bytes(), "WEBP")):
        assert Image.open(io.BytesIO(data)).format == kind


def test_mp4_layout_is_consistent():
    """The MP4 boxes add up to the file size and min_size pads it."""
    small, padded = mp4_bytes("a:0"), mp4_bytes("a:0", min_size=50_000)
    assert sum(size for _, size in top_level_boxes(small)) == len(small)
    assert len(padded) >= 50_000
    assert padded.endswith(small[small.index(b"mdat") - 4 :])
    with pytest.raises(ValueError):
        top_level_boxes(small[:-1])
