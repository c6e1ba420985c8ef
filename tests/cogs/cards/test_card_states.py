"""One record per job's card in the Cards cog: the card's state is forgotten whole, in one place.

What ``Cards`` keeps about a job's card (the coalesced edit, the edit lock, what the card last showed,
the resumed note) lives in one ``CardState``, made and dropped by ``CardStates``. These tests look for
the job in everything the cog holds (``tests.traces``), so a map or a field added later and not
forgotten fails them: once the job's final state is shown, and once another process holds the job
(a shared store) and shows its card instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from pathlib import Path

import discord

from bot.client import Services
from bot.models import Job, JobStatus, utcnow
from bot.store import JobStore
from bot.tracking import JobEventKind
from cogs.cards import Cards
from tests.bot.tracking.test_tracker_records import until
from tests.e2e.harness import World, make_world
from tests.traces import traces

# Not the cog's memory of cards: the bot and its services (the store, the tracker...), which the tests
# check by their answers.
NOT_THE_COGS = (discord.Client, Services, JobStore)


def cards_of(world: World) -> Cards:
    # Looked up by name: a bot that stops unloads its extensions, and the next one imports them
    # afresh, so the Cards class this module imported may not be the running bot's.
    cards = world.bot.get_cog("Cards")
    assert cards is not None
    return cards


def kept(cards: Cards, job_id: int) -> list[str]:
    """Return where the Cards cog still keeps ``job_id`` (empty: forgotten whole)."""
    return traces(cards, job_id, skip=NOT_THE_COGS)


async def events_handled(world: World) -> None:
    """Wait until every job event emitted so far has been handled (cards edited, clips posted)."""
    events = world.bot.services.tracker.events
    await until(lambda: events.pending == 0)


async def test_a_delivered_job_leaves_no_trace_in_the_cards_cog(tmp_path: Path):
    async with make_world(tmp_path) as world:
        cards = cards_of(world)
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.RUNNING)
        await until(lambda: kept(cards, job.id) != [])  # its progress is on the card

        await world.wait_delivered(job.id)
        await events_handled(world)

        assert kept(cards, job.id) == []


async def test_a_job_another_process_took_over_leaves_no_trace_in_the_cards_cog(
    tmp_path: Path, postgres_url: str
):
    """A's tracker emitted a progress; B took the job over before A's Cards edited the card."""
    async with make_world(tmp_path, database_url=postgres_url) as world:
        world.hold_jobs()
        cards = cards_of(world)
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.provider_task_id is not None)
        await events_handled(world)
        # Discord shows an edit before the cog counts it: read the count once no edit is under way.
        await until(lambda: card_settled(cards, job.id, JobStatus.SUBMITTED))
        assert kept(cards, job.id) != []  # the card shows it at the provider
        edits = cards.edits

        await take_over(postgres_url, world.settings.lease_seconds, job.id)
        progressed = dataclasses.replace(job, progress=60, updated_at=utcnow())  # still A's lease token
        world.bot.services.tracker.events.emit(JobEventKind.PROGRESS, progressed)

        with contextlib.suppress(TimeoutError):  # the edit may wait its turn (coalesced edits)
            await until(lambda: kept(cards, job.id) == [], timeout=2)
        assert kept(cards, job.id) == []
        assert cards.edits == edits  # B shows the card now


def card_settled(cards: Cards, job_id: int, status: JobStatus) -> bool:
    """Return True once the job's card shows ``status`` and no edit of it waits or is under way."""
    state = cards._states.get(job_id)  # the test watches the cog's own record
    if state is None or state.shown is None:
        return False
    return state.shown.status is status and state.timer is None and not state.lock.locked()


async def take_over(url: str, lease_seconds: float, job_id: int) -> Job:
    """Be process B: claim the job as if A's lease had expired."""
    later = utcnow() + dt.timedelta(seconds=lease_seconds + 1)
    async with await JobStore.open_postgres(url, lease_owner="two", clock=lambda: later) as two:
        (claimed,) = [job for job in await two.claim_expired() if job.id == job_id]
    return claimed
