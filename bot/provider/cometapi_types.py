"""Typed requests, results and errors of the CometAPI client, and the task parser.

Nothing here does I/O: the request classes validate themselves and build the JSON body,
``parse_task`` turns one task object of the gateway (``/mj/task/{id}/fetch``) into a ``TaskSnapshot``
and ``parse_retry_after`` reads a ``Retry-After`` header.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.models import CLIPS_PER_JOB, MAX_PROMPT_LENGTH, Motion, Quality

# The member's words (at most MAX_PROMPT_LENGTH) plus the flags the bot appends, an --end URL included.
MAX_SUBMITTED_PROMPT = 2 * MAX_PROMPT_LENGTH
MAX_STATE_LENGTH = 255  # the upstream midjourney-proxy rejects longer `state` values
# The upstream rejects an empty prompt ("Prompt 不能为空"), so one of these is sent instead.
DEFAULT_VIDEO_PROMPT = "animate this image"
DEFAULT_EXTEND_PROMPT = "continue the motion"

_DATA_URI = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,\S")


class CometAPIError(Exception):
    """Base of every client error; ``description`` is safe to show and never holds the API key."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class AuthenticationError(CometAPIError):
    """CometAPI rejected the API key (HTTP 401/403); never retried."""


class ProviderBusyError(CometAPIError):
    """The provider is saturated (queue full, HTTP 429, code 30) and stayed so through all retries."""

    def __init__(self, description: str, *, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class NoInstanceError(ProviderBusyError):
    """No upstream account can take this request now (code 3 "无可用的账号实例"), after all retries.

    Capacity, like the other busy answers, but possibly for one kind of video only (no account can
    make 720p, say) and for as long as that lasts: the tracker bounds how long a job waits it out.
    """


class ProviderUnavailableError(CometAPIError):
    """5xx, timeouts, connection failures or unreadable bodies that outlasted the retries."""


class RequestRefusedError(CometAPIError):
    """The provider refused the request for a reason retrying will not fix; ``code`` is its code."""

    def __init__(self, description: str, *, code: int | str) -> None:
        super().__init__(description)
        self.code = code


class ModerationError(RequestRefusedError):
    """The prompt or image was banned (code 24); ``reason`` and ``banned_word`` come from the provider."""

    def __init__(self, reason: str, *, banned_word: str | None = None, code: int | str = 24) -> None:
        suffix = f" (banned word: {banned_word})" if banned_word else ""
        super().__init__(f"{reason}{suffix}", code=code)
        self.reason = reason
        self.banned_word = banned_word


class TaskNotFoundError(RequestRefusedError):
    """The provider does not know the task id (or it belongs to another key)."""

    def __init__(self, task_id: str, *, code: int | str = 4) -> None:
        super().__init__(f"CometAPI does not know task {task_id!r}", code=code)
        self.task_id = task_id


class InvalidRequestError(CometAPIError, ValueError):
    """Bad input caught before any HTTP call."""


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """Animate one image: ``image`` is an http(s) URL or a ``data:image/...;base64,`` URI."""

    image: str
    motion: Motion
    prompt: str
    quality: Quality
    state: str

    def to_body(self) -> dict[str, Any]:
        """Validate the request and return the JSON body of ``POST /mj/submit/video``."""
        _check_image(self.image)
        quality = _check_quality(self.quality)
        return {
            "image": self.image,
            "motion": _check_motion(self.motion),
            "prompt": _prompt_or_default(self.prompt, DEFAULT_VIDEO_PROMPT),
            "videoType": quality.video_type,
            "state": _check_state(self.state),
        }


@dataclass(frozen=True, slots=True)
class ExtendTaskRequest:
    """The provider request extending clip ``clip_index`` (0-based) of the done task ``parent_task_id``."""

    parent_task_id: str
    clip_index: int
    motion: Motion
    prompt: str
    state: str

    def to_body(self) -> dict[str, Any]:
        """Validate the request and return the JSON body of an extend ``POST /mj/submit/video``."""
        parent = self.parent_task_id.strip() if isinstance(self.parent_task_id, str) else ""
        if not parent:
            raise InvalidRequestError("the parent task id is empty")
        return {
            "action": "extend",
            "taskId": parent,
            "index": _check_clip_index(self.clip_index),
            "motion": _check_motion(self.motion),
            "prompt": _prompt_or_default(self.prompt, DEFAULT_EXTEND_PROMPT),
            "state": _check_state(self.state),
        }


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """An accepted submit: the provider's task id, its code (1, 21 or 22) and description."""

    task_id: str
    code: int
    description: str


class TaskState(StrEnum):
    """The provider task status, reduced to what the bot acts on."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """One observation of a provider task.

    ``provider_state`` is the ``state`` echoed back (empty until the gateway's first sync);
    ``raw_status`` is the provider's own status string; ``needs_input`` marks ``MODAL`` tasks.
    """

    task_id: str
    state: TaskState
    progress: int
    clip_urls: tuple[str, ...]
    fail_reason: str
    provider_state: str
    raw_status: str
    needs_input: bool


_STATUS_MAP = {
    "NOT_START": TaskState.PENDING,
    "SUBMITTED": TaskState.PENDING,
    "IN_PROGRESS": TaskState.RUNNING,
    "SUCCESS": TaskState.SUCCEEDED,
    "FAILURE": TaskState.FAILED,
    "CANCEL": TaskState.FAILED,
    "MODAL": TaskState.FAILED,
}
_DEFAULT_FAIL_REASONS = {
    "FAILURE": "the provider reported a failure without a reason",
    "CANCEL": "the task was cancelled at the provider",
    "MODAL": "the provider asked for extra input (remix or region) that this bot cannot give",
}


def parse_task(data: Mapping[str, Any]) -> TaskSnapshot:
    """Turn one gateway task object into a ``TaskSnapshot``.

    ``""`` and unknown statuses are pending (the gateway reports ``""`` until its first sync);
    ``MODAL`` is a failure with ``needs_input``; the reason is ``failReason`` or ``fail_reason``. Clip
    URLs come from the video fields (``extract_clip_urls``), or, once the task succeeded without any,
    from ``imageUrl``, which is then the video itself (or an image, which delivery refuses).
    """
    raw_status = _text(data.get("status")).strip()
    status_key = raw_status.upper()
    state = _STATUS_MAP.get(status_key, TaskState.PENDING)
    fail_reason = _first_text(data, "failReason", "fail_reason")
    if state is TaskState.FAILED and not fail_reason:
        fail_reason = _DEFAULT_FAIL_REASONS[status_key]
    progress = 100 if state is TaskState.SUCCEEDED else parse_progress(data.get("progress"))
    return TaskSnapshot(
        task_id=_text(data.get("id")),
        state=state,
        progress=progress,
        clip_urls=extract_clip_urls(data, image_fallback=state is TaskState.SUCCEEDED),
        fail_reason=fail_reason if state is TaskState.FAILED else "",
        provider_state=_text(data.get("state")),
        raw_status=raw_status,
        needs_input=status_key == "MODAL",
    )


def parse_progress(value: object) -> int:
    """Turn ``"37%"`` (or 37) into 37, clamped to 0..100; anything unreadable is 0."""
    if isinstance(value, bool):
        return 0
    text = str(value).strip().removesuffix("%").strip() if value is not None else ""
    try:
        number = float(text)
    except ValueError:
        return 0
    if not math.isfinite(number):  # NaN, or "inf%", on which int() would raise
        return 0
    return max(0, min(100, int(number)))


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds or as an HTTP date; None when absent or bad."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = (moment - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None


def extract_clip_urls(data: Mapping[str, Any], *, image_fallback: bool = False) -> tuple[str, ...]:
    """Return the clip URLs of a task, from the first field shape that holds any, deduplicated.

    The shapes, in order: the gateway's ``videoUrls`` (``[{"url": ...}]``, new-api ``dto/midjourney.go``
    ``MidjourneyDto``); ``video_urls``, which new-api's ``UserMidjourneyDto`` and older gateways send
    as a JSON *string*, and some as a bare URL (both read by ainewsto/Comfyui_Comfly
    ``Comfly_mj_video.extract_video_urls``); ``videoUrl``; ``video_url``. With ``image_fallback``
    (a finished task) and none of them, ``imageUrl`` (or ``image_url``): trueai-org/midjourney-proxy
    fills the video fields only when its ``EnableFillOfficialCdn`` setting is on (off by default,
    ``Models/Setting.cs``); otherwise ``imageUrl`` "is itself the video link" (``TaskInfo.SuccessUpdate``),
    and the new-api gateway serves it through its ``/mj/image/{id}`` relay (``relay/mjproxy_handler.go``
    ``coverMidjourneyTaskDto``). Whether that URL is a video is only known from its content type,
    which delivery checks as it downloads it.
    """
    shapes: list[object] = [
        data.get("videoUrls"),
        _listed(data.get("video_urls")),
        [data.get("videoUrl")],
        [data.get("video_url")],
    ]
    if image_fallback:
        shapes += [[data.get("imageUrl")], [data.get("image_url")]]
    for items in shapes:
        urls = _urls_from_items(items)
        if urls:
            return urls
    return ()


def _urls_from_items(items: object) -> tuple[str, ...]:
    """Collect http(s) URLs from a list of ``{"url": ...}`` objects or plain strings, order kept."""
    if not isinstance(items, list):
        return ()
    found: dict[str, None] = {}
    for item in items:
        url = item.get("url") if isinstance(item, Mapping) else item
        if isinstance(url, str) and url.strip().startswith(("http://", "https://")):
            found.setdefault(url.strip(), None)
    return tuple(found)


def _listed(value: object) -> object:
    """Read ``video_urls``: a list, a JSON *string* of a list (or of one URL), or one bare URL."""
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = value  # not JSON: a bare URL (or nothing usable, which finds no URL)
    return [decoded] if isinstance(decoded, str) else decoded


def _first_text(data: Mapping[str, Any], *names: str) -> str:
    """Return the first non-empty text among the fields ``names`` (stripped), else ``""``."""
    return next((text for name in names if (text := _text(data.get(name)).strip())), "")


def _text(value: object) -> str:
    """Return a provider field as text, with ``None`` as the empty string."""
    return "" if value is None else str(value)


def _check_motion(motion: str) -> str:
    """Return the wire value of a motion, refusing anything but low/high."""
    try:
        return Motion(motion).value
    except ValueError:
        raise InvalidRequestError(f"unknown motion {motion!r}: use low or high") from None


def _check_quality(quality: str) -> Quality:
    """Return the quality as a ``Quality``, refusing unknown values."""
    try:
        return Quality(quality)
    except ValueError:
        raise InvalidRequestError(f"unknown quality {quality!r}: use 480p or 720p") from None


def _check_image(image: object) -> None:
    """Refuse an image that is empty or neither an http(s) URL nor a base64 image data URI."""
    if not isinstance(image, str) or not image.strip():
        raise InvalidRequestError("the image is empty")
    if _DATA_URI.match(image):
        return
    parts = urlsplit(image)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in image):
        raise InvalidRequestError("the image must be an http(s) URL or a data:image/...;base64, URI")


def _check_clip_index(index: object) -> int:
    """Return a clip index, refusing anything outside 0..CLIPS_PER_JOB-1."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < CLIPS_PER_JOB:
        raise InvalidRequestError(f"the clip index must be 0..{CLIPS_PER_JOB - 1}, not {index!r}")
    return index


def _prompt_or_default(prompt: object, default: str) -> str:
    """Return the stripped prompt, or ``default`` when it is empty; refuse an over-long one."""
    text = prompt.strip() if isinstance(prompt, str) else ""
    if len(text) > MAX_SUBMITTED_PROMPT:
        raise InvalidRequestError(f"the prompt is longer than {MAX_SUBMITTED_PROMPT} characters")
    return text or default


def _check_state(state: object) -> str:
    """Return the correlation ``state``, refusing one the upstream would reject."""
    if not isinstance(state, str):
        raise InvalidRequestError("the state must be a string")
    if len(state) > MAX_STATE_LENGTH:
        raise InvalidRequestError(f"the state is longer than {MAX_STATE_LENGTH} characters")
    return state
