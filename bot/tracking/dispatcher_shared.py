"""The dispatcher for several processes on one shared store: the line and the slots live in the database.

Each refresh runs ONE store transaction under a lock every process takes (``JobStore.dispatch``): it
reads every waiting job and every job at the provider, of every process, orders the line with the same
fair rules (``bot.tracking.fair_queue``) and moves the jobs that may start now to SUBMITTING, leased to this
process. So the provider cap, the members' running limits and the fair order hold across processes,
and no job is handed to two. The line as read is kept for card positions and ``/queue``; it is read
again after any local change and at least every ``refresh_seconds`` (other processes change it too).

The rounds count what one process keeps in memory, read from the database instead: a member's jobs
at the provider and those served while the oldest waiting job waited, so a member who was just
served waits behind one who was not, whichever process served them. A job the provider had no account
for goes behind the others by its stored ``capacity_refused_at``, so every process sees it there: an
order kept in one process's memory would let the processes disagree on whose turn it is, and each
would leave the slot to the other's job.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from bot.models import Job
from bot.tracking.dispatcher import Dispatcher, QueueView, RunningLimit, is_waiting, waiting_entry
from bot.tracking.fair_queue import FairQueue, Member

Decide = Callable[[list[Job], list[Job], list[Job]], Awaitable[list[int]]]
StoreDispatch = Callable[[Decide], Awaitable[list[Job]]]


class SharedDispatcher(Dispatcher):
    """Hands out provider slots through the shared store; the queue mirrors the whole line."""

    def __init__(
        self,
        *,
        refresh_seconds: float,
        cap: int,
        running_limit: RunningLimit | None,
        busy_base: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        super().__init__(cap=cap, running_limit=running_limit, busy_base=busy_base, clock=clock)
        self.refresh_seconds = refresh_seconds
        self._next_refresh = 0.0
        self._line: dict[int, Job] = {}
        self._at_provider = 0

    def next_refresh(self) -> float | None:
        """Return when the line is read again even without a local change (monotonic)."""
        return self._next_refresh

    async def claim(self, dispatch: StoreDispatch, held_jobs: Mapping[int, Job]) -> list[Job]:
        """Read the whole line and move this process's jobs that may start now to SUBMITTING.

        ``held_jobs`` are the jobs this process holds (the tracker's). A job whose turn it is but that
        another process holds is left to that process (it dispatches within ``refresh_seconds``), so
        each job stays with the process of its server's shard unless that process stops.
        """
        now = time.monotonic()
        if self._hold_until and now >= self._hold_until:
            self._hold_until, self._dirty = 0.0, True  # the back-off is over: try again
        if not self._dirty and now < self._next_refresh:
            return []
        self._dirty = False
        self._next_refresh = now + self.refresh_seconds
        held = self.held(now)
        try:
            return await dispatch(
                lambda waiting, at_provider, served: self._decide(
                    waiting, at_provider, served, held, held_jobs
                )
            )
        except BaseException:
            self._dirty = True  # the line as read may not have been stored: read it again
            raise

    async def _decide(
        self,
        waiting: list[Job],
        at_provider: list[Job],
        served: list[Job],
        held: bool,
        held_jobs: Mapping[int, Job],
    ) -> list[int]:
        queue = FairQueue()
        # Ours waiting, stored after the line was read (the read does not see them yet), wait too.
        for job in (*waiting, *(job for job in held_jobs.values() if is_waiting(job))):
            queue.add(waiting_entry(job))
        queue.set_ahead(_by_member([*at_provider, *served]))
        ahead = _by_member(at_provider)
        self.queue = queue
        self._line = {job.id: job for job in (*waiting, *at_provider)}
        self._at_provider = len(at_provider)
        free = self.cap - len(at_provider)
        if held or free <= 0 or not queue:
            return []
        guilds = {entry.guild_id for entry in queue.order()}
        limits = {guild: await self._running_limit(guild) for guild in guilds}
        running = Counter({member: len(ids) for member, ids in ahead.items()})
        picked = queue.pick(free, running, lambda guild: limits.get(guild, 1))
        ours = [entry for entry in picked if entry.job_id in held_jobs]
        for entry in picked:
            if entry.job_id in held_jobs:
                self._shown.pop(entry.job_id, None)
            else:
                queue.add(entry)  # still waiting, for its own process to send
        self._at_provider += len(ours)
        return [entry.job_id for entry in ours]

    def running_count(self, active: Mapping[int, Job]) -> int:
        """Return how many jobs of every process were at the provider or being sent, as last read."""
        return self._at_provider

    def view(self, active: Mapping[int, Job], guild_id: int, limit: int) -> QueueView:
        """Return one server's running and waiting jobs across processes (ours as last tracked)."""
        known = {**self._line, **active}
        # A job of ours stored after the last read is waiting, not running, until the next read.
        shown = {job_id: job for job_id, job in known.items() if not is_waiting(job) or job_id in self.queue}
        return super().view(shown, guild_id, limit)


def dispatcher_for(
    *,
    shared: bool,
    refresh_seconds: float,
    cap: int,
    running_limit: RunningLimit | None,
    busy_base: float,
    clock: Callable[[], dt.datetime],
) -> Dispatcher:
    """Return the in-memory dispatcher for one process, or the database one for a shared store."""
    if shared:
        return SharedDispatcher(
            refresh_seconds=refresh_seconds,
            cap=cap,
            running_limit=running_limit,
            busy_base=busy_base,
            clock=clock,
        )
    return Dispatcher(cap=cap, running_limit=running_limit, busy_base=busy_base, clock=clock)


def _by_member(jobs: list[Job]) -> dict[Member, set[int]]:
    members: dict[Member, set[int]] = {}
    for job in jobs:
        members.setdefault((job.guild_id, job.requester_id), set()).add(job.id)
    return members
