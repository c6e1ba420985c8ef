"""The naive baseline for the end-to-end benchmark: one polling task per job, the way most bots do it.

``NaiveTracker`` keeps ``JobTracker``'s public interface (``start``, ``enqueue``, ``stop``,
``subscribe``, ``accepting``, ``auth_failed``, ``in_flight``, ``events``, ``last_cycle_cpu``) and
reuses its submission, persistence and event helpers, so the only difference from Motionbot is how
jobs are followed: each job gets its own asyncio task that calls ``fetch_task`` every
``POLL_INTERVAL_SECONDS`` until the job ends. ``open_naive_services`` is the composition root of
``bot.__main__.open_services`` with this tracker in place of the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.__main__ import open_services
from bot.client import Services
from bot.models import FailureKind, Job, JobStatus, utcnow
from bot.provider.cometapi import CometAPIClient
from bot.provider.cometapi_types import AuthenticationError, CometAPIError, TaskNotFoundError
from bot.settings import Settings
from bot.store import JobStore
from bot.tracking.tracker import STOP_GRACE_SECONDS, JobTracker, TrackerHalted

log = logging.getLogger(__name__)


class NaiveTracker(JobTracker):
    """Follows every job with its own task: submit, then ``fetch_task`` every poll interval.

    There is no poll cycle here, so ``last_cycle_cpu`` is the process CPU time of the last poll
    interval (the span in which every job is fetched once), set with ``last_poll_at`` at the end of
    each interval, and ``cycles`` counts those intervals.
    """

    def __init__(
        self,
        store: JobStore,
        client: CometAPIClient,
        *,
        poll_interval: float,
        job_timeout: dt.timedelta,
        clock: Callable[[], dt.datetime] = utcnow,
        **options: Any,
    ) -> None:
        super().__init__(
            store, client, poll_interval=poll_interval, job_timeout=job_timeout, clock=clock, **options
        )
        self._interval = poll_interval
        self._halt = asyncio.Event()

    async def start(self) -> None:
        """Resume stored jobs (one task each) and start the CPU meter."""
        await self._resume()
        # Each job's own task submits it: nothing waits in a shared queue.
        for job_id in list(self._records.active):
            self._dispatch.forget(job_id)
        for job_id in list(self._records.active):
            self._follow_in_background(job_id)
        self._loop_task = asyncio.create_task(self._meter(), name="naive-cpu-meter")

    async def enqueue(self, job: Job) -> None:
        """Start a task that submits ``job`` and polls it; raises TrackerHalted when not accepting."""
        if not self.accepting:
            raise TrackerHalted
        self._records.track(job)
        self._follow_in_background(job.id)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Wake every sleeping poller so it exits, then finish like the real tracker."""
        self._stopping = True
        self._halt.set()
        await super().stop(grace)

    # -- one task per job -----------------------------------------------------------------------

    def _follow_in_background(self, job_id: int) -> None:
        self._own(self._follow(job_id), name=f"follow-{job_id}")

    async def _follow(self, job_id: int) -> None:
        if not await self._submitted(job_id):
            return
        while job_id in self._records.active and not await self._paused(self._interval):
            try:
                await self._poll_once(job_id)
            except Exception:
                log.exception("handling job %s failed; its poller carries on", job_id)

    async def _submitted(self, job_id: int) -> bool:
        """Submit the job (again after a busy provider's delay); return True once it has a task id."""
        while not self._stopping:
            if job_id not in self._records.active:
                return False
            if self._has_task(job_id):
                return True
            await self._submit(job_id)
            if not self._dispatch.forget(job_id):  # not sent back by a busy provider: submitted, or failed
                return self._has_task(job_id)
            due = self._dispatch.hold_until() or time.monotonic()
            if await self._paused(due - time.monotonic()):
                return False
        return False

    def _has_task(self, job_id: int) -> bool:
        job = self._records.active.get(job_id)
        return job is not None and job.status in (JobStatus.SUBMITTED, JobStatus.RUNNING)

    async def _paused(self, seconds: float) -> bool:
        """Sleep ``seconds``; return True when the tracker is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._halt.wait(), timeout=max(0.0, seconds))
        return self._stopping

    async def _poll_once(self, job_id: int) -> None:
        job = self._records.active.get(job_id)
        if job is None or job.provider_task_id is None:
            return
        if job.created_at <= self._clock() - self._timeout:
            minutes = max(1, round(self._timeout.total_seconds() / 60))
            await self._fail(job, FailureKind.TIMEOUT, f"no result after {minutes} minutes", True)
            return
        try:
            snapshot = await self._client.fetch_task(job.provider_task_id)
        except TaskNotFoundError:
            await self._fail(job, FailureKind.PROVIDER_FAILED, "the provider no longer knows this task")
            return
        except AuthenticationError as exc:
            self._halt_on_auth(exc)
            return
        except CometAPIError as exc:
            log.warning("polling job %s failed: %s", job_id, exc.description)
            return
        report = await self._observe(job, snapshot)
        if report is not None:
            await self._record_progress([report], {job.id: job.lease_token})

    async def _meter(self) -> None:
        """Record the process CPU time of each poll interval until the tracker stops."""
        started = time.process_time()
        while not await self._paused(self._interval):
            now = time.process_time()
            self.last_cycle_cpu, started = now - started, now
            self.cycles += 1
            self.last_cycle_at = self.last_poll_at = time.monotonic()


def open_naive_services(settings: Settings) -> contextlib.AbstractAsyncContextManager[Services]:
    """Build the bot's services exactly as ``bot.__main__.open_services`` does, with a NaiveTracker."""
    return open_services(settings, tracker_class=NaiveTracker)
