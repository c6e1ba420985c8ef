"""The waiting queue: fair order, slot hand-out and positions, kept pure for testing.

Order is derived only from stored facts (job id, server, member), so a restart rebuilds the same
order and the same positions. Jobs are sorted by (rank within the member's own waiting list, rank
of the member's job among its server's jobs of that round, job id): round-robin across members and
across servers, first in first out within a member. A requeued job (provider busy) keeps its place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

Member = tuple[int | None, int]  # (guild id, user id)


@dataclass(frozen=True, slots=True)
class Waiting:
    """One job waiting for a slot at the provider."""

    job_id: int
    guild_id: int | None
    user_id: int

    @property
    def member(self) -> Member:
        """Return the (server, user) pair whose running limit applies to this job."""
        return (self.guild_id, self.user_id)


def fair_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    """Return waiting jobs in hand-out order (O(n log n))."""
    by_member: dict[Member, list[Waiting]] = defaultdict(list)
    for entry in sorted(waiting, key=lambda w: w.job_id):
        by_member[entry.member].append(entry)
    # round -> server -> that round's jobs of the server's members, in job id order
    rounds: dict[int, dict[int | None, list[Waiting]]] = defaultdict(lambda: defaultdict(list))
    for jobs in by_member.values():
        for rank, entry in enumerate(jobs):
            rounds[rank][entry.guild_id].append(entry)
    keyed: list[tuple[int, int, int, Waiting]] = []
    for rank, servers in rounds.items():
        for jobs in servers.values():
            keyed.extend(
                (rank, turn, entry.job_id, entry) for turn, entry in enumerate(sorted(jobs, key=_id))
            )
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def _id(entry: Waiting) -> int:
    return entry.job_id


class FairQueue:
    """The waiting jobs, their cached fair order, and which of them may start now."""

    def __init__(self) -> None:
        self._entries: dict[int, Waiting] = {}
        self._order: list[Waiting] | None = None
        self._places: dict[int, int] = {}

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

    def order(self) -> list[Waiting]:
        """Return the waiting jobs in fair order (recomputed only after a change)."""
        if self._order is None:
            self._order = fair_order(self._entries.values())
            self._places = {entry.job_id: place for place, entry in enumerate(self._order, start=1)}
        return self._order

    def positions(self, limit: int) -> dict[int, int]:
        """Return the 1-based position of the first ``limit`` jobs in line."""
        return {entry.job_id: place for place, entry in enumerate(self.order()[:limit], start=1)}

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
        """Remove and return up to ``free_slots`` jobs, in fair order, whose member is under their limit."""
        counts = dict(running)
        chosen: list[Waiting] = []
        for entry in self.order():
            if len(chosen) >= free_slots:
                break
            if counts.get(entry.member, 0) < limit_for(entry.guild_id):
                counts[entry.member] = counts.get(entry.member, 0) + 1
                chosen.append(entry)
        for entry in chosen:
            self.remove(entry.job_id)
        return chosen
