"""CometAPIClient submits and extends through the CometAPI double: every submit outcome."""

from __future__ import annotations

import re

import pytest

from bot.models import Motion, Quality
from bot.provider.cometapi_types import (
    DEFAULT_VIDEO_PROMPT,
    MAX_SUBMITTED_PROMPT,
    AuthenticationError,
    ExtendTaskRequest,
    InvalidRequestError,
    ModerationError,
    NoInstanceError,
    ProviderBusyError,
    RequestRefusedError,
    TaskNotFoundError,
    VideoRequest,
)
from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_faults import FaultKind, comet_error, upstream_error
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.media import data_uri, png_bytes

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session
cometapi_client = fixtures_cometapi.cometapi_client
make_cometapi_client = fixtures_cometapi.make_cometapi_client

IMAGE_URL = "https://example.com/cat.png"


def video(prompt: str = "waves roll in", **overrides: object) -> VideoRequest:
    fields: dict[str, object] = {
        "image": IMAGE_URL,
        "motion": Motion.LOW,
        "prompt": prompt,
        "quality": Quality.SD,
        "state": "motionbot:1",
    }
    fields.update(overrides)
    return VideoRequest(**fields)  # type: ignore[arg-type]


async def test_submit_sends_the_documented_body(cometapi_client, cometapi_double):
    """A submit posts image, motion, default prompt, videoType and state, and returns the task id."""
    request = video(
        "", image=data_uri(png_bytes()), motion=Motion.HIGH, quality=Quality.HD, state="motionbot:5"
    )
    result = await cometapi_client.submit_video(request)
    assert re.fullmatch(r"\d{16}", result.task_id)
    assert (result.code, result.description) == (1, "提交成功")
    assert result.task_id in cometapi_double.tasks
    assert cometapi_double.submissions == [
        {
            "image": request.image,
            "motion": "high",
            "prompt": DEFAULT_VIDEO_PROMPT,
            "videoType": "vid_1.1_i2v_720",
            "state": "motionbot:5",
        }
    ]
    assert cometapi_client.request_counts == {"submit": 1}


@pytest.mark.parametrize("code", [21, 22])
async def test_codes_21_and_22_are_accepted(cometapi_client, cometapi_double, code):
    """Codes 21 (exists/window confirm) and 22 (queued) with a task id are accepted."""
    cometapi_double.plan_tasks(TaskPlan(), accept_code=code)
    result = await cometapi_client.submit_video(video())
    assert result.code == code
    assert result.task_id in cometapi_double.tasks


async def test_accepted_code_without_task_id_is_refused(cometapi_client, cometapi_double):
    """Code 1 without a result is not an accepted submit."""
    cometapi_double.reply_to_submits(200, {"code": 1, "description": "提交成功", "result": None})
    with pytest.raises(RequestRefusedError, match="no task id"):
        await cometapi_client.submit_video(video())


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (3, "关联任务不存在或已失效"),
        (4, "关联任务状态错误"),
        (9, "未开启 REMIX，无法使用视频扩展功能"),
        (5, "do_request_failed"),
    ],
)
async def test_refusal_codes_with_http_200(cometapi_client, cometapi_double, code, description):
    """A non-1 code with HTTP 200 is a refusal carrying code and description, never retried."""
    cometapi_double.refuse_submits(code, description)
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.submit_video(video())
    assert type(caught.value) is RequestRefusedError
    assert (caught.value.code, caught.value.description) == (code, description)
    assert cometapi_double.counts["submit"] == 1
    assert cometapi_double.tasks == {}


async def test_logic_exception_shape_is_refused_with_message(cometapi_client, cometapi_double):
    """The upstream's {"success":false,"code":0,"message":...} shape is refused with its message."""
    body = {"success": False, "code": 0, "message": "图片链接无效", "timestamp": "2025-01-01T00:00:00"}
    cometapi_double.reply_to_submits(200, body)
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.submit_video(video())
    assert (caught.value.code, caught.value.description) == (0, "图片链接无效")


async def test_http_400_upstream_error_is_refused(cometapi_client, cometapi_double):
    """HTTP 400 with the gateway's upstream_error body is a refusal with its code."""
    cometapi_double.reply(400, upstream_error("prompt_is_required", 4))
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.submit_video(video())
    assert (caught.value.code, caught.value.description) == (4, "prompt_is_required")
    assert cometapi_double.counts["submit"] == 1


async def test_comet_api_envelope_is_refused(cometapi_client, cometapi_double):
    """CometAPI's {"error":{...}} envelope on HTTP 400 is a refusal with its message and code."""
    cometapi_double.reply(400, comet_error("model name is required", code="invalid_request"))
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.submit_video(video())
    assert caught.value.code == "invalid_request"
    assert caught.value.description.startswith("model name is required")


async def test_moderation_carries_reason_and_banned_word(cometapi_client, cometapi_double):
    """Code 24 raises ModerationError with the provider's reason and banned word, no retry."""
    cometapi_double.moderate_submits("nude", prompt="nude")
    with pytest.raises(ModerationError) as caught:
        await cometapi_client.submit_video(video("a nude statue"))
    assert caught.value.reason == "可能包含敏感词"
    assert caught.value.banned_word == "nude"
    assert caught.value.code == 24
    assert "nude" in caught.value.description
    assert cometapi_double.counts["submit"] == 1


async def test_moderation_without_banned_word(cometapi_client, cometapi_double):
    """A code 24 without properties still raises ModerationError."""
    cometapi_double.moderate_submits(None, reason="Banned prompt detected")
    with pytest.raises(ModerationError) as caught:
        await cometapi_client.submit_video(video())
    assert caught.value.banned_word is None
    assert caught.value.reason == "Banned prompt detected"


@pytest.mark.parametrize("trueai", [False, True])
async def test_queue_full_then_success(cometapi_client, cometapi_double, trueai):
    """Queue full (code 23, or trueai's code 9 wording) is retried until the submit is accepted."""
    cometapi_double.queue_full(times=2, trueai=trueai)
    result = await cometapi_client.submit_video(video())
    assert result.task_id in cometapi_double.tasks
    assert cometapi_client.request_counts["submit"] == 3
    assert len(cometapi_double.tasks) == 1


async def test_no_account_instance_is_capacity_retried_until_accepted(cometapi_client, cometapi_double):
    """Code 3 "无可用的账号实例" (no upstream account free) is waited out like a full queue."""
    cometapi_double.no_instance(times=2)
    result = await cometapi_client.submit_video(video())
    assert result.task_id in cometapi_double.tasks
    assert cometapi_client.request_counts["submit"] == 3


async def test_no_account_instance_that_lasts_raises_no_instance(cometapi_client, cometapi_double):
    """Past the client's retries, code 3 is a NoInstanceError: capacity (a ProviderBusyError the
    tracker waits out, for a bounded time), not a refusal."""
    cometapi_double.no_instance(times=None)
    with pytest.raises(NoInstanceError) as caught:
        await cometapi_client.submit_video(video())
    assert isinstance(caught.value, ProviderBusyError)
    assert "无可用的账号实例" in caught.value.description
    assert cometapi_double.counts["submit"] == 4


async def test_busy_exhausted_raises_provider_busy(cometapi_client, cometapi_double):
    """A queue that stays full ends in ProviderBusyError after 1 + max_retries attempts."""
    cometapi_double.queue_full(times=None)
    with pytest.raises(ProviderBusyError) as caught:
        await cometapi_client.submit_video(video())
    assert not isinstance(caught.value, NoInstanceError)  # full for everyone: no job is bounded for it
    assert caught.value.retry_after is None
    assert cometapi_double.counts["submit"] == 4
    assert cometapi_client.request_counts["submit"] == 4


async def test_rate_limit_retry_after_is_honoured(cometapi_double, cometapi_session):
    """HTTP 429 with Retry-After waits that long (capped by backoff_max) before the retry."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, backoff_max=0.25)
    cometapi_double.inject(FaultKind.RATE_LIMITED, endpoint="submit", retry_after="1")
    await client.submit_video(video())
    first, second = cometapi_double.request_log
    assert client.request_counts["submit"] == 2
    assert 0.24 <= second.at - first.at < 1.0


async def test_rate_limit_without_retry_after_uses_backoff(cometapi_double, cometapi_session):
    """HTTP 429 without Retry-After retries after the (tiny) exponential backoff."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, backoff_max=0.25)
    cometapi_double.inject(FaultKind.RATE_LIMITED, endpoint="submit")
    await client.submit_video(video())
    first, second = cometapi_double.request_log
    assert client.request_counts["submit"] == 2
    assert second.at - first.at < 0.2


async def test_rate_limit_exhausted_keeps_retry_after(cometapi_client, cometapi_double):
    """After the retries, ProviderBusyError carries the provider's Retry-After."""
    cometapi_double.inject(FaultKind.RATE_LIMITED, times=4, retry_after="1")
    with pytest.raises(ProviderBusyError) as caught:
        await cometapi_client.submit_video(video())
    assert caught.value.retry_after == 1.0
    assert "429" in caught.value.description
    assert cometapi_double.counts["submit"] == 4


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_is_never_retried(cometapi_double, cometapi_session, status):
    """401/403 raise AuthenticationError after exactly one request."""
    if status == 401:
        client = make_cometapi_client(
            cometapi_session, cometapi_double.base_url, api_key="sk-wrong-key-000000"
        )
    else:
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
        cometapi_double.reply(403, comet_error("forbidden"))
    with pytest.raises(AuthenticationError) as caught:
        await client.submit_video(video())
    assert caught.value.description.startswith("CometAPI rejected the API key")
    assert cometapi_double.counts["submit"] == 1
    assert client.request_counts["submit"] == 1
    assert "sk-wrong-key-000000" not in caught.value.description


async def test_extend_posts_action_parent_and_index(cometapi_client, cometapi_double):
    """An extend of a finished task sends action extend, taskId and the 0-based index."""
    parent = cometapi_double.add_task()
    result = await cometapi_client.extend_video(ExtendTaskRequest(parent, 2, Motion.HIGH, "", "motionbot:2"))
    assert result.task_id in cometapi_double.tasks
    body = cometapi_double.submissions[-1]
    assert (body["action"], body["taskId"], body["index"], body["motion"]) == ("extend", parent, 2, "high")
    assert body["prompt"]
    assert "image" not in body


async def test_extend_of_unfinished_parent_is_refused(cometapi_client, cometapi_double):
    """The parent must be SUCCESS: otherwise code 4 关联任务状态错误."""
    parent = cometapi_double.add_task(plan=TaskPlan(duration=60))
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.extend_video(ExtendTaskRequest(parent, 0, Motion.LOW, "", ""))
    assert (caught.value.code, caught.value.description) == (4, "关联任务状态错误")


async def test_extend_of_failed_parent_is_refused(cometapi_client, cometapi_double):
    """A failed parent cannot be extended either."""
    parent = cometapi_double.add_task(plan=TaskPlan(fail_reason="任务超时"))
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.extend_video(ExtendTaskRequest(parent, 1, Motion.LOW, "", ""))
    assert caught.value.code == 4


async def test_extend_of_unknown_parent_is_refused(cometapi_client, cometapi_double):
    """An unknown parent is code 3 关联任务不存在或已失效."""
    with pytest.raises(RequestRefusedError) as caught:
        await cometapi_client.extend_video(ExtendTaskRequest("1700000000000123", 0, Motion.LOW, "", ""))
    assert (caught.value.code, caught.value.description) == (3, "关联任务不存在或已失效")


async def test_extend_parent_not_found_at_gateway(cometapi_client, cometapi_double):
    """The gateway's task_not_found for a parent becomes TaskNotFoundError naming the parent."""
    cometapi_double.reply(400, upstream_error("task_not_found ", 4))
    with pytest.raises(TaskNotFoundError) as caught:
        await cometapi_client.extend_video(ExtendTaskRequest("1700000000000123", 0, Motion.LOW, "", ""))
    assert caught.value.task_id == "1700000000000123"


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.submit_video(video(image="")),
        lambda client: client.submit_video(video(image="not a url")),
        lambda client: client.submit_video(video(image="data:application/pdf;base64,JVBERi0=")),
        lambda client: client.submit_video(video(motion="medium")),
        lambda client: client.submit_video(video("x" * (MAX_SUBMITTED_PROMPT + 1))),
        lambda client: client.submit_video(video(state="s" * 256)),
        lambda client: client.extend_video(ExtendTaskRequest("", 0, Motion.LOW, "", "")),
        lambda client: client.extend_video(ExtendTaskRequest("1700000000000123", 4, Motion.LOW, "", "")),
        lambda client: client.extend_video(ExtendTaskRequest("1700000000000123", -1, Motion.LOW, "", "")),
        lambda client: client.fetch_task(""),
        lambda client: client.fetch_tasks(["1700000000000123", " "]),
        lambda client: client.fetch_tasks("1700000000000123"),
    ],
)
async def test_bad_input_is_refused_before_any_request(cometapi_client, cometapi_double, call):
    """Invalid input raises InvalidRequestError and no HTTP request is made."""
    with pytest.raises(InvalidRequestError):
        await call(cometapi_client)
    assert sum(cometapi_double.counts.values()) == 0
    assert sum(cometapi_client.request_counts.values()) == 0
