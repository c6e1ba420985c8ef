"""What a server chose within the operator's money caps: its own budgets and allowances per role.

A server may only lower. Its day and month budgets sit below the operator's server caps. Each member
gets the allowance of the highest of their roles that has one, else the server's default per-member
budget: that bounds what they spend in this server (``Scope.MEMBER``), below the operator's person
caps (which bound what a person spends in every server together) and below the server's own budget.
A period an allowance leaves unset takes the default; with neither, the member has no cap of their
own in the server. In direct messages there is no server: the operator's caps hold as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Protocol

from bot.budget.budgets import Budgets, Period, Scope, lower, operator_budgets
from bot.budget.prices import Money
from bot.models import GuildSettings, RoleAllowance
from bot.settings import Settings

MAX_ROLE_ALLOWANCES = 25  # a server's list stays readable in one answer


class ServerBudget(StrEnum):
    """The budgets a server admin may lower; each value is its ``GuildSettings`` field."""

    SERVER_DAY = "budget_server_day"
    SERVER_MONTH = "budget_server_month"
    PERSON_DAY = "budget_person_day"
    PERSON_MONTH = "budget_person_month"

    @property
    def scope(self) -> Scope:
        """Whose spend the budget bounds: the whole server, or each member in it."""
        return Scope.SERVER if self.value.startswith("budget_server") else Scope.PERSON

    @property
    def period(self) -> Period:
        """The UTC period the budget renews with."""
        return Period.DAY if self.value.endswith("_day") else Period.MONTH

    def operator_cap(self, settings: Settings) -> Money | None:
        """Return the operator's cap this budget may not exceed (``None``: no cap)."""
        return operator_budgets(settings).cap(self.scope, self.period)


def with_budget(settings: GuildSettings, name: ServerBudget, amount: Money | None) -> GuildSettings:
    """Return ``settings`` with the budget ``name`` lowered to ``amount`` (``None``: the operator's cap)."""
    changes: dict[str, int | None] = {name.value: amount}
    return replace(settings, **changes)  # type: ignore[arg-type]


class AllowanceStore(Protocol):
    """The part of ``bot.store.JobStore`` that ``budgets_for`` reads."""

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        """Return the server's stored overrides, or None."""
        ...

    async def role_allowances(self, guild_id: int) -> list[RoleAllowance]:
        """Return the server's allowances per role."""
        ...


def effective_budgets(
    settings: Settings,
    guild_settings: GuildSettings | None,
    allowances: Sequence[RoleAllowance],
    role_ids: frozenset[int],
) -> Budgets:
    """Return the money caps in force for a member holding ``role_ids`` in a server.

    ``guild_settings`` and ``allowances`` are the server's (None and none in direct messages).
    """
    operator = operator_budgets(settings)
    chosen = guild_settings or GuildSettings(guild_id=0)
    server_day = lower(operator.server_day, _money(chosen.budget_server_day))
    server_month = lower(operator.server_month, _money(chosen.budget_server_month))
    held = [allowance for allowance in allowances if allowance.role_id in role_ids]
    member_day = _person(operator.person_day, server_day, chosen.budget_person_day, (a.day for a in held))
    member_month = _person(
        operator.person_month, server_month, chosen.budget_person_month, (a.month for a in held)
    )
    return Budgets(
        person_day=operator.person_day,
        person_month=operator.person_month,
        server_day=server_day,
        server_month=server_month,
        bot_day=operator.bot_day,
        bot_month=operator.bot_month,
        member_day=member_day,
        member_month=member_month,
    )


async def budgets_for(
    store: AllowanceStore, settings: Settings, guild_id: int | None, role_ids: frozenset[int]
) -> Budgets:
    """Return the caps in force for a member holding ``role_ids`` in ``guild_id`` (None: direct messages)."""
    if guild_id is None:
        return operator_budgets(settings)
    guild_settings = await store.get_guild_settings(guild_id)
    allowances = await store.role_allowances(guild_id)
    return effective_budgets(settings, guild_settings, allowances, role_ids)


def _person(
    operator: Money | None, server: Money | None, default: int | None, allowed: Iterable[int | None]
) -> Money | None:
    """Return a member's cap: the highest allowance they hold, else the default; never above the caps.

    None when the server set neither: the person's and the server's caps bound them already.
    """
    chosen = [amount for amount in allowed if amount is not None]
    wanted = max(chosen) if chosen else default
    if wanted is None:
        return None
    return lower(lower(operator, _money(wanted)), server)


def _money(amount: int | None) -> Money | None:
    return None if amount is None else Money(amount)
