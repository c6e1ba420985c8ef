"""Cancelling jobs in the tracker: a submit on the wire records nothing, a late result is ignored."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.models import JobStatus
from bot.store import TooLateToCancel
from bot.tracking.events import JobEventKind
from tests.bot.tracking.test_tracker import make_tracker, new_job, queue, store  # noqa: F401 - fixtures
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan


async def logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 5.0) -> logging.LogRecord:
    """Wait until a log line containing ``text`` was written (the tracker's only trace of it)."""
    async with asyncio.timeout(timeout):
        while True:
            for record in caplog.records:
                if text in record.getMessage():
                    return record
            await asyncio.sleep(0.01)


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


async def test_a_job_cancelled_while_its_submit_is_on_the_wire_records_nothing(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
    caplog,
):
    """The provider has no cancel endpoint: the task id that comes back is logged, not stored."""
    caplog.set_level(logging.INFO, logger="bot.tracking.tracker")
    cometapi_double.inject(FaultKind.SLOW, endpoint="submit", delay=0.5)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    await until(lambda: cometapi_double.counts["submit"] == 1)

    cancelled = await tracker.cancel(job.id)
    record = await logged(caplog, "is left alone")

    (task_id,) = cometapi_double.tasks
    assert task_id in record.getMessage()
    stored = await store.get_job(job.id)
    assert stored == cancelled and stored.status is JobStatus.CANCELLED and stored.provider_task_id is None
    await events.wait_for(lambda: events.kinds(job.id) == [JobEventKind.CANCELLED])
    assert tracker.in_flight == 0 and errors(caplog) == []


async def test_a_result_arriving_in_a_poll_already_under_way_is_ignored_and_charged_once(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
    caplog,
):
    """The poll that was in flight at the cancel brings the clips: no success, no error loop, and the
    job stays charged once (the provider had it when it was cancelled, issue 21)."""
    caplog.set_level(logging.INFO, logger="bot")
    cometapi_double.default_plan = TaskPlan(duration=0)
    cometapi_double.inject(FaultKind.SLOW, endpoint="list", delay=0.5)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(job.id))
    await until(lambda: cometapi_double.counts["list"] >= 1)

    await tracker.cancel(job.id)
    await logged(caplog, "result is ignored")

    assert (await store.get_job(job.id)).status is JobStatus.CANCELLED
    assert events.kinds(job.id) == [JobEventKind.SUBMITTED, JobEventKind.CANCELLED]
    assert (await store.usage_today(22, 11)).user_today == 1
    assert errors(caplog) == []


async def test_cancel_of_a_job_with_its_result_is_refused(store, make_tracker, cometapi_double):  # noqa: F811
    """A succeeded job is being delivered: too late, and the tracker changes nothing."""
    cometapi_double.default_plan = TaskPlan(duration=0)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)

    with pytest.raises(TooLateToCancel) as caught:
        await tracker.cancel(job.id)

    assert caught.value.current is JobStatus.SUCCEEDED
    assert await store.get_job(job.id) == final
