"""Everything the Cards cog keeps about one job's card, in one record, made and dropped in one place.

``CardStates`` holds a ``CardState`` for every job whose card this process keeps current: from its
first progress edit (or, for a job an earlier process left in flight, from the cog's loading) until
its final state is shown, or until another process holds the job and shows its card. The coalesced
edits, the edit lock and the resumed note keep what they know of the card in its record's fields,
never in maps of their own, so a job's card is forgotten whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import ValuesView
from dataclasses import dataclass, field

from bot.models import Job


@dataclass(slots=True, eq=False)
class CardState:
    """What the Cards cog keeps about one job's card between the tracker's events."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one edit of the card at a time
    latest: Job | None = None  # the newest version of the job not drawn yet (edits are coalesced)
    shown: Job | None = None  # the job as stored after the card's last edit
    signature: str | None = None  # what the card's last edit showed
    last_edit: float = 0.0  # time.monotonic() of the card's last edit
    timer: asyncio.Task[None] | None = None  # a coalesced edit waiting for its turn
    editing: bool = False  # the timer's edit is under way: cancelling it now could leak a rate-limit lock
    resumed: bool = False  # left in flight by an earlier process: the next edit says so, once


class CardStates:
    """One ``CardState`` per job whose card the Cards cog keeps current."""

    def __init__(self) -> None:
        self._records: dict[int, CardState] = {}

    def get(self, job_id: int) -> CardState | None:
        """Return the record of the job's card, or None when none is kept."""
        return self._records.get(job_id)

    def values(self) -> ValuesView[CardState]:
        """Return every record (a live view)."""
        return self._records.values()

    def hold(self, job_id: int) -> CardState:
        """Return the record of the job's card, made if needed."""
        record = self._records.get(job_id)
        if record is None:
            # The one place a record is made.
            record = self._records[job_id] = CardState()
        return record

    def drop(self, job_id: int) -> CardState | None:
        """Forget the job's card whole; return the record that was kept, if any."""
        # The one place a record is dropped.
        return self._records.pop(job_id, None)
