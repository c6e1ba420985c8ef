"""The CometAPI double's answer styles: every shape the real services send a result in, the
``/mj/image/{id}`` relay (a video or an image), ``fail_reason`` and code 3 on submit."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_jobs import TaskPlan, clip_bytes
from tests.doubles.tests.test_cometapi_double import GOOD, call, submit

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session


async def relay(session, double, task_id: str, method: str = "GET") -> tuple[int, bytes, str]:
    async with session.request(method, f"{double.base_url}/mj/image/{task_id}") as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


@pytest.mark.parametrize(
    ("shape", "fields"),
    [
        ("video_urls_bare", {"videoUrl": "", "video_urls": "{base}/cdn/video/{id}/0.mp4"}),
        ("video_url", {"videoUrl": "", "video_url": "{base}/cdn/video/{id}/0.mp4"}),
        ("imageUrl", {"videoUrl": "", "videoUrls": None}),
    ],
)
def test_clip_shapes_on_the_wire(cometapi_double, shape, fields):
    """A bare-string video_urls, a snake-case video_url, or no video field at all (imageUrl only)."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape=shape))
    wire = cometapi_double.task_json(task_id)
    base = cometapi_double.base_url
    for name, value in fields.items():
        expected = value.format(base=base, id=task_id) if isinstance(value, str) else value
        assert wire[name] == expected
    assert wire["imageUrl"] == f"{base}/mj/image/{task_id}"
    assert "videoUrls" not in wire or wire["videoUrls"] is None


async def test_the_relay_serves_the_video_of_an_image_url_task(cometapi_double, cometapi_session):
    """With no video field the upstream's imageUrl is the video: the relay serves it as video/mp4."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape="imageUrl"))
    status, body, content_type = await relay(cometapi_session, cometapi_double, task_id)
    assert (status, content_type) == (200, "video/mp4")
    assert body == clip_bytes(task_id, 0, 0) and body[4:8] == b"ftyp"


@pytest.mark.parametrize(("image_type", "image_format"), [("image/webp", "WEBP"), ("image/png", "PNG")])
async def test_the_relay_can_serve_an_image_instead(
    cometapi_double, cometapi_session, image_type, image_format
):
    """A Discord-account upstream's result is an animated webp grid: the relay serves an image."""
    plan = TaskPlan(clip_shape="imageUrl", image_type=image_type)
    task_id = cometapi_double.add_task(plan=plan)
    status, body, content_type = await relay(cometapi_session, cometapi_double, task_id)
    assert (status, content_type) == (200, image_type)
    assert Image.open(io.BytesIO(body)).format == image_format


async def test_the_relay_serves_a_cover_until_the_task_succeeds(cometapi_double, cometapi_session):
    task_id = cometapi_double.add_task(plan=TaskPlan(duration=60, clip_shape="imageUrl"))
    status, _, content_type = await relay(cometapi_session, cometapi_double, task_id)
    assert (status, content_type) == (200, "image/png")


async def test_the_relay_answers_get_only_and_knows_its_tasks(cometapi_double, cometapi_session):
    """new-api registers /mj/image/:id for GET only (gin: 404 for HEAD); an unknown id is a 400."""
    task_id = cometapi_double.add_task(plan=TaskPlan(clip_shape="imageUrl"))
    status, _, _ = await relay(cometapi_session, cometapi_double, task_id, method="HEAD")
    assert status == 404
    status, body, _ = await relay(cometapi_session, cometapi_double, "42")
    assert status == 400 and b"midjourney_task_not_found" in body


def test_the_failure_reason_can_come_as_fail_reason(cometapi_double):
    task_id = cometapi_double.add_task(plan=TaskPlan(fail_reason="任务超时", fail_field="fail_reason"))
    wire = cometapi_double.task_json(task_id)
    assert (wire["status"], wire["failReason"], wire["fail_reason"]) == ("FAILURE", "", "任务超时")


async def test_no_instance_refuses_with_code_3(cometapi_double, cometapi_session):
    """trueai's answer when no account instance is free: HTTP 200, code 3, no task created."""
    cometapi_double.no_instance(times=1)
    status, body, _ = await submit(cometapi_session, cometapi_double, GOOD)
    assert (status, body["code"], body["description"], body["result"]) == (200, 3, "无可用的账号实例", None)
    assert cometapi_double.tasks == {}
    status, body, _ = await call(
        cometapi_session, "POST", f"{cometapi_double.base_url}/mj/submit/video", json=GOOD
    )
    assert (status, body["code"]) == (200, 1)
