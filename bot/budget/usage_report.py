"""What ``/usage`` shows: spend by day for the last 30 UTC days, the top spenders, the budgets left.

Read from the ledger (``JobStore.spend_by_*``): reserved and charged rows count, released ones do not.
A server's report is for its admins; a person's is their own, in one server or across every server.
The budgets are given by the caller (the operator's caps today; a server's and a role's once they
exist), so this module only subtracts. Knows nothing of Discord: the roles of the top spenders are
handed in by the caller, which reads them from Discord (the ledger records no roles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bot.budget.budgets import Budgets, Period, Scope
from bot.budget.prices import Money
from bot.models import utcnow
from bot.store import JobStore, Spend

DAYS_SHOWN = 30
TOP_SHOWN = 5


@dataclass(frozen=True, slots=True)
class BudgetLeft:
    """One budget in force: its cap, what counted against it in its period, and when it renews."""

    scope: Scope
    period: Period
    cap: Money
    spent: Money
    renews_at: dt.datetime

    @property
    def left(self) -> Money:
        """What is left before the cap (never below zero)."""
        return Money(max(0, self.cap - self.spent))


@dataclass(frozen=True, slots=True)
class RoleSpend:
    """What the current holders of one role spent, and how many of them spent anything."""

    role_id: int
    spend: Spend
    members: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Spend by day over the window (every day, zeros included), its total, this month's, the budgets.

    ``people`` (a server's report only) is every person's spend over the window.
    """

    days: tuple[tuple[dt.date, Spend], ...]
    month: Spend
    budgets: tuple[BudgetLeft, ...]
    people: Mapping[int, Spend]

    @property
    def total(self) -> Spend:
        """The spend over the whole window."""
        return sum((spend for _, spend in self.days), Spend())

    @property
    def empty(self) -> bool:
        """True when nothing counted in the window (no chart to draw)."""
        return self.total.jobs == 0

    def top_people(self, limit: int = TOP_SHOWN) -> list[tuple[int, Spend]]:
        """Return the ``limit`` people who spent most over the window, most first."""
        return sorted(self.people.items(), key=lambda item: (-item[1].amount, item[0]))[:limit]


def top_roles(
    people: Mapping[int, Spend], roles: Mapping[int, Iterable[int]], limit: int = TOP_SHOWN
) -> list[RoleSpend]:
    """Return the roles whose holders spent most: each person counts in every role they hold now.

    ``roles`` maps a person to their current role ids (people not in it, such as those who left the
    server, count in no role).
    """
    sums: dict[int, Spend] = {}
    holders: dict[int, int] = {}
    for person, role_ids in roles.items():
        spend = people.get(person)
        if spend is None:
            continue
        for role in set(role_ids):
            sums[role] = sums.get(role, Spend()) + spend
            holders[role] = holders.get(role, 0) + 1
    ranked = sorted(sums.items(), key=lambda item: (-item[1].amount, item[0]))[:limit]
    return [RoleSpend(role, spend, holders[role]) for role, spend in ranked]


class UsageReports:
    """Builds ``/usage`` reports from the store's ledger reads."""

    def __init__(self, store: JobStore, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    async def server(self, guild_id: int, budgets: Budgets) -> UsageReport:
        """Return a server's report: every member's spend in it and its own budgets."""
        today = self._today()
        first = window_start(today)
        days = await self._store.spend_by_day(first, today, guild_id=guild_id)
        people = await self._store.spend_by_person(first, today, guild_id=guild_id)
        month = await self._store.spend_by_day(today.replace(day=1), today, guild_id=guild_id)
        left = _budgets_left(budgets, Scope.SERVER, today, month)
        return UsageReport(_every_day(first, today, days), _sum(month), left, people)

    async def person(self, person_id: int, budgets: Budgets, *, guild_id: int | None) -> UsageReport:
        """Return a person's own report: in one server (``guild_id``) or in all (None).

        Their budgets count what they spent in every server, as admission does.
        """
        today = self._today()
        first = window_start(today)
        days = await self._store.spend_by_day(first, today, person_id=person_id, guild_id=guild_id)
        start = today.replace(day=1)
        everywhere = await self._store.spend_by_day(start, today, person_id=person_id)
        month = everywhere
        if guild_id is not None:
            month = await self._store.spend_by_day(start, today, person_id=person_id, guild_id=guild_id)
        left = _budgets_left(budgets, Scope.PERSON, today, everywhere)
        if guild_id is not None:
            left += _budgets_left(budgets, Scope.MEMBER, today, month)
        return UsageReport(_every_day(first, today, days), _sum(month), left, {})

    def _today(self) -> dt.date:
        return self._clock().astimezone(dt.UTC).date()


def window_start(today: dt.date) -> dt.date:
    """Return the first day of the report window that ends ``today`` (``DAYS_SHOWN`` days in all)."""
    return today - dt.timedelta(days=DAYS_SHOWN - 1)


def _every_day(
    first: dt.date, last: dt.date, days: Mapping[dt.date, Spend]
) -> tuple[tuple[dt.date, Spend], ...]:
    count = (last - first).days + 1
    every = (first + dt.timedelta(days=n) for n in range(count))
    return tuple((day, days.get(day, Spend())) for day in every)


def _sum(days: Mapping[dt.date, Spend]) -> Spend:
    return sum(days.values(), Spend())


def _budgets_left(
    budgets: Budgets, scope: Scope, today: dt.date, month: Mapping[dt.date, Spend]
) -> tuple[BudgetLeft, ...]:
    """Return the day and month budgets of ``scope`` that have a cap, from this month's days."""
    spent = {
        Period.DAY: month.get(today, Spend()).amount,
        Period.MONTH: _sum(month).amount,
    }
    renews = {Period.DAY: _next_day(today), Period.MONTH: _next_month(today)}
    left: list[BudgetLeft] = []
    for period in Period:
        cap = budgets.cap(scope, period)
        if cap is not None:
            left.append(BudgetLeft(scope, period, cap, Money(spent[period]), renews[period]))
    return tuple(left)


def _next_day(today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _next_month(today: dt.date) -> dt.datetime:
    first = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
