"""The refusals a limit or a money budget gives, and when each renews (UTC midnight, the 1st of a month).

Each refusal carries its catalogue key and parameters (``quota.exceeded.*`` for the waiting line and the
daily limits, ``quota.budget.<scope>_<period>`` for the money budgets), so the surface says in the
member's language which limit or budget it is, how much it is, and when it renews.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.budget import Money, Period, PriceTable, Room, Scope


class LimitKind(StrEnum):
    """Which limit refused a job; the value is the tail of its key (``quota.exceeded.<value>``)."""

    WAITING = "waiting"
    USER_DAILY = "user_daily"
    GUILD_DAILY = "guild_daily"
    BUDGET = "budget"  # a money budget: the key names which one (``BudgetExceeded``)


class QuotaExceeded(Exception):  # noqa: N818 (name fixed by the module contract)
    """A job refused by a limit: which one, its value, and when it resets (None: when a job ends)."""

    def __init__(
        self, limit: LimitKind, limit_value: int, resets_at: dt.datetime | None, waiting: int | None = None
    ) -> None:
        super().__init__(f"{limit} limit of {limit_value} reached")
        self.limit = limit
        self.limit_value = limit_value
        self.resets_at = resets_at
        self.waiting = waiting
        # What is left before the first budget and daily limit, for offering a smaller job (set by
        # the quota service; None for the waiting line, where nothing smaller helps).
        self.room: Room | None = None

    @property
    def key(self) -> str:
        """Return the catalogue key of the refusal message."""
        return f"quota.exceeded.{self.limit}"

    @property
    def params(self) -> dict[str, object]:
        """Return the message parameters: ``limit`` and, for daily limits, ``resets_at`` (Unix)."""
        params: dict[str, object] = {"limit": self.limit_value}
        if self.resets_at is not None:
            params["resets_at"] = int(self.resets_at.timestamp())
        if self.waiting is not None:
            params["waiting"] = self.waiting
        return params


class BudgetExceeded(QuotaExceeded):
    """A job whose price does not fit what is left of one money budget (a person's, a server's, the bot's).

    ``left`` is what the budget still allows (zero or more), for whoever offers a smaller job.
    """

    def __init__(
        self,
        scope: Scope,
        period: Period,
        cap: Money,
        spent: Money,
        price: Money,
        resets_at: dt.datetime,
        prices: PriceTable,
    ) -> None:
        super().__init__(LimitKind.BUDGET, cap, resets_at)
        self.scope = scope
        self.period = period
        self.cap = cap
        self.spent = spent
        self.price = price
        self.left = Money(max(0, cap - spent))
        self._prices = prices

    @property
    def key(self) -> str:
        """Return ``quota.budget.<scope>_<period>``: the message names the budget."""
        return f"quota.budget.{self.scope}_{self.period}"

    @property
    def params(self) -> dict[str, object]:
        """Return the budget, what is left of it and the job's price (with the currency), and its renewal."""
        return {
            "limit": self._prices.format(self.cap),
            "left": self._prices.format(self.left),
            "price": self._prices.format(self.price),
            "resets_at": int(self.resets_at.timestamp()) if self.resets_at else 0,
        }


def next_midnight(now: dt.datetime) -> dt.datetime:
    """Return the next UTC midnight after ``now``: when daily limits and day budgets renew."""
    today = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def next_month(now: dt.datetime) -> dt.datetime:
    """Return the first of the next UTC month at midnight: when month budgets renew."""
    today = now.astimezone(dt.UTC).date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def renewal(period: Period, now: dt.datetime) -> dt.datetime:
    """Return when a budget of ``period`` renews after ``now``."""
    return next_midnight(now) if period is Period.DAY else next_month(now)
