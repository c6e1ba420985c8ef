"""Per-person, per-server and whole-bot limits and money budgets, checked against the spend ledger.

The limits: jobs running at once per person (more wait in line, see ``bot.tracking.fair_queue``) and jobs
waiting per person, both across every server; daily-limit units per member in one server (the server's
``max_daily_per_user``, at most the operator's), per person across every server (the operator's
``MAX_DAILY_JOBS_PER_USER``) and per server per UTC day; and the six money budgets (``bot.budget``: a
person, a server, the whole bot; per UTC day and month). The settings are the operator's; a server's
``GuildSettings`` may lower the running and daily limits, never raise them.

Everything counts the ledger's reserved and charged rows (``bot.store.ledger``): a job holds its units
and its price from admission, is charged once the provider has it and released only when the provider
did not bill it. Admission checks and reserves in one store transaction (``QuotaService.admission``),
so no race, in one process or several, spends past a limit. Only the waiting cap, the daily limits and
the budgets refuse: a job past the running limit waits. A job counts ``Job.cost`` units against the
daily limits: 1, or its clips when the server counts clips (``GuildSettings.count_clips``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.budget import (
    FREE,
    BudgetAlerts,
    Budgets,
    Money,
    Period,
    PriceTable,
    Room,
    Scope,
    effective_budgets,
    operator_budgets,
)
from bot.checks.quota_refusals import (
    BudgetExceeded,
    LimitKind,
    QuotaExceeded,
    next_midnight,
    renewal,
)
from bot.models import GuildSettings, Job, JobStatus, NewJob, RoleAllowance, Spend, Standing, utcnow
from bot.settings import Settings

__all__ = [
    "TYPICAL_JOB_DURATION",
    "BudgetExceeded",
    "BudgetStatus",
    "LimitKind",
    "QuotaExceeded",
    "QuotaPolicy",
    "QuotaService",
    "QuotaStatus",
]

# How long a video usually takes from submission to result; only used to estimate when a slot frees up.
TYPICAL_JOB_DURATION = dt.timedelta(minutes=3)
# The budgets in the order a refusal names them: the one that lasts longest first.
BUDGET_ORDER = tuple((scope, period) for period in (Period.MONTH, Period.DAY) for scope in Scope)


class QuotaStore(Protocol):
    """The part of ``bot.store.JobStore`` the quota service reads and admits through."""

    async def standing(self, person_id: int, guild_id: int | None) -> Standing:
        """Return the person's spend (and their server's and the bot's) and active jobs, now."""
        ...

    async def admit_job(self, new: NewJob, check: Callable[[Standing], None] | None) -> Job:
        """Store ``new`` with its reservation if ``check`` (given the standing, locked) does not raise."""
        ...

    async def count_active_jobs(self, guild_id: int) -> int:
        """Return the daily-limit units the server's active jobs (queued to running) hold."""
        ...

    async def role_allowances(self, guild_id: int) -> list[RoleAllowance]:
        """Return the server's allowances per role."""
        ...

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        """Return the server's stored overrides, or None."""
        ...


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    """The limits in force for one server (or for direct messages, with no server limit)."""

    concurrent: int
    user_daily: int
    guild_daily: int
    waiting: int
    counts_clips: bool = False

    @classmethod
    def resolve(cls, settings: Settings, guild: GuildSettings | None) -> QuotaPolicy:
        """Return the server's overrides where set and lower, else the operator's settings.

        The settings are the operator's budget: an override above them (stored by an older version,
        or by hand) is capped at use.
        """
        overrides = guild or GuildSettings(guild_id=0)
        return cls(
            concurrent=_pick(overrides.max_concurrent_per_user, settings.max_concurrent_jobs_per_user),
            user_daily=_pick(overrides.max_daily_per_user, settings.max_daily_jobs_per_user),
            guild_daily=_pick(overrides.max_daily_per_guild, settings.max_daily_jobs_per_guild),
            waiting=settings.max_waiting_jobs_per_user,
            counts_clips=overrides.count_clips,
        )


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One money budget for ``/quota``: its cap (None: none), what is spent or reserved, when it renews."""

    scope: Scope
    period: Period
    cap: Money | None
    spent: Money
    resets_at: dt.datetime

    @property
    def left(self) -> Money | None:
        """Return what is left (never below zero), or None when there is no cap."""
        return None if self.cap is None else Money(max(0, self.cap - self.spent))


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """What ``/quota`` shows; remaining counts treat running and waiting jobs as spent.

    Guild fields are None in direct messages (and the server budgets are left out there).
    """

    user_used: int
    user_limit: int
    user_remaining: int
    guild_used: int | None
    guild_limit: int | None
    guild_remaining: int | None
    running: int
    concurrent_limit: int
    waiting: int
    waiting_limit: int
    next_slot_at: dt.datetime | None
    resets_at: dt.datetime
    counts_clips: bool = False
    budgets: tuple[BudgetStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """Everything one admission is checked against."""

    policy: QuotaPolicy
    budgets: Budgets
    person_daily: int  # the operator's daily limit of one person across every server


@dataclass(frozen=True, slots=True)
class Request:
    """The job asked for, where, and what it holds: its units and its price."""

    guild_id: int | None
    cost: int
    price: Money


class QuotaService:
    """Checks and reports a person's limits and budgets from the ledger, and admits jobs against them."""

    def __init__(
        self,
        store: QuotaStore,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        alerts: BudgetAlerts | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._alerts = alerts  # told what each admission leaves of the monthly budgets
        self._prices = PriceTable.from_settings(settings)

    async def policy(self, guild_id: int | None) -> QuotaPolicy:
        """Return the limits in force in ``guild_id`` (None: direct messages)."""
        return QuotaPolicy.resolve(self._settings, await self._overrides(guild_id))

    async def running_limit(self, guild_id: int | None) -> int:
        """Return how many jobs a member of ``guild_id`` may have at the provider at once (read live)."""
        return (await self.policy(guild_id)).concurrent

    async def check(
        self,
        guild_id: int | None,
        user_id: int,
        cost: int = 1,
        price: Money = FREE,
        role_ids: frozenset[int] = frozenset(),
    ) -> None:
        """Raise ``QuotaExceeded`` if the person may not start a job of ``cost`` units and ``price`` now.

        A read, for the early checks; ``admission`` checks again where it counts.
        """
        limits = await self._limits(guild_id, role_ids)
        standing = await self._store.standing(user_id, guild_id)
        refusal = self._first_exceeded(limits, standing, Request(guild_id, cost, price))
        if refusal is not None:
            raise refusal

    async def admission(self, new: NewJob, role_ids: frozenset[int] = frozenset()) -> Job:
        """Store ``new`` with its reservation if every limit and budget leaves room for it, else refuse.

        The check and the reservation are one store transaction (``JobStore.admit_job``), so requests
        arriving together, in this process or in others, never both take the last room. Raises
        ``QuotaExceeded`` (nothing stored) or the store's ``DuplicateJob``.
        """
        limits = await self._limits(new.guild_id, role_ids)
        request = Request(new.guild_id, new.cost, Money(new.price))
        seen: list[Spend] = []

        def check(standing: Standing) -> None:
            refusal = self._first_exceeded(limits, standing, request)
            if refusal is not None:
                raise refusal
            seen.append(standing.spend)

        job = await self._store.admit_job(new, check)
        if seen and self._alerts is not None:
            await self._watch_months(job, seen[-1], limits.budgets, self._alerts)
        return job

    async def _watch_months(self, job: Job, before: Spend, budgets: Budgets, alerts: BudgetAlerts) -> None:
        """Tell the alerts what the server's and the bot's months hold now, with ``job`` admitted."""
        month = f"{self._clock().astimezone(dt.UTC):%Y-%m}"
        if job.guild_id is not None:
            spent = Money(before.guild_month + job.price)
            await alerts.check(Scope.SERVER, job.guild_id, month, spent, budgets.server_month)
        await alerts.check(Scope.BOT, None, month, Money(before.bot_month + job.price), budgets.bot_month)

    async def status(
        self, guild_id: int | None, user_id: int, role_ids: frozenset[int] = frozenset()
    ) -> QuotaStatus:
        """Return the person's usage, remaining jobs, budgets and reset times for ``/quota``."""
        limits = await self._limits(guild_id, role_ids)
        policy = limits.policy
        standing = await self._store.standing(user_id, guild_id)
        spend = standing.spend
        running = [job for job in standing.active if job.status is not JobStatus.QUEUED]
        guild_used = await self._guild_used(guild_id, spend)
        return QuotaStatus(
            user_used=spend.person_units_here - self._held_today(standing, guild_id),
            user_limit=policy.user_daily,
            user_remaining=max(0, policy.user_daily - spend.person_units_here),
            guild_used=guild_used,
            guild_limit=None if guild_id is None else policy.guild_daily,
            guild_remaining=None if guild_id is None else max(0, policy.guild_daily - spend.guild_units),
            running=len(running),
            concurrent_limit=policy.concurrent,
            waiting=len(standing.active) - len(running),
            waiting_limit=policy.waiting,
            next_slot_at=self._next_slot(running, policy.concurrent),
            resets_at=self.resets_at(),
            counts_clips=policy.counts_clips,
            budgets=self._budget_statuses(limits.budgets, spend, has_guild=guild_id is not None),
        )

    def resets_at(self) -> dt.datetime:
        """Return the next UTC midnight, when the daily counts start again."""
        return next_midnight(self._clock())

    # -- what is in force --------------------------------------------------------------------

    async def _overrides(self, guild_id: int | None) -> GuildSettings | None:
        return None if guild_id is None else await self._store.get_guild_settings(guild_id)

    async def _limits(self, guild_id: int | None, role_ids: frozenset[int]) -> Limits:
        overrides = await self._overrides(guild_id)
        return Limits(
            policy=QuotaPolicy.resolve(self._settings, overrides),
            budgets=await self._budgets_for(guild_id, overrides, role_ids),
            person_daily=self._settings.max_daily_jobs_per_user,
        )

    async def _budgets_for(
        self, guild_id: int | None, guild_settings: GuildSettings | None, role_ids: frozenset[int]
    ) -> Budgets:
        """Return the money budgets of a member with ``role_ids`` in the server of ``guild_settings``.

        The one place budgets are chosen: the operator's caps (``BUDGET_*``), lowered by the server's
        own budgets and its allowances per role (``bot.budget.effective_budgets``), never raised.
        """
        if guild_id is None:
            return operator_budgets(self._settings)
        allowances = await self._store.role_allowances(guild_id)
        return effective_budgets(self._settings, guild_settings, allowances, role_ids)

    # -- the checks, the longest-lasting refusal first ----------------------------------------

    def _first_exceeded(self, limits: Limits, standing: Standing, request: Request) -> QuotaExceeded | None:
        """Return the refusal to give, the longest-lasting first; None if the job may start.

        A daily limit already used up by finished jobs lasts until midnight; a full line ends when a
        job starts; a limit reached only because of jobs still waiting or running is named last.
        """
        refusals = (
            self._daily_used_up(limits, standing, request.guild_id),
            self._budget_refusal(limits.budgets, standing.spend, request),
            self._line_refusal(limits.policy, standing),
            self._daily_refusal(limits, standing.spend, request),
        )
        refusal = next((refusal for refusal in refusals if refusal is not None), None)
        if refusal is not None and refusal.limit is not LimitKind.WAITING:
            refusal.room = _room(limits, standing.spend, request.guild_id)
        return refusal

    def _daily_used_up(
        self, limits: Limits, standing: Standing, guild_id: int | None
    ) -> QuotaExceeded | None:
        """Refuse when finished jobs alone (not those waiting or running) used up a daily limit."""
        spend, policy = standing.spend, limits.policy
        here = spend.person_units_here - self._held_today(standing, guild_id)
        everywhere = spend.person_units - self._held_today(standing, guild_id, everywhere=True)
        if here >= policy.user_daily:
            return self._daily(LimitKind.USER_DAILY, policy.user_daily)
        if everywhere >= limits.person_daily:
            return self._daily(LimitKind.USER_DAILY, limits.person_daily)
        if guild_id is not None and spend.guild_units >= policy.guild_daily:
            return self._daily(LimitKind.GUILD_DAILY, policy.guild_daily)
        return None

    def _daily_refusal(self, limits: Limits, spend: Spend, request: Request) -> QuotaExceeded | None:
        """Refuse when the job's units do not fit a daily limit beside every job already admitted."""
        policy, cost = limits.policy, request.cost
        if spend.person_units_here + cost > policy.user_daily:
            return self._daily(LimitKind.USER_DAILY, policy.user_daily)
        if spend.person_units + cost > limits.person_daily:
            return self._daily(LimitKind.USER_DAILY, limits.person_daily)
        if request.guild_id is not None and spend.guild_units + cost > policy.guild_daily:
            return self._daily(LimitKind.GUILD_DAILY, policy.guild_daily)
        return None

    def _budget_refusal(self, budgets: Budgets, spend: Spend, request: Request) -> QuotaExceeded | None:
        """Refuse when the job's price does not fit what is left of a money budget (month ones first)."""
        for scope, period in BUDGET_ORDER:
            cap = budgets.cap(scope, period)
            if cap is None or (_in_servers_only(scope) and request.guild_id is None):
                continue
            spent = _spent(spend, scope, period)
            if spent + request.price > cap:
                resets_at = renewal(period, self._clock())
                return BudgetExceeded(scope, period, cap, spent, request.price, resets_at, self._prices)
        return None

    def _line_refusal(self, policy: QuotaPolicy, standing: Standing) -> QuotaExceeded | None:
        """Refuse when the person holds every running and waiting place they have (in every server)."""
        if len(standing.active) < policy.concurrent + policy.waiting:
            return None
        waiting = sum(1 for job in standing.active if job.status is JobStatus.QUEUED)
        return QuotaExceeded(LimitKind.WAITING, policy.waiting, None, waiting=waiting)

    def _daily(self, kind: LimitKind, limit: int) -> QuotaExceeded:
        return QuotaExceeded(kind, limit, self.resets_at())

    # -- reading the standing ------------------------------------------------------------------

    def _held_today(self, standing: Standing, guild_id: int | None, *, everywhere: bool = False) -> int:
        """Return the units the person's waiting and running jobs admitted today hold.

        In ``guild_id`` only, or in every server when ``everywhere``.
        """
        today = self._clock().astimezone(dt.UTC).date()
        return sum(
            job.cost
            for job in standing.active
            if job.created_at.astimezone(dt.UTC).date() == today and (everywhere or job.guild_id == guild_id)
        )

    async def _guild_used(self, guild_id: int | None, spend: Spend) -> int | None:
        """Return the server's units of today spent by jobs no longer active (None in direct messages)."""
        if guild_id is None:
            return None
        return max(0, spend.guild_units - await self._store.count_active_jobs(guild_id))

    def _budget_statuses(
        self, budgets: Budgets, spend: Spend, *, has_guild: bool
    ) -> tuple[BudgetStatus, ...]:
        now = self._clock()
        return tuple(
            BudgetStatus(
                scope, period, budgets.cap(scope, period), _spent(spend, scope, period), renewal(period, now)
            )
            for scope, period in BUDGET_ORDER
            if has_guild or not _in_servers_only(scope)
        )

    def _next_slot(self, running: list[Job], concurrent_limit: int) -> dt.datetime | None:
        """Estimate when a running job ends and frees a slot; None when a slot is free already."""
        if len(running) < concurrent_limit or not running:
            return None
        started = min(job.submitted_at or job.created_at for job in running)
        return max(started + TYPICAL_JOB_DURATION, self._clock())


def _spent(spend: Spend, scope: Scope, period: Period) -> Money:
    """Return the money the ledger holds for ``scope`` in ``period`` (reserved and charged)."""
    field = {
        Scope.PERSON: f"person_{period}",
        Scope.MEMBER: f"person_{period}_here",
        Scope.SERVER: f"guild_{period}",
        Scope.BOT: f"bot_{period}",
    }[scope]
    amount: int = getattr(spend, field)
    return Money(amount)


def _room(limits: Limits, spend: Spend, guild_id: int | None) -> Room:
    """Return what is left before the first money budget and the first daily limit, for an offer."""
    policy = limits.policy
    units = [policy.user_daily - spend.person_units_here, limits.person_daily - spend.person_units]
    if guild_id is not None:
        units.append(policy.guild_daily - spend.guild_units)
    money = [
        cap - _spent(spend, scope, period)
        for scope, period in BUDGET_ORDER
        if (cap := limits.budgets.cap(scope, period)) is not None
        and (guild_id is not None or not _in_servers_only(scope))
    ]
    return Room(money=Money(max(0, min(money))) if money else None, units=max(0, min(units)))


def _in_servers_only(scope: Scope) -> bool:
    """Return True for the budgets that exist only in a server (none in direct messages)."""
    return scope in (Scope.MEMBER, Scope.SERVER)


def _pick(override: int | None, cap: int) -> int:
    return cap if override is None else min(override, cap)
