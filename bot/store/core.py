"""The state every part of ``JobStore`` shares: the engine, the clock and this process's lease name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.store.engine import Engine
from bot.store.rows import utc


class StoreCore:
    """The engine the store runs on, its clock, and the lease this process takes on jobs."""

    _db: Engine
    _clock: Callable[[], dt.datetime]
    _lease_owner: str
    _lease_seconds: float

    def _now(self) -> dt.datetime:
        """Return "now" from the store's clock (aware; UTC or any zone)."""
        return self._clock()

    def _lease(self, now: dt.datetime) -> tuple[str, dt.datetime]:
        """Return (owner, expiry) of a lease taken at ``now``."""
        return self._lease_owner, utc(now) + dt.timedelta(seconds=self._lease_seconds)
