"""What the provider looks like from here (normal, busy, unreachable) and the busy back-off."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum

BACKOFF_CAP_SECONDS = 120.0


class ProviderCondition(StrEnum):
    """The provider's condition as last seen; the value is the tail of its catalogue key."""

    NORMAL = "normal"
    BUSY = "busy"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class ProviderState:
    """The provider's condition and since when (None while normal)."""

    condition: ProviderCondition = ProviderCondition.NORMAL
    since: dt.datetime | None = None

    def seen(self, condition: ProviderCondition, now: dt.datetime) -> ProviderState:
        """Return the state after a new observation; ``since`` stays while the condition lasts."""
        if condition is ProviderCondition.NORMAL:
            return ProviderState()
        if condition is self.condition:
            return self
        return ProviderState(condition, now)


def busy_delay(
    attempt: int, base: float, retry_after: float | None, cap: float = BACKOFF_CAP_SECONDS
) -> float:
    """Return how long to hold every submission after the ``attempt``-th busy answer in a row.

    Exponential with full-range jitter in its upper half (so many bots sharing a key spread out),
    never shorter than the provider's own ``retry_after`` and never longer than ``cap``.
    """
    exponential = min(cap, base * 2.0 ** max(0, attempt - 1))
    jittered = exponential * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
    return min(cap, max(jittered, retry_after or 0.0))
