"""Reading the ledger for reports: what counted (reserved and charged rows) per day, person or server.

``/usage`` and ``python -m bot usage`` read these sums; the ledger's rows are written by admission and
the job transitions. A released row (the provider did not bill) counts nothing, so it is not read.
Written once for both engines: the statement texts come from the transaction's dialect (``tx.sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.store.core import StoreCore
from bot.store.engine import Tx
from bot.store.rows import Row

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Spend:
    """What some ledger rows add up to: jobs, daily-limit units, and money charged and still reserved.

    Amounts are in millionths of the operator's currency (``bot.budget.Money``).
    """

    jobs: int = 0
    units: int = 0
    charged: int = 0
    reserved: int = 0

    @property
    def amount(self) -> int:
        """Everything that counts against a budget: charged plus reserved."""
        return self.charged + self.reserved

    def __add__(self, other: Spend) -> Spend:
        return Spend(
            jobs=self.jobs + other.jobs,
            units=self.units + other.units,
            charged=self.charged + other.charged,
            reserved=self.reserved + other.reserved,
        )


class SpendReports(StoreCore):
    """The ledger summed over a window of UTC days, per day, per person or per server."""

    async def spend_by_day(
        self,
        first: dt.date,
        last: dt.date,
        *,
        guild_id: int | None = None,
        person_id: int | None = None,
    ) -> dict[dt.date, Spend]:
        """Return the spend of each day from ``first`` to ``last`` that has any (days without are absent).

        Of the whole bot; of one server (``guild_id``, 0 for direct messages); of one person in every
        server (``person_id``), or in one (both).
        """
        window = _window(first, last)

        async def work(tx: Tx) -> dict[dt.date, Spend]:
            if person_id is not None:
                params = (*window, person_id, guild_id)
                return _by(await tx.rows(tx.sql.SPEND_DAYS_OF_PERSON, params), _day)
            if guild_id is not None:
                return _by(await tx.rows(tx.sql.SPEND_DAYS_IN_GUILD, (*window, guild_id)), _day)
            return _by(await tx.rows(tx.sql.SPEND_DAYS, window), _day)

        return await self._db.read(work)

    async def spend_by_person(
        self, first: dt.date, last: dt.date, *, guild_id: int | None = None
    ) -> dict[int, Spend]:
        """Return each person's spend from ``first`` to ``last``: in one server, or across every server."""
        window = _window(first, last)

        async def work(tx: Tx) -> dict[int, Spend]:
            if guild_id is None:
                return _by(await tx.rows(tx.sql.SPEND_PEOPLE, window), int)
            return _by(await tx.rows(tx.sql.SPEND_PEOPLE_IN_GUILD, (*window, guild_id)), int)

        return await self._db.read(work)

    async def spend_by_guild(self, first: dt.date, last: dt.date) -> dict[int, Spend]:
        """Return each server's spend from ``first`` to ``last`` (0: direct messages)."""
        window = _window(first, last)

        async def work(tx: Tx) -> dict[int, Spend]:
            return _by(await tx.rows(tx.sql.SPEND_GUILDS, window), int)

        return await self._db.read(work)


def _window(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date, str, str]:
    if first > last:
        raise ValueError(f"the window ends ({last}) before it starts ({first})")
    return first, last, _month(first), _month(last)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _day(value: object) -> dt.date:
    # A ledger day is ``YYYY-MM-DD`` text in SQLite, a ``date`` in PostgreSQL.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _by(rows: list[Row], key: Callable[[Any], K]) -> dict[K, Spend]:
    """Fold rows of (key, state, jobs, units, amount) into one ``Spend`` per key."""
    spends: dict[K, Spend] = {}
    for row in rows:
        found = key(row["key"])
        spends[found] = spends.get(found, Spend()) + _spend(row)
    return spends


def _spend(row: Row) -> Spend:
    amount = int(row["amount"])
    charged = row["state"] == "charged"
    return Spend(
        jobs=int(row["jobs"]),
        units=int(row["units"]),
        charged=amount if charged else 0,
        reserved=0 if charged else amount,
    )
