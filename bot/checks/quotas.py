"""Per-member and per-server limits, computed from the job store.

Four limits: jobs running at once per member (more wait in line, see ``bot.tracking.fair_queue``), jobs
waiting per member, succeeded jobs per member per UTC day, succeeded jobs per server per UTC day.
Each comes from the settings (the operator's budget); a server's ``GuildSettings`` may lower the
running and daily limits, never raise them.
Only succeeded jobs are counted (refused, failed and timed-out jobs are free), but admission treats
a member's running and waiting jobs as already spent so that many jobs started at once cannot
overshoot. Only the waiting cap and the daily limits refuse: a job past the running limit waits.
A job counts ``Job.cost`` units against the daily limits: 1, or its clips when the server counts
clips (``GuildSettings.count_clips``), fixed when it is admitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.budget import Room
from bot.models import GuildSettings, Job, JobStatus, UsageCounts, utcnow
from bot.settings import Settings

# How long a video usually takes from submission to result; only used to estimate when a slot frees up.
TYPICAL_JOB_DURATION = dt.timedelta(minutes=3)


class QuotaStore(Protocol):
    """The part of ``bot.store.JobStore`` the quota service reads."""

    async def running_jobs(self, user_id: int) -> list[Job]:
        """Return the user's active jobs in every server, oldest first."""
        ...

    async def count_active_jobs(self, guild_id: int) -> int:
        """Return the daily-limit units the server's active jobs (queued to running) hold."""
        ...

    async def usage_today(self, guild_id: int | None, user_id: int) -> UsageCounts:
        """Return today's succeeded jobs of the user in the server and of the whole server."""
        ...

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        """Return the server's stored overrides, or None."""
        ...


class LimitKind(StrEnum):
    """Which limit refused a job; the value is the tail of its key (``quota.exceeded.<value>``)."""

    WAITING = "waiting"
    USER_DAILY = "user_daily"
    GUILD_DAILY = "guild_daily"


class QuotaExceeded(Exception):  # noqa: N818 (name fixed by the module contract)
    """A job refused by a limit: which one, its value, and when it resets (None: when a job ends)."""

    def __init__(
        self,
        limit: LimitKind,
        limit_value: int,
        resets_at: dt.datetime | None,
        waiting: int | None = None,
        room: Room | None = None,
    ) -> None:
        super().__init__(f"{limit} limit of {limit_value} reached")
        self.limit = limit
        self.limit_value = limit_value
        self.resets_at = resets_at
        self.waiting = waiting
        self.room = room  # what is left before the first budget or daily limit; None: nothing smaller fits

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
class QuotaStatus:
    """What ``/quota`` shows; remaining counts treat running and waiting jobs as spent.

    Guild fields are None in direct messages.
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


@dataclass(frozen=True, slots=True)
class _Counts:
    usage: UsageCounts
    user_active: list[Job]  # running and waiting: a member's few, from an indexed query
    guild_running: int

    @property
    def user_running(self) -> list[Job]:
        return [job for job in self.user_active if job.status is not JobStatus.QUEUED]

    @property
    def user_reserved(self) -> int:
        """Return the daily-limit units the member's running and waiting jobs will take on success."""
        return sum(job.cost for job in self.user_active)

    @property
    def user_waiting(self) -> int:
        return sum(1 for job in self.user_active if job.status is JobStatus.QUEUED)


class QuotaService:
    """Checks and reports the limits of a member in a server from the store's live counts."""

    def __init__(
        self, store: QuotaStore, settings: Settings, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._admission_lock = asyncio.Lock()

    async def policy(self, guild_id: int | None) -> QuotaPolicy:
        """Return the limits in force in ``guild_id`` (None: direct messages)."""
        overrides = None if guild_id is None else await self._store.get_guild_settings(guild_id)
        return QuotaPolicy.resolve(self._settings, overrides)

    async def running_limit(self, guild_id: int | None) -> int:
        """Return how many jobs a member of ``guild_id`` may have at the provider at once (read live)."""
        return (await self.policy(guild_id)).concurrent

    async def check(self, guild_id: int | None, user_id: int, cost: int = 1) -> None:
        """Raise ``QuotaExceeded`` if the member may not start a job costing ``cost`` units now."""
        policy = await self.policy(guild_id)
        counts = await self._counts(guild_id, user_id)
        refusal = self._first_exceeded(policy, counts, cost, has_guild=guild_id is not None)
        if refusal is not None:
            raise refusal

    @contextlib.asynccontextmanager
    async def admission(self, guild_id: int | None, user_id: int, cost: int = 1) -> AsyncIterator[None]:
        """Check the limits and hold them while the caller stores the job.

        Use as ``async with quotas.admission(guild, user): job = await store.create_job(...)`` so
        two requests arriving together cannot both take the last waiting place or daily job.
        """
        async with self._admission_lock:
            await self.check(guild_id, user_id, cost)
            yield

    async def status(self, guild_id: int | None, user_id: int) -> QuotaStatus:
        """Return the member's usage, remaining jobs and reset times for ``/quota``."""
        policy = await self.policy(guild_id)
        counts = await self._counts(guild_id, user_id)
        running = len(counts.user_running)
        has_guild = guild_id is not None
        guild_spent = counts.usage.guild_today + counts.guild_running
        return QuotaStatus(
            user_used=counts.usage.user_today,
            user_limit=policy.user_daily,
            user_remaining=max(0, policy.user_daily - counts.usage.user_today - counts.user_reserved),
            guild_used=counts.usage.guild_today if has_guild else None,
            guild_limit=policy.guild_daily if has_guild else None,
            guild_remaining=max(0, policy.guild_daily - guild_spent) if has_guild else None,
            running=running,
            concurrent_limit=policy.concurrent,
            waiting=counts.user_waiting,
            waiting_limit=policy.waiting,
            next_slot_at=self._next_slot(counts.user_running, policy.concurrent),
            resets_at=self.resets_at(),
            counts_clips=policy.counts_clips,
        )

    def resets_at(self) -> dt.datetime:
        """Return the next UTC midnight, when the daily counts start again."""
        now = self._clock().astimezone(dt.UTC)
        return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    async def _counts(self, guild_id: int | None, user_id: int) -> _Counts:
        usage = await self._store.usage_today(guild_id, user_id)
        mine = [job for job in await self._store.running_jobs(user_id) if job.guild_id == guild_id]
        guild_running = 0 if guild_id is None else await self._store.count_active_jobs(guild_id)
        return _Counts(usage=usage, user_active=mine, guild_running=guild_running)

    def _first_exceeded(
        self, policy: QuotaPolicy, counts: _Counts, cost: int, *, has_guild: bool
    ) -> QuotaExceeded | None:
        """Return the refusal to give, the longest-lasting first; None if the job may start.

        A job of ``cost`` units fits when today's count, the units reserved by active jobs and its
        own cost stay within each daily limit (``cost`` is 1 unless the server counts clips).
        """
        reserved = counts.user_reserved + cost - 1
        user_used, guild_used = counts.usage.user_today, counts.usage.guild_today
        checks = (
            (user_used >= policy.user_daily, LimitKind.USER_DAILY, policy.user_daily),
            (has_guild and guild_used >= policy.guild_daily, LimitKind.GUILD_DAILY, policy.guild_daily),
            (_line_full(policy, counts), LimitKind.WAITING, policy.waiting),
            (user_used + reserved >= policy.user_daily, LimitKind.USER_DAILY, policy.user_daily),
            (
                has_guild and guild_used + counts.guild_running + cost - 1 >= policy.guild_daily,
                LimitKind.GUILD_DAILY,
                policy.guild_daily,
            ),
        )
        for exceeded, kind, value in checks:
            if exceeded:
                if kind is LimitKind.WAITING:
                    return QuotaExceeded(kind, value, None, waiting=counts.user_waiting)
                return QuotaExceeded(
                    kind, value, self.resets_at(), room=_units_room(policy, counts, has_guild)
                )
        return None

    def _next_slot(self, running: list[Job], concurrent_limit: int) -> dt.datetime | None:
        """Estimate when a running job ends and frees a slot; None when a slot is free already."""
        if len(running) < concurrent_limit or not running:
            return None
        started = min(job.submitted_at or job.created_at for job in running)
        return max(started + TYPICAL_JOB_DURATION, self._clock())


def _line_full(policy: QuotaPolicy, counts: _Counts) -> bool:
    """Return True when the member holds every running and waiting place they have."""
    return len(counts.user_active) >= policy.concurrent + policy.waiting


def _units_room(policy: QuotaPolicy, counts: _Counts, has_guild: bool) -> Room:
    """Return the daily-limit units still free for one more job of the member (the smaller limit)."""
    user_left = policy.user_daily - counts.usage.user_today - counts.user_reserved
    guild_left = policy.guild_daily - counts.usage.guild_today - counts.guild_running
    return Room(money=None, units=max(0, min(user_left, guild_left) if has_guild else user_left))


def _pick(override: int | None, cap: int) -> int:
    return cap if override is None else min(override, cap)
