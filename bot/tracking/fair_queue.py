"""The waiting queue: fair order, slot hand-out and positions, kept pure for testing.

Jobs are sorted by (round, turn of the job among its server's jobs of that round, job id). A job's
round is how many of its person's jobs are ahead of it, in every server: waiting, running, or already
served since the line formed (``served``). So slots go round-robin across people and across servers,
first in first out within a person, and a person who was just served waits behind one who was not;
a person in several servers takes one turn per round, not one per server (issue 21), and their
running limit counts their jobs in every server. Everything but ``served`` is stored (job id, server,
person, status); a requeued job (provider busy) keeps its place. A job the provider had no account
for (``yielded_at``: code 3, maybe for its kind of video only, for as long as that lasts) yields its
turn: it waits behind every other waiting job, the one that yielded longest ago first, so it can
never hold the line (see README, "Waiting").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Member = tuple[int | None, int]  # (guild id, user id): where a job is, and whose
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
# (job id, its server, the waiting job, or None for one running or served)
Slot = tuple[int, int | None, "Waiting | None"]


@dataclass(frozen=True, slots=True)
class Waiting:
    """One job waiting for a slot at the provider."""

    job_id: int
    guild_id: int | None
    user_id: int
    yielded_at: dt.datetime | None = None  # when the provider last had no account for it, if ever

    @property
    def member(self) -> Member:
        """Return the (server, user) pair the job belongs to."""
        return (self.guild_id, self.user_id)


def fair_order(waiting: Iterable[Waiting], ahead: Mapping[Member, list[int]] | None = None) -> list[Waiting]:
    """Return waiting jobs in hand-out order (O(n log n)).

    ``ahead`` holds, per member (server, person), the ids of their jobs that are running or were served
    since the line formed. They take part in the rounds like waiting jobs (a person served in round 0
    waits in round 1, whichever server; a server served in a round lets the other servers go first in
    it) but are not returned.
    Jobs that yielded their turn come after all the others, by when they yielded.
    """
    entries = list(waiting)
    yielded = sorted((entry for entry in entries if entry.yielded_at is not None), key=_yield_key)
    return _in_rounds([entry for entry in entries if entry.yielded_at is None], ahead or {}) + yielded


def _yield_key(entry: Waiting) -> tuple[dt.datetime, int]:
    return (entry.yielded_at or _NEVER, entry.job_id)


def _in_rounds(waiting: list[Waiting], ahead: Mapping[Member, list[int]]) -> list[Waiting]:
    by_person: dict[int, list[Slot]] = defaultdict(list)
    for entry in waiting:
        by_person[entry.user_id].append((entry.job_id, entry.guild_id, entry))
    for (guild_id, user_id), ids in ahead.items():
        by_person[user_id].extend((job_id, guild_id, None) for job_id in ids)
    # round -> server -> that round's jobs (served ones as None), by job id
    rounds: dict[int, dict[int | None, list[Slot]]] = defaultdict(lambda: defaultdict(list))
    for jobs in by_person.values():
        for rank, job in enumerate(sorted(jobs, key=_first)):
            rounds[rank][job[1]].append(job)
    keyed: list[tuple[int, int, int, Waiting]] = []
    for rank, servers in rounds.items():
        for jobs in servers.values():
            for turn, (job_id, _guild_id, waiting_job) in enumerate(sorted(jobs, key=_first)):
                if waiting_job is not None:
                    keyed.append((rank, turn, job_id, waiting_job))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def _first(job: Slot) -> int:
    return job[0]


def per_person(counts: Mapping[Member, int]) -> dict[int, int]:
    """Return ``counts`` per member (server, person) added up per person, across servers."""
    people: dict[int, int] = defaultdict(int)
    for (_guild_id, user_id), count in counts.items():
        people[user_id] += count
    return dict(people)


class FairQueue:
    """The waiting jobs, their cached fair order, and which of them may start now."""

    def __init__(self) -> None:
        self._entries: dict[int, Waiting] = {}
        self._order: list[Waiting] | None = None
        self._places: dict[int, int] = {}
        self._ahead: dict[Member, list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._entries

    def add(self, entry: Waiting) -> None:
        """Put a job in the queue (again): its place follows from its id, not from when it was added."""
        self._entries[entry.job_id] = entry
        self._order = None

    def remove(self, job_id: int) -> bool:
        """Take a job out of the queue (started, cancelled or finished); False if it was not waiting."""
        if self._entries.pop(job_id, None) is None:
            return False
        self._order = None
        return True

    def set_ahead(self, ahead: Mapping[Member, Iterable[int]]) -> None:
        """Tell the queue each member's running and recently served job ids (their rounds depend on it)."""
        current = {member: sorted(ids) for member, ids in ahead.items() if ids}
        if current != self._ahead:
            self._ahead = current
            self._order = None

    def order(self) -> list[Waiting]:
        """Return the waiting jobs in fair order (recomputed only after a change)."""
        if self._order is None:
            self._order = fair_order(self._entries.values(), self._ahead)
            self._places = {entry.job_id: place for place, entry in enumerate(self._order, start=1)}
        return self._order

    def position(self, job_id: int) -> int | None:
        """Return a job's 1-based position in line, or None when it is not waiting."""
        if job_id not in self._entries:
            return None
        self.order()
        return self._places[job_id]

    def pick(
        self,
        free_slots: int,
        running: Mapping[Member, int],
        limit_for: Callable[[int | None], int],
    ) -> list[Waiting]:
        """Remove and return up to ``free_slots`` jobs, in fair order, whose person is under their limit.

        ``running`` counts each member's jobs at the provider; a person's running jobs in every server
        count against the running limit of the server of the job about to start (``limit_for``).
        """
        counts = per_person(running)
        chosen: list[Waiting] = []
        for entry in self.order():
            if len(chosen) >= free_slots:
                break
            if counts.get(entry.user_id, 0) < limit_for(entry.guild_id):
                counts[entry.user_id] = counts.get(entry.user_id, 0) + 1
                chosen.append(entry)
        for entry in chosen:
            self.remove(entry.job_id)
        return chosen
