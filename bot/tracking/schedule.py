"""When to poll each in-flight job: the adaptive part of the tracker, kept pure for testing.

The provider syncs its own upstream only every ~15 s and a clip takes about a minute, so polling
every job every tick wastes requests. Each job gets a due time: soon after submission (to catch
quick refusals), stretched while nothing changes, and pulled in near the expected finish, which
is predicted from the reported progress or, before any progress, from recently observed durations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_EXPECTED_SECONDS = 60.0
EMA_WEIGHT = 0.2


@dataclass(slots=True)
class PollState:
    """What the schedule remembers about one job between polls (monotonic seconds)."""

    started_at: float
    next_due: float
    last_progress: int = -1
    unchanged_polls: int = 0


@dataclass(slots=True)
class PollSchedule:
    """Decides each job's next poll time from its history and the base interval.

    The schedule keeps no job itself: each job's ``PollState`` lives in its tracker record
    (``bot.tracking.tracked``), and the schedule reads and updates it.
    """

    base_interval: float
    expected_seconds: float = DEFAULT_EXPECTED_SECONDS

    @property
    def min_interval(self) -> float:
        """Return the shortest gap between two polls of one job."""
        return self.base_interval / 2

    @property
    def max_interval(self) -> float:
        """Return the longest gap between two polls of one job."""
        return self.base_interval * 4

    def start(self, now: float, *, started_at: float | None = None) -> PollState:
        """Return the poll state of a job that was just submitted (or resumed): first poll soon."""
        start = now if started_at is None else started_at
        return PollState(started_at=start, next_due=now + self.min_interval)

    def due(self, polled: Iterable[tuple[int, PollState]], now: float) -> list[int]:
        """Return the jobs of ``polled`` to include in a poll at ``now``.

        The tracker makes at most one poll per base interval, so every job falling due before the
        next poll may be made rides along now: one batched request costs the same for one id or fifty.
        """
        horizon = now + self.base_interval
        return [job_id for job_id, state in polled if state.next_due <= horizon]

    def next_wakeup(self, polled: Iterable[tuple[int, PollState]], now: float) -> float:
        """Return the monotonic time of the next poll the loop should make for ``polled``."""
        earliest = min((state.next_due for _, state in polled), default=None)
        return now + self.max_interval if earliest is None else max(now, earliest)

    def observed(self, state: PollState, now: float, progress: int) -> None:
        """Record one poll result and compute the job's next due time."""
        if progress > state.last_progress:
            state.unchanged_polls = 0
            state.last_progress = progress
        else:
            state.unchanged_polls += 1
        state.next_due = now + self._interval_for(state, now)

    def missed(self, state: PollState, now: float) -> None:
        """Reschedule a job whose poll could not be made (provider fault): try again at the base pace."""
        state.next_due = now + self.base_interval

    def finished(self, state: PollState, now: float) -> None:
        """Learn from a finished job's duration (its caller stops polling it)."""
        elapsed = max(1.0, now - state.started_at)
        self.expected_seconds += EMA_WEIGHT * (elapsed - self.expected_seconds)

    def _interval_for(self, state: PollState, now: float) -> float:
        stretched = self.base_interval * (1.5 ** min(state.unchanged_polls, 4))
        interval = min(stretched, self.max_interval)
        remaining = self._predicted_remaining(state, now)
        if remaining is not None:
            # Land the next poll just after the predicted finish, never sooner than min_interval.
            interval = min(interval, max(self.min_interval, remaining + self.min_interval / 2))
        return interval

    def _predicted_remaining(self, state: PollState, now: float) -> float | None:
        elapsed = now - state.started_at
        if state.last_progress > 0:
            total = elapsed * 100 / state.last_progress
            return max(0.0, total - elapsed)
        remaining = self.expected_seconds - elapsed
        return remaining if remaining > -self.base_interval else None
