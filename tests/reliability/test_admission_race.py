"""Issue 21: no race spends past a budget. Fifty admissions at once against room for ten admit exactly
ten, on SQLite and on PostgreSQL, from two stores in one process and from two real processes.

The room is the whole bot's daily money budget (``admission_racer.RACE_SETTINGS``: 2.00 for jobs of
0.20), every admission from another member so nothing else binds. Admission checks the ledger and
writes the job's reservation in one write transaction (``JobStore.admit_job``; on PostgreSQL under an
advisory lock), so the eleventh finds the ten reservations, whichever process it runs in.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from bot.store import JobStore
from tests.reliability.admission_racer import PRICE, ROOM, admit_all, open_any, race_quotas

RACERS, PER_RACER = 2, 25


async def test_fifty_admissions_at_once_from_two_stores_take_exactly_the_room_for_ten(open_store):
    """Two stores on one database (two processes' worth of connections), 25 admissions each, at once."""
    stores = [await open_store(), await open_store()]
    counts = await asyncio.gather(
        *(admit_all(race_quotas(store), PER_RACER, 1000 * n) for n, store in enumerate(stores, start=1))
    )
    assert sum(c["admitted"] for c in counts) == ROOM
    assert sum(c["refused"] for c in counts) == RACERS * PER_RACER - ROOM
    assert sum(c["errors"] for c in counts) == 0
    await assert_room_taken_exactly(stores[0])


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "race.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


async def test_two_processes_admitting_at_once_take_exactly_the_room_for_ten(database: str, tmp_path: Path):
    """Two real processes, each firing 25 admissions the moment both are told to go."""
    await (await open_any(database)).close()  # created and migrated before the racers start
    racers = [await spawn_racer(database, 1000 * n) for n in range(1, RACERS + 1)]
    try:
        for racer in racers:
            assert await asyncio.wait_for(racer.stdout.readline(), 60) == b"ready\n"
        for racer in racers:  # the go, as close together as two writes are
            racer.stdin.write(b"go\n")
        for racer in racers:
            await racer.stdin.drain()
        outputs = [await asyncio.wait_for(racer.communicate(), 60) for racer in racers]
    finally:
        for racer in racers:
            if racer.returncode is None:
                racer.kill()
    counts = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    assert [racer.returncode for racer in racers] == [0, 0], [err.decode() for _, err in outputs]
    assert sum(c["admitted"] for c in counts) == ROOM, counts
    assert sum(c["refused"] for c in counts) == RACERS * PER_RACER - ROOM, counts
    async with await open_any(database) as store:
        await assert_room_taken_exactly(store)


async def spawn_racer(database: str, first_requester: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.admission_racer",
        database,
        str(PER_RACER),
        str(first_requester),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def assert_room_taken_exactly(store: JobStore) -> None:
    """Ten jobs stored, each with its reservation: the budget is spent to the last job and no further."""
    jobs = await store.all_jobs()
    assert len(jobs) == ROOM
    assert (await store.spend_totals()).reserved_day == ROOM * PRICE
