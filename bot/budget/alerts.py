"""Telling people once that a monthly budget is running out: at 80% and at 100% of it.

After every admission the spend of the month (reserved and charged) is compared with the server's
and the whole bot's monthly caps. Each level is announced once per budget and month, by whichever
process gets there first: the claim is an atomic write in the store's meta table
(``budget_alert:<scope>:<id>:<level>`` → month), so restarts and several processes never repeat it.
The announcement itself is Discord's business: listeners registered here do the sending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.budget.budgets import Scope
from bot.budget.prices import Money

log = logging.getLogger(__name__)

LEVELS = (80, 100)  # percent of a monthly budget


class AlertStore(Protocol):
    """The part of ``bot.store.JobStore`` the alerts need."""

    async def change_meta(self, key: str, value: str) -> bool:
        """Store ``value`` under ``key``; False when it already was the value (atomic)."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """A monthly budget that reached ``level`` percent: whose, how much is spent of how much."""

    scope: Scope  # SERVER or BOT
    guild_id: int | None  # the server, for a server budget
    month: str  # YYYY-MM
    level: int
    spent: Money
    cap: Money

    @property
    def renews_at(self) -> dt.datetime:
        """Return when the budget starts again: the first moment of the next UTC month."""
        year, month = (int(part) for part in self.month.split("-"))
        return dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)


Listener = Callable[[BudgetAlert], Awaitable[bool]]  # True when the alert reached someone


def reached(spent: Money, cap: Money | None) -> int | None:
    """Return the highest level ``spent`` reached of ``cap`` (80 or 100), or None."""
    if cap is None or cap <= 0:
        return None
    percent = spent * 100 / cap
    return next((level for level in reversed(LEVELS) if percent >= level), None)


class BudgetAlerts:
    """Announces each level of each monthly budget once, through the listeners the cogs register."""

    def __init__(self, store: AlertStore) -> None:
        self._store = store
        self._listeners: list[Listener] = []
        self._sending: set[asyncio.Task[None]] = set()

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every alert to send."""
        self._listeners.append(listener)

    async def check(
        self, scope: Scope, guild_id: int | None, month: str, spent: Money, cap: Money | None
    ) -> None:
        """Announce the level ``spent`` reached of ``cap``, unless it was announced this month.

        Only the highest level reached is announced: a jump from 70% to 100% says 100% once. The
        claim is made here; the telling goes on in an owned task, so an admission never waits for
        Discord (``drain`` waits for what is still being told).
        """
        level = reached(spent, cap)
        if level is None or cap is None:
            return
        key = f"budget_alert:{scope}:{guild_id or 0}:{level}"
        if not await self._store.change_meta(key, month):
            return
        if level == 100:
            # The 80% notice would only repeat what 100% says.
            await self._store.change_meta(f"budget_alert:{scope}:{guild_id or 0}:80", month)
        alert = BudgetAlert(scope, guild_id, month, level, spent, cap)
        task = asyncio.create_task(self._tell(alert, key), name=f"budget-alert-{key}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def drain(self) -> None:
        """Wait until every alert being told was told (or could not be)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _tell(self, alert: BudgetAlert, key: str) -> None:
        if not await self._send(alert):
            try:
                await self._store.set_meta(key, "")  # nobody was told: a later admission tries again
            except Exception:
                log.exception("could not give back the budget alert %s", key)

    async def _send(self, alert: BudgetAlert) -> bool:
        delivered = False
        for listener in self._listeners:
            try:
                delivered = await listener(alert) or delivered
            except Exception:  # one listener's fault must not stop admissions
                log.exception("a budget alert listener failed")
        return delivered
