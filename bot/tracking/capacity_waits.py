"""How long each job's submits have been answered "no account instance", and the bound on that wait.

CometAPI's upstream answers a submit with code 3 ("无可用的账号实例") when none of its accounts can
take the task now; it also does so when none can make the job's KIND of video (720p needs an
HD-capable account), for as long as that lasts. So the wait is bounded: once a job's submits have got
that answer for longer than ``JOB_TIMEOUT_MINUTES`` (the time the bot otherwise gives a job at the
provider) the job fails as ``FailureKind.NO_CAPACITY``, free of charge, and the member may retry.

The first such answer per job is remembered in memory by the process that sends the job. A process
that takes the job up without that memory (after a restart, or taking over a stopped process's job)
counts from the job's stored last refusal (``Job.capacity_refused_at``): the bound then runs from a
little later than the first answer, never from scratch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.models import Job


class CapacityWaits:
    """The first "no account instance" answer of every job still waiting it out, in this process."""

    def __init__(self, bound: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        self.bound = bound
        self._clock = clock
        self._since: dict[int, dt.datetime] = {}

    def outlasted(self, job: Job) -> bool:
        """Record a "no account instance" answer for ``job``; True once they have lasted past the bound."""
        now = self._clock()
        since = self._since.setdefault(job.id, job.capacity_refused_at or now)
        return now - since >= self.bound

    def reason(self, answer: str) -> str:
        """Return the stored reason of a job failed for this: the provider's answer and the bound."""
        return f"{answer}, for more than {self.bound.total_seconds() / 60:g} minutes"

    def forget(self, job_id: int) -> None:
        """Drop a job that is no longer waiting to be sent (sent, ended, or held by another process)."""
        self._since.pop(job_id, None)
