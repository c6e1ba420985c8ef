"""Pure parts of the CometAPI client: task parsing, request validation, Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import json

import pytest

from bot.models import MAX_PROMPT_LENGTH, Motion, Quality
from bot.provider.cometapi import error_from_payload, parse_retry_after
from bot.provider.cometapi_types import (
    DEFAULT_EXTEND_PROMPT,
    DEFAULT_VIDEO_PROMPT,
    MAX_SUBMITTED_PROMPT,
    ExtendTaskRequest,
    InvalidRequestError,
    ModerationError,
    NoInstanceError,
    ProviderBusyError,
    RequestRefusedError,
    TaskNotFoundError,
    TaskState,
    VideoRequest,
    parse_progress,
    parse_task,
)

URLS = [f"https://cdn.midjourney.com/video/abc/0_{index}.mp4" for index in range(4)]

# Synthetic fixtures of the reference (§8.2), verbatim.
SUCCESS_FIXTURE = json.loads(
    '{"id":"1762547298152655","action":"VIDEO","customId":"","botType":"","prompt":"a bee flies in",'
    '"promptEn":"https://example.com/tulip.jpg a bee flies in --video 1 --motion low",'
    '"description":"提交成功",'
    '"state":"g1:c2:m3:u4","submitTime":1762547298152,"startTime":1762547301000,"finishTime":1762547390000,'
    '"imageUrl":"https://api.cometapi.com/mj/image/1762547298152655",'
    '"videoUrl":"https://cdn.midjourney.com/video/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/0_0.mp4",'
    '"videoUrls":[{"url":"https://cdn.midjourney.com/video/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/0_0.mp4"},'
    '{"url":"https://cdn.midjourney.com/video/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/0_1.mp4"},'
    '{"url":"https://cdn.midjourney.com/video/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/0_2.mp4"},'
    '{"url":"https://cdn.midjourney.com/video/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/0_3.mp4"}],'
    '"status":"SUCCESS","progress":"100%","failReason":"","buttons":[],"maskBase64":"",'
    '"properties":{"finalPrompt":"x","finalZhPrompt":""}}'
)
FAILURE_FIXTURE = json.loads(
    '{"id":"1762547298152999","action":"VIDEO","customId":"","botType":"","prompt":"a bee flies in",'
    '"promptEn":"","description":"提交成功","state":"g1:c2:m3:u4","submitTime":1762547298152,"startTime":0,'
    '"finishTime":0,"imageUrl":"","videoUrl":"","videoUrls":null,"status":"FAILURE","progress":"100%",'
    '"failReason":"上游任务超时（超过1小时）","buttons":null,"maskBase64":"","properties":null}'
)


@pytest.mark.parametrize(
    ("status", "progress", "state", "expected_progress"),
    [
        ("", "0%", TaskState.PENDING, 0),
        (None, None, TaskState.PENDING, 0),
        ("SOMETHING_NEW", "5%", TaskState.PENDING, 5),
        ("NOT_START", "0%", TaskState.PENDING, 0),
        ("SUBMITTED", "0%", TaskState.PENDING, 0),
        ("IN_PROGRESS", "37%", TaskState.RUNNING, 37),
        ("in_progress", "12%", TaskState.RUNNING, 12),
        ("SUCCESS", "100%", TaskState.SUCCEEDED, 100),
        ("SUCCESS", "", TaskState.SUCCEEDED, 100),
        ("FAILURE", "100%", TaskState.FAILED, 100),
        ("FAILURE", "", TaskState.FAILED, 0),
        ("CANCEL", "100%", TaskState.FAILED, 100),
        ("MODAL", "0%", TaskState.FAILED, 0),
    ],
)
def test_status_mapping(status, progress, state, expected_progress):
    """Each provider status maps to the documented task state and progress."""
    snapshot = parse_task({"id": "1", "status": status, "progress": progress})
    assert snapshot.state is state
    assert snapshot.progress == expected_progress
    assert snapshot.raw_status == (status or "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("37%", 37), ("0%", 0), ("100%", 100), (" 42 % ", 42), ("37.9%", 37), (55, 55), ("150%", 100)],
        *[("-5%", 0), ("abc", 0), ("", 0), (None, 0), (True, 0), ("nan%", 0), ([], 0)],
    ],
)
def test_progress_parsing(value, expected):
    """Progress strings become integers 0..100 and garbage becomes 0."""
    assert parse_progress(value) == expected


def test_failure_carries_the_provider_reason():
    """FAILURE keeps failReason and is not waiting for input."""
    snapshot = parse_task(FAILURE_FIXTURE)
    assert snapshot.state is TaskState.FAILED
    assert snapshot.fail_reason == "上游任务超时（超过1小时）"
    assert not snapshot.needs_input
    assert snapshot.clip_urls == ()


@pytest.mark.parametrize(("status", "words"), [("FAILURE", "without a reason"), ("CANCEL", "cancelled")])
def test_failure_without_reason_gets_a_readable_one(status, words):
    """A failure with an empty or null failReason still explains itself."""
    snapshot = parse_task({"id": "1", "status": status, "progress": "", "failReason": None})
    assert words in snapshot.fail_reason


def test_modal_is_a_failure_that_needs_input():
    """MODAL means the provider wants extra input the bot cannot give."""
    snapshot = parse_task({"id": "1", "status": "MODAL", "progress": "0%"})
    assert snapshot.state is TaskState.FAILED
    assert snapshot.needs_input
    assert "extra input" in snapshot.fail_reason


def test_success_fixture_reads_all_four_clips_and_state():
    """The SUCCESS fixture yields its four clips in order and echoes the state."""
    snapshot = parse_task(SUCCESS_FIXTURE)
    assert snapshot.task_id == "1762547298152655"
    assert snapshot.state is TaskState.SUCCEEDED
    assert [url.rsplit("/", 1)[1] for url in snapshot.clip_urls] == [
        "0_0.mp4",
        "0_1.mp4",
        "0_2.mp4",
        "0_3.mp4",
    ]
    assert snapshot.provider_state == "g1:c2:m3:u4"
    assert snapshot.fail_reason == ""
    assert not snapshot.needs_input


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"videoUrls": [{"url": url} for url in URLS], "videoUrl": URLS[0]}, URLS),
        ({"videoUrls": [{"url": URLS[1]}, {"url": URLS[0]}, {"url": URLS[1]}]}, [URLS[1], URLS[0]]),
        ({"videoUrls": None, "video_urls": json.dumps([{"url": url} for url in URLS])}, URLS),
        ({"video_urls": json.dumps(URLS[:2]), "videoUrl": URLS[3]}, URLS[:2]),
        ({"videoUrls": [], "video_urls": "not json", "videoUrl": URLS[2]}, [URLS[2]]),
        ({"videoUrl": URLS[0]}, [URLS[0]]),
        (
            {"videoUrls": [{"url": ""}, {"url": None}, {"thumbnail": "x"}, "ftp://x/y.mp4"], "videoUrl": ""},
            [],
        ),
        ({}, []),
    ],
)
def test_clip_url_shapes(fields, expected):
    """Clips come from videoUrls, else the video_urls JSON string, else videoUrl; deduplicated."""
    snapshot = parse_task({"id": "1", "status": "SUCCESS", **fields})
    assert list(snapshot.clip_urls) == expected


RELAY = "https://api.cometapi.com/mj/image/1762547298152655"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # video_urls as one bare URL, or as a JSON string of one URL (not a list).
        ({"videoUrl": "", "video_urls": URLS[1]}, [URLS[1]]),
        ({"video_urls": json.dumps(URLS[2])}, [URLS[2]]),
        ({"video_urls": f"  {URLS[0]}  "}, [URLS[0]]),
        ({"video_urls": "not a url"}, []),
        # video_url, snake case (new-api's UserMidjourneyDto, Comfly's client).
        ({"videoUrl": "", "video_url": URLS[3]}, [URLS[3]]),
        ({"videoUrl": URLS[0], "video_url": URLS[3]}, [URLS[0]]),
        # No video field: imageUrl (or image_url) is the clip candidate.
        ({"imageUrl": RELAY, "videoUrl": "", "videoUrls": None}, [RELAY]),
        ({"image_url": RELAY}, [RELAY]),
        ({"imageUrl": RELAY, "videoUrls": [{"url": URLS[0]}]}, [URLS[0]]),  # a video field wins
        ({"imageUrl": "", "videoUrl": ""}, []),
    ],
)
def test_real_service_clip_shapes(fields, expected):
    """Every shape the real gateways send is read; imageUrl only stands in when no video field has a URL."""
    snapshot = parse_task({"id": "1", "status": "SUCCESS", **fields})
    assert list(snapshot.clip_urls) == expected


@pytest.mark.parametrize("status", ["", "SUBMITTED", "IN_PROGRESS", "FAILURE"])
def test_an_unfinished_or_failed_task_has_no_image_url_clip(status):
    """Before SUCCESS the gateway's imageUrl is a preview (``?rand=``): never a clip."""
    snapshot = parse_task({"id": "1", "status": status, "imageUrl": f"{RELAY}?rand=1"})
    assert snapshot.clip_urls == ()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"fail_reason": "上游任务超时（超过1小时）"}, "上游任务超时（超过1小时）"),
        ({"failReason": "", "fail_reason": " Image denied "}, "Image denied"),
        ({"failReason": "任务超时", "fail_reason": "other"}, "任务超时"),
        ({"failReason": None, "fail_reason": None}, "the provider reported a failure without a reason"),
    ],
)
def test_the_failure_reason_is_read_from_either_field(fields, reason):
    """``fail_reason`` (snake case) carries the reason when ``failReason`` is empty or absent."""
    snapshot = parse_task({"id": "1", "status": "FAILURE", **fields})
    assert snapshot.fail_reason == reason


def test_state_is_empty_until_the_gateway_syncs():
    """A missing or null state becomes the empty string."""
    assert parse_task({"id": "1", "status": "", "state": None}).provider_state == ""
    assert parse_task({"id": "1"}).provider_state == ""


def test_video_request_body():
    """A video request becomes the documented body, with videoType from the quality."""
    request = VideoRequest("https://example.com/a.png", Motion.HIGH, "  waves  ", Quality.HD, "motionbot:7")
    assert request.to_body() == {
        "image": "https://example.com/a.png",
        "motion": "high",
        "prompt": "waves",
        "videoType": "vid_1.1_i2v_720",
        "state": "motionbot:7",
    }


def test_empty_prompts_get_a_default():
    """The upstream rejects an empty prompt, so a default is always sent."""
    video = VideoRequest("data:image/png;base64,iVBORw0KGgo=", Motion.LOW, "  ", Quality.SD, "")
    extend = ExtendTaskRequest("1762547298152655", 0, Motion.LOW, "", "")
    assert video.to_body()["prompt"] == DEFAULT_VIDEO_PROMPT
    assert video.to_body()["videoType"] == "vid_1.1_i2v_480"
    assert extend.to_body()["prompt"] == DEFAULT_EXTEND_PROMPT


def test_extend_request_body():
    """An extend request names the action, the parent and the 0-based clip index."""
    body = ExtendTaskRequest(" 1762547298152655 ", 3, Motion.LOW, "more bees", "motionbot:9").to_body()
    assert body == {
        "action": "extend",
        "taskId": "1762547298152655",
        "index": 3,
        "motion": "low",
        "prompt": "more bees",
        "state": "motionbot:9",
    }


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("2", 2.0), ("0.5", 0.5), ("0", 0.0), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_in_seconds(retry_after, expected):
    """Retry-After in seconds is read as a float; junk is ignored."""
    assert parse_retry_after(retry_after) == expected


def test_retry_after_as_http_date():
    """Retry-After as an HTTP date becomes the seconds until then."""
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    seconds = parse_retry_after(email.utils.format_datetime(moment, usegmt=True))
    assert seconds is not None
    assert 25 <= seconds <= 30


@pytest.mark.parametrize(
    ("payload", "kind", "code"),
    [
        (
            {"code": 24, "description": "可能包含敏感词", "properties": {"bannedWord": "nude"}},
            ModerationError,
            24,
        ),
        ({"code": 23, "description": "队列已满，请稍后尝试"}, ProviderBusyError, None),
        ({"code": 9, "description": "提交失败，队列已满，请稍后重试"}, ProviderBusyError, None),
        ({"code": 9, "description": "Queue full, try later"}, ProviderBusyError, None),
        ({"code": 30, "description": "当前分组负载已饱和，请稍后再试"}, ProviderBusyError, None),
        ({"code": 9, "description": "无可用的账号实例"}, NoInstanceError, None),
        ({"code": 3, "description": "无可用的账号实例", "result": None}, NoInstanceError, None),
        ({"code": 3, "description": "No available account instance"}, NoInstanceError, None),
        ({"code": 3, "description": ""}, NoInstanceError, None),
        ({"code": 3, "description": "关联任务不存在或已失效", "result": None}, RequestRefusedError, 3),
        ({"code": 3, "description": "目标任务不存在"}, RequestRefusedError, 3),
        ({"code": "4", "description": "关联任务状态错误"}, RequestRefusedError, 4),
        ({"success": False, "code": 0, "message": "参数错误"}, RequestRefusedError, 0),
        (
            {"error": {"message": "bad", "type": "comet_api_error", "code": "invalid_request"}},
            RequestRefusedError,
            "invalid_request",
        ),
        ({"description": "task_not_found ", "type": "upstream_error", "code": 4}, TaskNotFoundError, 4),
    ],
)
def test_error_bodies_map_to_typed_errors(payload, kind, code):
    """Each documented error body maps to its exception type and keeps the provider code."""
    error = error_from_payload(payload, status=200, task_id="42")
    assert type(error) is kind
    if code is not None:
        assert error.code == code


def test_refusal_without_text_names_the_code():
    """A refusal with no description still says which code came back."""
    error = error_from_payload({"code": 5})
    assert isinstance(error, RequestRefusedError)
    assert "code 5" in error.description


@pytest.mark.parametrize(
    "request_",
    [
        VideoRequest("", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("   ", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("ftp://example.com/a.png", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("example.com/a.png", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("https://", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("https://example.com/a b.png", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("data:text/plain;base64,aGk=", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("data:image/png;base64,", Motion.LOW, "", Quality.SD, ""),
        VideoRequest("https://example.com/a.png", "medium", "", Quality.SD, ""),  # type: ignore[arg-type]
        VideoRequest("https://example.com/a.png", Motion.LOW, "", "1080p", ""),  # type: ignore[arg-type]
        VideoRequest(
            "https://example.com/a.png", Motion.LOW, "x" * (MAX_SUBMITTED_PROMPT + 1), Quality.SD, ""
        ),
        VideoRequest("https://example.com/a.png", Motion.LOW, "", Quality.SD, "s" * 256),
        ExtendTaskRequest("", 0, Motion.LOW, "", ""),
        ExtendTaskRequest("   ", 0, Motion.LOW, "", ""),
        ExtendTaskRequest("1762547298152655", -1, Motion.LOW, "", ""),
        ExtendTaskRequest("1762547298152655", 4, Motion.LOW, "", ""),
        ExtendTaskRequest("1762547298152655", True, Motion.LOW, "", ""),
        ExtendTaskRequest("1762547298152655", 0, "fast", "", ""),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_are_refused(request_):
    """Bad input raises InvalidRequestError (a ValueError) when the body is built."""
    with pytest.raises(InvalidRequestError) as caught:
        request_.to_body()
    assert isinstance(caught.value, ValueError)


def test_limits_are_inclusive():
    """A prompt of exactly MAX_PROMPT_LENGTH and a state of 255 characters are fine."""
    request = VideoRequest(
        "https://example.com/a.png", Motion.LOW, "p" * MAX_PROMPT_LENGTH, Quality.SD, "s" * 255
    )
    body = request.to_body()
    assert len(body["prompt"]) == MAX_PROMPT_LENGTH
    assert len(body["state"]) == 255
