"""Who may go to the provider next: the fair queue, the process-wide running cap and the busy back-off.

Owned by the tracker. A slot is free while fewer than ``cap`` jobs are at the provider (submitting,
submitted or running); it goes to the next waiting job in fair order whose member is under their
own running limit. While the provider says it is busy nothing new is sent until the back-off ends.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.models import Job, JobStatus
from bot.provider import ProviderCondition, ProviderState, busy_delay
from bot.tracking.fair_queue import FairQueue, Member, Waiting

RunningLimit = Callable[[int | None], Awaitable[int]]

DEFAULT_PROVIDER_CAP = 10
EXACT_POSITIONS = 25  # beyond this, cards say "more than 25 ahead" and are not edited as the line moves


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """A waiting job's place in line as shown: exact up to ``EXACT_POSITIONS``, else "more than"."""

    place: int
    exact: bool
    wait_seconds: float


@dataclass(frozen=True, slots=True)
class QueueView:
    """What ``/queue`` shows for one server: a bounded list of each kind and the full counts."""

    running: list[Job]
    running_total: int
    waiting: list[tuple[int, Job]]  # (place in the whole line, job)
    waiting_total: int


async def _unlimited(_guild_id: int | None) -> int:
    return 1_000_000


class Dispatcher:
    """The waiting queue and the rules for handing out provider slots."""

    def __init__(
        self,
        *,
        cap: int = DEFAULT_PROVIDER_CAP,
        running_limit: RunningLimit | None = None,
        busy_base: float = 5.0,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.cap = cap
        self.queue = FairQueue()
        self.state = ProviderState()
        self._running_limit = running_limit or _unlimited
        self._busy_base = busy_base
        self._busy_streak = 0
        self._hold_until = 0.0
        self._clock = clock
        self._shown: dict[int, int] = {}
        # Jobs handed a slot since the line last formed, per member: fairness memory (see fair_queue).
        self._served: dict[Member, set[int]] = {}
        self._dirty = True
        self._announced: list[Waiting] | None = None

    def add(self, job: Job) -> None:
        """Put a waiting job in line (again, after a busy answer: at its own place).

        A job the provider had no account for (``Job.capacity_refused_at``) goes behind the others.
        """
        self.queue.add(waiting_entry(job))
        self._dirty = True

    def forget(self, job_id: int) -> bool:
        """Drop a job from the line (it started, ended or was withdrawn); False if it was not waiting."""
        self._shown.pop(job_id, None)
        self._dirty = True
        return self.queue.remove(job_id)

    def changed(self) -> None:
        """Note that a tracked job changed (started, ended): the next cycle looks at the line again."""
        self._dirty = True

    def held(self, now: float) -> bool:
        """Return True while the busy back-off holds every submission."""
        return now < self._hold_until

    def hold_until(self) -> float | None:
        """Return when the back-off ends (monotonic), or None when there is none to wait for."""
        return self._hold_until or None

    def next_refresh(self) -> float | None:
        """Return when the line must be looked at again without a change (never, for one process)."""
        return None

    async def take(self, active: Mapping[int, Job]) -> list[int]:
        """Remove and return the waiting jobs that may be submitted now, in fair order.

        Work is done only after a change (O(n log n) then), never on an idle cycle.
        """
        now = time.monotonic()
        if self._hold_until and now >= self._hold_until:
            self._hold_until, self._dirty = 0.0, True  # the back-off is over: try again
        if not self._dirty or self.held(now):
            return []
        self._dirty = False
        if not self.queue:
            # Nobody waits: the next line starts afresh, counting only the jobs still running.
            self._served = {}
            for job in active.values():
                self._served.setdefault((job.guild_id, job.requester_id), set()).add(job.id)
            return []
        running = self.running_by_member(active)
        self._set_ahead(active)
        free = self.cap - sum(running.values())
        if free <= 0:
            return []
        guilds = {entry.guild_id for entry in self.queue.order()}
        limits = {guild: await self._running_limit(guild) for guild in guilds}
        picked = self.queue.pick(free, running, lambda guild: limits.get(guild, 1))
        for entry in picked:
            self._shown.pop(entry.job_id, None)
        for entry in picked:
            self._served.setdefault(entry.member, set()).add(entry.job_id)
        if picked:
            self._set_ahead(active)
        return [entry.job_id for entry in picked]

    def _set_ahead(self, active: Mapping[int, Job]) -> None:
        ahead = {member: set(ids) for member, ids in self._served.items()}
        for job in active.values():
            if job.id not in self.queue:
                ahead.setdefault((job.guild_id, job.requester_id), set()).add(job.id)
        self.queue.set_ahead(ahead)

    def running_by_member(self, active: Mapping[int, Job]) -> Counter[Member]:
        """Count the jobs at the provider (or on their way) per member."""
        return Counter(
            (job.guild_id, job.requester_id) for job in active.values() if job.id not in self.queue
        )

    def running_count(self, active: Mapping[int, Job]) -> int:
        """Return how many jobs are at the provider or being sent."""
        return len(active) - len(self.queue)

    def moved(self) -> list[int]:
        """Return the waiting jobs whose shown place changed since last asked (O(n) per queue change)."""
        order = self.queue.order()
        if order is self._announced:
            return []  # the line has not changed since the last call
        # The first line of a process is the one resumed after a restart: a card beyond the exact
        # places already says "more than N ahead", so re-editing it would only spend rate limits.
        resumed = self._announced is None
        self._announced = order
        changed = []
        for place, entry in enumerate(order, start=1):
            shown = min(place, EXACT_POSITIONS + 1)
            if self._shown.get(entry.job_id) != shown:
                self._shown[entry.job_id] = shown
                if not (resumed and shown > EXACT_POSITIONS):
                    changed.append(entry.job_id)
        return changed

    def place(self, job_id: int, typical_seconds: float) -> QueuePlace | None:
        """Return a waiting job's place and wait estimate (whole rounds of ``cap`` jobs), or None."""
        place = self.queue.position(job_id)
        if place is None:
            return None
        wait = math.ceil(place / max(1, self.cap)) * typical_seconds
        return QueuePlace(min(place, EXACT_POSITIONS + 1), place <= EXACT_POSITIONS, wait)

    def view(self, active: Mapping[int, Job], guild_id: int, limit: int) -> QueueView:
        """Return one server's running and waiting jobs (at most ``limit`` of each) and their counts."""
        running = sorted(
            (job for job in active.values() if job.guild_id == guild_id and job.id not in self.queue),
            key=lambda job: job.id,
        )
        waiting: list[tuple[int, Job]] = []
        total = 0
        for place, entry in enumerate(self.queue.order(), start=1):
            if entry.guild_id != guild_id:
                continue
            total += 1
            job = active.get(entry.job_id)
            if job is not None and len(waiting) < limit:
                waiting.append((place, job))
        return QueueView(running[:limit], len(running), waiting, total)

    # -- what the provider said -------------------------------------------------------------

    def busy(self, retry_after: float | None) -> float:
        """Record a busy answer and hold every submission; return the hold in seconds."""
        self._busy_streak += 1
        delay = busy_delay(self._busy_streak, self._busy_base, retry_after)
        self._hold_until = time.monotonic() + delay
        self.state = self.state.seen(ProviderCondition.BUSY, self._clock())
        return delay

    def reached(self) -> None:
        """Record that the provider answered a poll: it is reachable (busy is only ended by a submit)."""
        if self.state.condition is ProviderCondition.UNREACHABLE:
            self.state = ProviderState()

    def unreachable(self) -> None:
        """Record that the provider could not be reached (after the client's retries)."""
        self.state = self.state.seen(ProviderCondition.UNREACHABLE, self._clock())

    def answered(self) -> None:
        """Record a normal answer: the back-off and any busy/unreachable state end."""
        self._busy_streak = 0
        self._hold_until = 0.0
        self.state = self.state.seen(ProviderCondition.NORMAL, self._clock())


def waiting_entry(job: Job) -> Waiting:
    """Return a waiting job's entry in the fair queue."""
    return Waiting(job.id, job.guild_id, job.requester_id, job.capacity_refused_at)


def is_waiting(job: Job) -> bool:
    """Return True for a job that waits for a provider slot."""
    return job.status is JobStatus.QUEUED
