"""One admitting process of the admission race (issue 21): many admissions at once against one budget.

Run as ``python -m tests.reliability.admission_racer DATABASE COUNT FIRST_REQUESTER``: it opens the job
store (a PostgreSQL URL, else an SQLite path) and a ``QuotaService`` whose only limit that can bind is
the whole bot's daily money budget (``RACE_SETTINGS``), prints ``ready``, waits for a line on its
standard input (the go, given to every racer at once), then fires ``COUNT`` admissions together (one
per requester, from ``FIRST_REQUESTER`` on, so no person's own limit binds) and prints one JSON line:
how many it admitted and how many were refused by the budget.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from decimal import Decimal

from bot.checks import BudgetExceeded, QuotaService
from bot.models import JobSource, Motion, NewJob, Quality
from bot.settings import Settings
from bot.store import JobStore

PRICE = 200_000  # 0.20 of the currency: the bot's budget below holds ROOM jobs
ROOM = 10
GUILD = 2001
RACE_SETTINGS: dict[str, object] = {
    "discord_token": "token",
    "cometapi_key": "key",
    "max_daily_jobs_per_user": 10,
    "max_daily_jobs_per_guild": 100_000,
    "budget_person_day": None,
    "budget_person_month": None,
    "budget_server_day": None,
    "budget_server_month": None,
    "budget_bot_day": Decimal("2.00"),
    "budget_bot_month": None,
}


def race_job(requester: int) -> NewJob:
    """A 4-clip 480p job of ``requester`` at the race's price."""
    job = NewJob(
        requester_id=requester,
        guild_id=GUILD,
        channel_id=3001,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="a cat walks",
        image_url="https://cdn.example/cat.png",
    )
    return dataclasses.replace(job, price=PRICE)


def race_quotas(store: JobStore) -> QuotaService:
    """The quota service every racer admits through."""
    return QuotaService(store, Settings(_env_file=None, **RACE_SETTINGS))  # type: ignore[arg-type]


async def admit_all(quotas: QuotaService, count: int, first_requester: int) -> dict[str, int]:
    """Fire ``count`` admissions at once; return how many were admitted and refused."""
    jobs = [race_job(first_requester + n) for n in range(count)]
    results = await asyncio.gather(*(quotas.admission(job) for job in jobs), return_exceptions=True)
    refused = sum(isinstance(result, BudgetExceeded) for result in results)
    errors = [repr(result) for result in results if isinstance(result, BaseException)]
    return {"admitted": count - len(errors), "refused": refused, "errors": len(errors) - refused}


async def open_any(database: str) -> JobStore:
    """Open the PostgreSQL store at a URL, else the SQLite file at a path."""
    if database.startswith("postgres"):
        return await JobStore.open_postgres(database, max_connections=10)
    return await JobStore.open(database)


async def main(database: str, count: int, first_requester: int) -> None:
    """Open the store, say ready, wait for the go, race, report."""
    async with await open_any(database) as store:
        quotas = race_quotas(store)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        print(json.dumps(await admit_all(quotas, count, first_requester)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
