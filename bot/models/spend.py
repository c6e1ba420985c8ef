"""What the spend ledger holds (issue 21): a job's charge, a person's spend and standing, totals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.models.job import Job


@dataclass(frozen=True, slots=True)
class UsageCounts:
    """Daily-limit units charged today (UTC): a member's in one server, and the whole server's."""

    user_today: int
    guild_today: int


class LedgerState(StrEnum):
    """Where a job's row in the spend ledger stands (see migration 0015)."""

    RESERVED = "reserved"  # admitted, not at the provider yet: counts against every limit
    CHARGED = "charged"  # the provider has the task and bills it
    RELEASED = "released"  # the provider did not bill it: counts nothing


@dataclass(frozen=True, slots=True)
class Charge:
    """One job's row in the spend ledger: its state, its daily-limit units and its amount of money."""

    state: LedgerState
    units: int
    amount: int  # millionths of the operator's currency (bot.budget.Money)


@dataclass(frozen=True, slots=True)
class Spend:
    """What the ledger holds (reserved and charged rows) for one admission, this UTC day and month.

    Units are daily-limit units (``Job.cost``); amounts are money (millionths of the operator's
    currency, ``bot.budget.Money``). "here" is the person in the one server (0: direct messages).
    """

    person_units_here: int = 0
    person_units: int = 0  # the person in every server
    person_day_here: int = 0  # money of the person in this one server
    person_month_here: int = 0
    guild_units: int = 0
    person_day: int = 0
    person_month: int = 0
    guild_day: int = 0
    guild_month: int = 0
    bot_day: int = 0
    bot_month: int = 0


@dataclass(frozen=True, slots=True)
class Standing:
    """A person's spend and active jobs (queued to running, in every server, oldest first) at one moment."""

    spend: Spend
    active: tuple[Job, ...]


@dataclass(frozen=True, slots=True)
class SpendTotals:
    """The whole bot's money this UTC day and month, charged and still reserved (for metrics)."""

    charged_day: int = 0
    charged_month: int = 0
    reserved_day: int = 0
    reserved_month: int = 0
