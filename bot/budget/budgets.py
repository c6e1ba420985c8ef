"""The money budgets in force for one admission: the operator's caps, lowered where a server chose to.

Six caps, each per UTC day and per UTC month: one person across every server, one server, the whole
bot. ``None`` means no cap at that level. A server's own choices (lower server budgets, allowances per
role) only ever lower a cap the operator set; see ``bot.budget.allowances``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.budget.prices import Money, to_money
from bot.settings import Settings


class Scope(StrEnum):
    """Whose spend a budget bounds: a person everywhere, a member in one server, a server, the bot."""

    PERSON = "person"
    MEMBER = "member"
    SERVER = "server"
    BOT = "bot"


class Period(StrEnum):
    """The UTC calendar period a budget renews with."""

    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Budgets:
    """The money caps in force for one admission; ``None``: no cap at that level."""

    person_day: Money | None
    person_month: Money | None
    server_day: Money | None
    server_month: Money | None
    bot_day: Money | None
    bot_month: Money | None
    # A member's own in one server (its allowance per role, or its default per member); None: none set.
    member_day: Money | None = None
    member_month: Money | None = None

    def cap(self, scope: Scope, period: Period) -> Money | None:
        """Return the cap of ``scope`` for ``period``."""
        value: Money | None = getattr(self, f"{scope}_{period}")
        return value


def operator_budgets(settings: Settings) -> Budgets:
    """Return the operator's caps (``BUDGET_*``), the most any server or person may ever spend."""
    return Budgets(
        person_day=_money(settings.budget_person_day),
        person_month=_money(settings.budget_person_month),
        server_day=_money(settings.budget_server_day),
        server_month=_money(settings.budget_server_month),
        bot_day=_money(settings.budget_bot_day),
        bot_month=_money(settings.budget_bot_month),
    )


def lower(cap: Money | None, wanted: Money | None) -> Money | None:
    """Return ``wanted`` where it is lower than ``cap`` (a server or role may only lower a cap)."""
    if wanted is None:
        return cap
    return wanted if cap is None else Money(min(cap, wanted))


def _money(amount: Decimal | None) -> Money | None:
    return None if amount is None else to_money(amount)
