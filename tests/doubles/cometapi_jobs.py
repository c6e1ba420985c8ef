"""Tasks of the CometAPI double: how each one behaves over time and how it looks on the wire.

A task's status is computed from the (virtual) time elapsed since its submit, so nothing runs in the
background: a fetch at time t sees exactly what the gateway would show at t.
"""

from __future__ import annotations

import functools
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.doubles.media import mp4_bytes, png_bytes, webp_bytes

CLIPS_PER_TASK = 4
BATCH_SIZES = (1, 2, 4)
# Midjourney reads parameters as "--name [value]"; the upstream reads --bs from the prompt too.
_PARAM = re.compile(r"--(?P<name>[A-Za-z]+)(?:\s+(?P<value>(?!--)\S+))?")
LARGE_CLIP_BYTES = 10 * 1024 * 1024 + 64 * 1024  # just over Discord's 10 MiB upload limit
# How a finished task lists its clips (see ``TaskPlan``); every shape is one a real gateway sends.
ClipShape = Literal["videoUrls", "video_urls", "video_urls_bare", "videoUrl", "video_url", "imageUrl"]
FailField = Literal["failReason", "fail_reason"]


def prompt_params(prompt: str) -> dict[str, str]:
    """Return the ``--name value`` parameters of a prompt, the first of each name, values verbatim."""
    found: dict[str, str] = {}
    for match in _PARAM.finditer(prompt):
        found.setdefault(match.group("name").lower(), match.group("value") or "")
    return found


def batch_size(prompt: str) -> int:
    """Return the clip count a prompt asks for: ``--bs 1|2|4``, else the upstream default 4."""
    value = prompt_params(prompt).get("bs", "")
    return int(value) if value.isdecimal() and int(value) in BATCH_SIZES else CLIPS_PER_TASK


def end_image(prompt: str) -> str | None:
    """Return the ``--end`` image URL of a prompt (None without one, or for ``--end loop``)."""
    value = prompt_params(prompt).get("end")
    return None if value is None or value.lower() == "loop" else value


@dataclass
class TaskPlan:
    """How an accepted task behaves.

    ``duration`` is seconds of the double's clock from submit to the final status (0 = final at the
    first look). The first ``initial_fraction`` of it shows the gateway's ``status:""``, the next
    same-sized slice ``SUBMITTED``, the rest ``IN_PROGRESS`` with rising progress. The final status is
    ``MODAL`` if ``modal``, ``CANCEL`` if ``cancel``, ``FAILURE`` if ``fail_reason`` is set, else
    ``SUCCESS``. ``clip_shape`` picks how clips are listed: ``videoUrls`` (objects, the new-api DTO),
    ``video_urls`` (a JSON *string*: new-api's ``UserMidjourneyDto`` and older gateways),
    ``video_urls_bare`` (one bare URL string), only ``videoUrl``, only ``video_url``, or ``imageUrl``:
    no video field at all, as trueai's midjourney-proxy answers with ``EnableFillOfficialCdn`` off
    (its default), the clip being what the gateway's ``/mj/image/{id}`` relay serves. ``image_type`` is
    the Content-Type that relay answers with once the task succeeded: by default ``video/mp4`` for
    ``imageUrl`` (the upstream's imageUrl is the video) and ``image/png`` (a cover) otherwise;
    ``image/webp`` stands for a Discord-account upstream whose result is an animated webp grid.
    ``fail_field`` names the failure reason's field (``fail_reason`` as in new-api's
    ``UserMidjourneyDto``). ``clip_data`` replaces the made-up clips.
    """

    duration: float = 0.0
    initial_fraction: float = 0.1
    fail_reason: str | None = None
    failure_progress: str = "100%"
    modal: bool = False
    cancel: bool = False
    clip_min_bytes: int = 0
    clip_data: bytes | None = None  # served as every clip when set (a real H.264 MP4, say)
    omit_from_list: bool = False
    clip_shape: ClipShape = "videoUrls"
    image_type: str | None = None
    fail_field: FailField = "failReason"

    @property
    def final_status(self) -> str:
        """Return the status the task ends in."""
        if self.modal:
            return "MODAL"
        if self.cancel:
            return "CANCEL"
        return "FAILURE" if self.fail_reason is not None else "SUCCESS"


@dataclass
class DoubleTask:
    """One task the double accepted; ``forced_*`` are set by ``finish``/``fail``."""

    task_id: str
    body: dict[str, Any]
    plan: TaskPlan
    created_at: float
    submit_ms: int
    forced_status: str | None = None
    forced_reason: str = ""
    forced_at: float | None = None
    job_uuid: str = field(default="")

    def __post_init__(self) -> None:
        self.job_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"motionbot-double:{self.task_id}"))

    @property
    def prompt(self) -> str:
        """Return the prompt that was submitted."""
        return str(self.body.get("prompt", ""))

    @property
    def clip_count(self) -> int:
        """Return how many clips the task makes: its prompt's ``--bs``, else 4."""
        return batch_size(self.prompt)

    @property
    def state(self) -> str:
        """Return the caller's ``state`` tag."""
        return str(self.body.get("state", "") or "")

    @property
    def parent_task_id(self) -> str | None:
        """Return the parent of an extend task, or None."""
        return str(self.body["taskId"]) if self.body.get("action") == "extend" else None


@dataclass(frozen=True)
class Phase:
    """What a task shows at one moment."""

    status: str
    progress: str
    fail_reason: str
    started_after: float | None
    finished_after: float | None


def phase_at(task: DoubleTask, now: float) -> Phase:
    """Return the phase of ``task`` at ``now`` (same clock as ``task.created_at``)."""
    elapsed = now - task.created_at
    if task.forced_status is not None and task.forced_at is not None:
        reason = task.forced_reason if task.forced_status == "FAILURE" else ""
        return _final(task.forced_status, reason, task.plan, task.forced_at - task.created_at)
    plan = task.plan
    slice_ = plan.duration * plan.initial_fraction
    if plan.duration <= 0 or elapsed >= plan.duration:
        return _final(plan.final_status, plan.fail_reason or "", plan, plan.duration)
    if elapsed < slice_:
        return Phase("", "0%", "", None, None)
    if elapsed < 2 * slice_:
        return Phase("SUBMITTED", "0%", "", None, None)
    running_for = plan.duration - 2 * slice_
    percent = int(100 * (elapsed - 2 * slice_) / running_for) if running_for > 0 else 99
    return Phase("IN_PROGRESS", f"{max(1, min(99, percent))}%", "", 2 * slice_, None)


def _final(status: str, reason: str, plan: TaskPlan, after: float) -> Phase:
    if status == "SUCCESS":
        progress = "100%"
    elif status == "MODAL":
        progress = "0%"
    else:
        progress = plan.failure_progress
    started = min(after, 2 * plan.duration * plan.initial_fraction)
    return Phase(status, progress, reason, started, after if status != "MODAL" else None)


def task_json(task: DoubleTask, now: float, base_url: str) -> dict[str, Any]:
    """Return the gateway DTO of ``task`` at ``now``, as ``/mj/task/{id}/fetch`` sends it."""
    phase = phase_at(task, now)
    succeeded = phase.status == "SUCCESS"
    clips = clip_urls(task, base_url) if succeeded else []
    data: dict[str, Any] = {
        "id": task.task_id,
        "action": "VIDEO",
        "customId": "",
        "botType": "",
        "prompt": task.prompt,
        "promptEn": _final_prompt(task),
        "description": "提交成功",
        # The gateway only learns `state` at its first sync with the upstream.
        "state": task.state if phase.status else "",
        "submitTime": task.submit_ms,
        "startTime": _ms_after(task, phase.started_after),
        "finishTime": _ms_after(task, phase.finished_after),
        "imageUrl": f"{base_url}/mj/image/{task.task_id}" + ("" if succeeded else f"?rand={task.submit_ms}"),
        "status": phase.status,
        "progress": phase.progress,
        "failReason": "",
        "buttons": _buttons(task) if succeeded else None,
        "maskBase64": "",
        "properties": {"finalPrompt": _final_prompt(task), "finalZhPrompt": ""} if phase.status else None,
    }
    data[task.plan.fail_field] = phase.fail_reason
    data.update(_clip_fields(task.plan.clip_shape, clips))
    return data


def image_answer(task: DoubleTask, now: float) -> tuple[bytes, str]:
    """Return the body and Content-Type the ``/mj/image/{id}`` relay serves for ``task`` at ``now``.

    The relay streams the upstream's imageUrl with the upstream's Content-Type (new-api
    ``RelayMidjourneyImage``): a cover while the task runs, then what ``TaskPlan.image_type`` says.
    """
    plan = task.plan
    if phase_at(task, now).status != "SUCCESS":
        return png_bytes(seed=task.task_id), "image/png"
    natural = "video/mp4" if plan.clip_shape == "imageUrl" else "image/png"
    content_type = plan.image_type or natural
    if content_type.startswith("video/"):
        return plan.clip_data or clip_bytes(task.task_id, 0, plan.clip_min_bytes), content_type
    if content_type == "image/webp":
        return webp_bytes(seed=task.task_id), content_type
    return png_bytes(seed=task.task_id), content_type


def clip_urls(task: DoubleTask, base_url: str) -> list[str]:
    """Return the URLs of the task's clips (``--bs``, else four), served by the double."""
    return [f"{base_url}/cdn/video/{task.task_id}/{index}.mp4" for index in range(task.clip_count)]


@functools.lru_cache(maxsize=32)
def clip_bytes(task_id: str, index: int, min_size: int) -> bytes:
    """Return the MP4 of one clip: deterministic per (task, index), different between clips."""
    return mp4_bytes(f"{task_id}:{index}", min_size=min_size)


class TaskIds:
    """Makes task ids the way trueai's midjourney-proxy does: unix ms + 3 random digits."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._last = 0

    def next(self) -> str:
        """Return a new, strictly increasing 16-digit id."""
        candidate = int(time.time() * 1000) * 1000 + self._random.randrange(1000)
        self._last = max(candidate, self._last + 1)
        return str(self._last)


def _clip_fields(shape: ClipShape, clips: list[str]) -> dict[str, Any]:
    main = clips[0] if clips else ""
    if shape == "video_urls":
        return {"videoUrl": main, "video_urls": json.dumps([{"url": url} for url in clips])}
    if shape == "video_urls_bare":
        return {"videoUrl": "", "video_urls": main}
    if shape == "videoUrl":
        return {"videoUrl": main}
    if shape == "video_url":
        return {"videoUrl": "", "video_url": main}
    if shape == "imageUrl":
        # What the new-api DTO carries when the upstream filled no video field (videoUrls omitted).
        return {"videoUrl": "", "videoUrls": None}
    return {"videoUrl": main, "videoUrls": [{"url": url} for url in clips] or None}


def _final_prompt(task: DoubleTask) -> str:
    source = task.body.get("image") or f"extend {task.parent_task_id}#{task.body.get('index')}"
    return f"{source} {task.prompt} --video 1 --motion {task.body.get('motion', 'low')}"


def _ms_after(task: DoubleTask, seconds: float | None) -> int:
    return 0 if seconds is None else task.submit_ms + int(seconds * 1000)


def _buttons(task: DoubleTask) -> list[dict[str, Any]]:
    upscales = [
        {
            "customId": f"MJ::JOB::video_virtual_upscale::{slot}::{task.job_uuid}",
            "emoji": "",
            "label": f"U{slot}",
            "type": 2,
            "style": 2,
        }
        for slot in range(1, task.clip_count + 1)
    ]
    reroll = {
        "customId": f"MJ::JOB::reroll::0::{task.job_uuid}::SOLO",
        "emoji": "🔄",
        "label": "",
        "type": 2,
        "style": 2,
    }
    return [*upscales, reroll]
