"""How the CometAPI double checks a submit, as trueai-org/midjourney-proxy's ``SubmitController`` does.

``submit_problem`` returns the (code, description) the upstream would refuse a body with, or None.
The descriptions are the upstream's own; the checks are applied after auth and faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.doubles.cometapi_images import parse_image
from tests.doubles.cometapi_jobs import CLIPS_PER_TASK, DoubleTask, phase_at

VIDEO_TYPES = frozenset({"vid_1.1_i2v_480", "vid_1.1_i2v_720"})
# Services/TaskService.cs: ReturnCode.NOT_FOUND (3) when no account instance can take the task (the
# new-api gateway reads it as "No available account instance", relay/mjproxy_handler.go).
NO_INSTANCE = (3, "无可用的账号实例")


def submit_problem(
    body: dict[str, Any], tasks: Mapping[str, DoubleTask], now: float
) -> tuple[int, str] | None:
    """Return (code, description) for a body the upstream would refuse, else None."""
    action = body.get("action")
    if action not in (None, "", "extend"):
        return 4, "任务类型错误"
    if body.get("motion") not in ("low", "high"):
        return 4, "motion 参数错误"
    if not str(body.get("prompt") or "").strip():
        return 4, "Prompt 不能为空"
    if len(str(body.get("state") or "")) > 255:
        return 4, "state 长度不能超过255"
    if body.get("videoType") not in (None, *VIDEO_TYPES):
        return 4, "videoType 参数错误"
    if action == "extend":
        return _extend_problem(body, tasks, now)
    image = body.get("image")
    if not isinstance(image, str) or not image.strip():
        return 4, "image 不能为空"
    try:
        parse_image(image)
    except ValueError:
        return 4, "base64格式错误"
    return None


def _extend_problem(
    body: dict[str, Any], tasks: Mapping[str, DoubleTask], now: float
) -> tuple[int, str] | None:
    index, parent_id = body.get("index"), body.get("taskId")
    if index is None or not parent_id:
        return 4, "index 和 taskId 不能为空"
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < CLIPS_PER_TASK:
        return 4, "index 参数错误"
    parent = tasks.get(str(parent_id))
    if parent is None:
        return 3, "关联任务不存在或已失效"
    if index >= parent.clip_count:
        return 4, "index 参数错误"
    if phase_at(parent, now).status != "SUCCESS":
        return 4, "关联任务状态错误"
    return None
