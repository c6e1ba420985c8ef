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

from bot.tracking.tracked import TrackedJob


class CapacityWaits:
    """The bound on how long a job's submits may meet "no account instance" before it fails.

    Each job's first such answer in this process is kept in its tracker record (``refused_since``).
    """

    def __init__(self, bound: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        self.bound = bound
        self._clock = clock

    def outlasted(self, record: TrackedJob) -> bool:
        """Record a "no account instance" answer for the job; True once they have lasted past the bound."""
        now = self._clock()
        if record.refused_since is None:
            record.refused_since = record.job.capacity_refused_at or now
        return now - record.refused_since >= self.bound

    def reason(self, answer: str) -> str:
        """Return the stored reason of a job failed for this: the provider's answer and the bound."""
        return f"{answer}, for more than {self.bound.total_seconds() / 60:g} minutes"
