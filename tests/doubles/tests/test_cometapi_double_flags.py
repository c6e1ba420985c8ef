"""The CometAPI double reads Midjourney flags in a prompt like the upstream: --bs, --end, others verbatim."""

from __future__ import annotations

import pytest

from tests.doubles import fixtures_cometapi
from tests.doubles.tests.test_cometapi_double import GOOD, call, submit

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session


async def task_of(session, double, prompt: str) -> dict:
    _, body, _ = await submit(session, double, {**GOOD, "prompt": prompt})
    assert body["code"] == 1, body
    _, task, _ = await call(session, "GET", f"{double.base_url}/mj/task/{body['result']}/fetch")
    return task


@pytest.mark.parametrize(
    ("prompt", "count"), [("waves --bs 1", 1), ("waves --bs 2", 2), ("waves --bs 4", 4), ("waves", 4)]
)
async def test_clip_count_follows_bs(cometapi_double, cometapi_session, prompt, count):
    """--bs 1|2|4 makes that many clips (and U buttons); without it, the upstream default of 4."""
    task = await task_of(cometapi_session, cometapi_double, prompt)
    assert len(task["videoUrls"]) == count
    assert sum(button["label"].startswith("U") for button in task["buttons"]) == count
    status, _, _ = await call(
        cometapi_session, "GET", f"{cometapi_double.base_url}/cdn/video/{task['id']}/{count}.mp4"
    )
    assert status == 404


async def test_end_image_is_fetched_and_must_exist(cometapi_double, cometapi_session):
    """--end <url> is fetched: an image there lets the task succeed, a 404 fails it like the upstream."""
    seed = cometapi_double.add_task()
    good = f"{cometapi_double.base_url}/mj/image/{seed}"
    bad = f"{cometapi_double.base_url}/mj/image/404"
    assert (await task_of(cometapi_session, cometapi_double, f"waves --end {good}"))["status"] == "SUCCESS"
    failed = await task_of(cometapi_session, cometapi_double, f"waves --end {bad} --motion low")
    assert failed["status"] == "FAILURE"
    assert bad in failed["failReason"]
    assert cometapi_double.end_fetches == [good, bad]


async def test_end_loop_fetches_nothing(cometapi_double, cometapi_session):
    """--end loop is Midjourney's loop, not an image."""
    assert (await task_of(cometapi_session, cometapi_double, "waves --end loop"))["status"] == "SUCCESS"
    assert cometapi_double.end_fetches == []


async def test_unknown_flags_are_kept_verbatim(cometapi_double, cometapi_session):
    """The upstream passes flags it does not know through: they stay in the stored prompt."""
    task = await task_of(cometapi_session, cometapi_double, "waves --fast --ar 16:9 --weird")
    assert task["prompt"] == "waves --fast --ar 16:9 --weird"
    assert "waves --fast --ar 16:9 --weird --video 1 --motion low" in task["promptEn"]


async def test_extend_index_must_be_a_clip_of_the_parent(cometapi_double, cometapi_session):
    """A parent made with --bs 2 has clips 0 and 1 only."""
    parent = await task_of(cometapi_session, cometapi_double, "waves --bs 2")
    extend = {"action": "extend", "taskId": parent["id"], "motion": "low", "prompt": "more", "state": ""}
    _, ok, _ = await submit(cometapi_session, cometapi_double, {**extend, "index": 1})
    _, refused, _ = await submit(cometapi_session, cometapi_double, {**extend, "index": 2})
    assert (ok["code"], refused["code"]) == (1, 4)
