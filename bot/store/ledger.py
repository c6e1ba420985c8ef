"""The spend ledger: one row per job holding its price and daily-limit units (migration 0015).

A job's row is written with the job (``reserve``, same transaction) as ``reserved``; every write that
can change what the job is billed ends with ``settle``, which sets the row from the job as stored:
``charged`` once the provider had the task (``Job.billed``: the whole price, or for a job delivered in
part what its delivered clips cost), ``released`` for a job that ended without a bill, else still
``reserved``. Limits and budgets sum the reserved and charged rows (``spend``), per person across
servers, per server and for the whole bot, for one UTC day or month. The old ``usage`` counters are
neither written nor read any more; migration 0015 carried them over as charged rows.
"""

from __future__ import annotations

import datetime as dt
import math

from bot.models import Charge, Job, LedgerState, Spend, SpendTotals, Standing, UsageCounts
from bot.store.core import StoreCore
from bot.store.engine import Tx, fetch_jobs
from bot.store.rows import day_key, usage_guild, utc


def month_key(day: dt.date) -> str:
    """Return the ledger's month of ``day``: ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def ledger_entry(job: Job) -> tuple[LedgerState, int, int]:
    """Return (state, units, amount) the job's ledger row holds, as the job stands now.

    A job delivered in part is charged what its delivered clips cost: ``Job.charged_units`` units,
    and the same share of its clips of the price (rounded up to the millionth).
    """
    if job.billed:
        if not job.partly_delivered:
            return LedgerState.CHARGED, job.cost, job.price
        total = len(job.clip_urls)
        delivered = total - len(job.missing_clips)
        return LedgerState.CHARGED, job.charged_units, math.ceil(job.price * delivered / total)
    if job.status.is_final:
        return LedgerState.RELEASED, job.cost, job.price
    return LedgerState.RESERVED, job.cost, job.price


async def reserve(tx: Tx, job: Job) -> None:
    """Write the reservation of a job just stored: its price and units, on the day it was admitted."""
    day = day_key(job.created_at)
    params = (
        job.id,
        job.requester_id,
        usage_guild(job.guild_id),
        day,
        month_key(day),
        job.cost,
        job.price,
        utc(job.created_at),
    )
    await tx.execute(tx.sql.INSERT_LEDGER, params)


async def settle(tx: Tx, job: Job, now: dt.datetime) -> None:
    """Set the job's ledger row from the job as just written (a job without a row is left alone)."""
    state, units, amount = ledger_entry(job)
    await tx.execute(tx.sql.SETTLE_LEDGER, (state.value, units, amount, utc(now), job.id))


async def read_spend(tx: Tx, person_id: int, guild_id: int | None, now: dt.datetime) -> Spend:
    """Return what the ledger holds for the person (in ``guild_id``, everywhere), the server, the bot."""
    day = day_key(now)
    params = (person_id, usage_guild(guild_id), day, month_key(day))
    (row,) = await tx.rows(tx.sql.SPEND, params)
    return Spend(**{name: int(row[name]) for name in Spend.__dataclass_fields__})


async def read_standing(tx: Tx, person_id: int, guild_id: int | None, now: dt.datetime) -> Standing:
    """Return the person's spend and their active jobs in every server, in one transaction."""
    spend = await read_spend(tx, person_id, guild_id, now)
    active = await fetch_jobs(tx, tx.sql.RUNNING_JOBS, (person_id,))
    return Standing(spend=spend, active=tuple(active))


class JobLedger(StoreCore):
    """``JobStore``'s reads of the ledger: a person's standing, charged usage, the bot's totals."""

    async def standing(self, person_id: int, guild_id: int | None) -> Standing:
        """Return what admission would check for ``person_id`` in ``guild_id`` now (a read; not held)."""
        now = self._now()
        return await self._db.read(lambda tx: read_standing(tx, person_id, guild_id, now))

    async def charge_of(self, job_id: int) -> Charge | None:
        """Return the job's row in the ledger (what it holds, reserved, charged or released), or None."""

        async def work(tx: Tx) -> Charge | None:
            rows = await tx.rows(tx.sql.SELECT_LEDGER_ROW, (job_id,))
            return next(
                (Charge(LedgerState(r["state"]), int(r["units"]), int(r["amount"])) for r in rows), None
            )

        return await self._db.read(work)

    async def usage_today(self, guild_id: int | None, user_id: int) -> UsageCounts:
        """Return the units charged today (UTC) to the user in ``guild_id`` and to the whole server.

        With ``guild_id`` None (direct messages) the user's direct-message units are counted and the
        server count is 0. Reservations of jobs not at the provider yet are not counted here.
        """
        day = day_key(self._now())
        params = (day, month_key(day), usage_guild(guild_id), user_id)

        async def work(tx: Tx) -> UsageCounts:
            (row,) = await tx.rows(tx.sql.CHARGED_TODAY, params)
            guild_today = 0 if guild_id is None else int(row["guild_today"])
            return UsageCounts(user_today=int(row["user_today"]), guild_today=guild_today)

        return await self._db.read(work)

    async def spend_totals(self) -> SpendTotals:
        """Return the whole bot's money charged and reserved this UTC day and month."""
        day = day_key(self._now())

        async def work(tx: Tx) -> SpendTotals:
            (row,) = await tx.rows(tx.sql.SPEND_TOTALS, (day, month_key(day)))
            return SpendTotals(**{name: int(row[name]) for name in SpendTotals.__dataclass_fields__})

        return await self._db.read(work)
