"""A per-member rate: at most ``limit`` uses in any ``window``, counted in this process.

``/show`` re-posts (downloads, re-encodes and uploads clips, publicly) go through one; a member past
it is told when the next use frees up. Only uses that went ahead are counted: a refused request
costs nothing, and an id that does not exist teaches nothing either way.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable

from bot.checks import Refusal
from bot.models import utcnow

# /show: re-posts per member in any five minutes.
SHOW_LIMIT = 3
SHOW_WINDOW = dt.timedelta(minutes=5)


class MemberRate:
    """Counts each member's uses in a sliding window; ``take`` refuses one past the limit."""

    def __init__(
        self,
        refusal_key: str,
        *,
        limit: int = SHOW_LIMIT,
        window: dt.timedelta = SHOW_WINDOW,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._key = refusal_key
        self._limit = limit
        self._window = window
        self._clock = clock
        self._uses: dict[int, deque[dt.datetime]] = {}

    def take(self, member_id: int) -> None:
        """Count one use by ``member_id``, or raise ``Refusal(key, limit, minutes, retry_at)``.

        ``retry_at`` is a Unix time, for Discord's relative timestamp (``<t:…:R>``), which every
        member's client shows in their own language.
        """
        now = self._clock()
        uses = self._recent(member_id, now)
        if len(uses) >= self._limit:
            free_at = uses[0] + self._window
            minutes = int(self._window.total_seconds() // 60)
            raise Refusal(self._key, limit=self._limit, minutes=minutes, retry_at=_ceil_unix(free_at))
        uses.append(now)

    def _recent(self, member_id: int, now: dt.datetime) -> deque[dt.datetime]:
        uses = self._uses.setdefault(member_id, deque())
        while uses and now - uses[0] >= self._window:
            uses.popleft()
        self._forget_idle(now)
        return self._uses.setdefault(member_id, uses)

    def _forget_idle(self, now: dt.datetime) -> None:
        """Drop members whose uses all left the window, so the table stays small."""
        idle = [member for member, uses in self._uses.items() if not uses or now - uses[-1] >= self._window]
        for member in idle:
            del self._uses[member]


def _ceil_unix(when: dt.datetime) -> int:
    seconds = when.timestamp()
    return int(seconds) + (0 if seconds.is_integer() else 1)
