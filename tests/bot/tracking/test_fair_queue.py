"""The waiting queue: fair order, slot hand-out, positions, and the busy back-off."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from bot.models import Job, JobSource, JobStatus, Motion, Quality
from bot.provider.state import BACKOFF_CAP_SECONDS, ProviderCondition, ProviderState, busy_delay
from bot.tracking.dispatcher import EXACT_POSITIONS, Dispatcher
from bot.tracking.fair_queue import FairQueue, Waiting, fair_order

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def ids(entries: list[Waiting]) -> list[int]:
    return [entry.job_id for entry in entries]


def test_one_member_is_first_in_first_out():
    assert ids(fair_order([Waiting(3, 1, 7), Waiting(1, 1, 7), Waiting(2, 1, 7)])) == [1, 2, 3]


def test_members_take_turns_so_a_late_member_is_not_stuck_behind_a_burst():
    burst = [Waiting(job_id, 1, 100) for job_id in range(1, 6)]  # member A posts five
    late = Waiting(6, 1, 200)  # then member B posts one
    assert ids(fair_order([*burst, late])) == [1, 6, 2, 3, 4, 5]


def test_servers_take_turns_within_a_round():
    # Server 1 has three members with a job each, server 2 one member: server 2 is not served last.
    entries = [Waiting(1, 1, 10), Waiting(2, 1, 11), Waiting(3, 1, 12), Waiting(4, 2, 20)]
    assert ids(fair_order(entries)) == [1, 4, 2, 3]


def test_the_order_depends_only_on_the_stored_facts():
    entries = [Waiting(job_id, job_id % 3, job_id % 5) for job_id in range(1, 60)]
    shuffled = entries[:]
    random.Random(4).shuffle(shuffled)
    assert fair_order(shuffled) == fair_order(entries)


def test_a_requeued_job_gets_its_own_place_back():
    queue = FairQueue()
    for job_id in (1, 2, 3):
        queue.add(Waiting(job_id, 1, job_id))
    [first] = queue.pick(1, {}, lambda _guild: 5)
    assert first.job_id == 1 and queue.position(2) == 1
    queue.add(first)  # the provider was busy
    assert ids(queue.order()) == [1, 2, 3]


def test_a_job_that_yielded_its_turn_waits_behind_every_other_job():
    """No account for it (code 3): behind the others, whatever its id, member or server; later
    arrivals go first too, so it can never hold the line."""
    refused = Waiting(1, 1, 100, yielded_at=NOW)
    others = [Waiting(2, 1, 100), Waiting(3, 2, 200), Waiting(9, 1, 300)]
    assert ids(fair_order([refused, *others])) == [2, 3, 9, 1]


def test_jobs_that_yielded_take_turns_by_when_they_yielded():
    """The one refused longest ago is tried first: two such jobs alternate instead of one starving."""
    earlier = Waiting(5, 1, 100, yielded_at=NOW)
    later = Waiting(4, 1, 200, yielded_at=NOW + dt.timedelta(seconds=1))
    assert ids(fair_order([later, earlier, Waiting(6, 1, 300)])) == [6, 5, 4]
    queue = FairQueue()
    for entry in (later, earlier):
        queue.add(entry)
    [tried] = queue.pick(1, {}, lambda _guild: 5)
    assert tried.job_id == 5
    queue.add(Waiting(5, 1, 100, yielded_at=NOW + dt.timedelta(seconds=2)))  # refused again
    assert ids(queue.order()) == [4, 5]


def test_pick_skips_members_at_their_running_limit_without_losing_their_place():
    queue = FairQueue()
    for entry in (Waiting(1, 1, 100), Waiting(2, 1, 100), Waiting(3, 1, 200)):
        queue.add(entry)
    picked = queue.pick(5, {(1, 100): 1}, lambda _guild: 2)
    assert ids(picked) == [1, 3]  # member 100 had one running: one more, not two
    assert queue.position(2) == 1


def test_a_person_in_several_servers_takes_one_turn_per_round():
    """Issue 21: one person posting in three servers is one person in line, not three. Alice (100)
    starts jobs in servers 1, 2 and 3 before Bob (200) posts once: Bob is second, not fourth."""
    entries = [Waiting(1, 1, 100), Waiting(2, 2, 100), Waiting(3, 3, 100), Waiting(4, 1, 200)]
    assert ids(fair_order(entries)) == [1, 4, 2, 3]
    served_elsewhere = {(2, 100): [1]}  # Alice was just served in server 2
    assert ids(fair_order(entries[1:], served_elsewhere)) == [4, 2, 3]


def test_the_running_limit_counts_the_persons_jobs_in_every_server():
    queue = FairQueue()
    for entry in (Waiting(1, 1, 100), Waiting(2, 2, 200)):
        queue.add(entry)
    picked = queue.pick(5, {(2, 100): 1, (3, 100): 1}, lambda _guild: 2)
    assert ids(picked) == [2]  # Alice has two running elsewhere: her limit of 2 is reached here too


def test_pick_never_hands_out_more_than_the_free_slots():
    queue = FairQueue()
    for job_id in range(1, 11):
        queue.add(Waiting(job_id, 1, job_id))
    assert len(queue.pick(3, {}, lambda _guild: 1)) == 3
    assert len(queue) == 7


def job(job_id: int, user: int, status: JobStatus = JobStatus.QUEUED, guild: int = 1) -> Job:
    return Job(
        id=job_id,
        requester_id=user,
        guild_id=guild,
        channel_id=5,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="p",
        image_url="https://cdn.discordapp.com/a.png",
        locale="en-US",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_dispatcher_respects_the_provider_cap_and_member_limits():
    async def limit(_guild: int | None) -> int:
        return 2

    dispatcher = Dispatcher(cap=3, running_limit=limit, clock=lambda: NOW)
    active = {1: job(1, 100, JobStatus.RUNNING)}
    for job_id, user in ((2, 100), (3, 100), (4, 200), (5, 300)):
        active[job_id] = job(job_id, user)
        dispatcher.add(active[job_id])
    # Three slots, one used: members with nothing running go first.
    assert await dispatcher.take(active) == [4, 5]
    assert dispatcher.running_count(active) == 3
    assert await dispatcher.take(active) == []
    del active[1]  # member 100's job finished: a slot, and member 100 is under the limit again
    dispatcher.changed()
    assert await dispatcher.take(active) == [2]


async def test_a_member_just_served_waits_behind_one_who_was_not():
    """One slot: Alice's burst, then Bob's single job; after Alice's first ends, Bob goes next."""
    dispatcher = Dispatcher(cap=1, clock=lambda: NOW)
    active: dict[int, Job] = {}
    for job_id, user in ((1, 100), (2, 100), (3, 100), (4, 200)):
        active[job_id] = job(job_id, user)
        dispatcher.add(active[job_id])
    order = []
    for _ in range(4):
        [started] = await dispatcher.take(active)
        order.append(started)
        del active[started]  # it ran and finished
        dispatcher.changed()
    assert order == [1, 4, 2, 3]


async def test_a_job_refused_for_lack_of_an_account_lets_the_next_job_have_the_slot():
    """One slot: the first job comes back refused (code 3, stored as ``capacity_refused_at``); the
    next take gives the slot to the job behind it, and a job that only met a full queue keeps its place."""
    dispatcher = Dispatcher(cap=1, clock=lambda: NOW)
    active = {job_id: job(job_id, user) for job_id, user in ((1, 100), (2, 200), (3, 300))}
    for waiting in active.values():
        dispatcher.add(waiting)
    assert await dispatcher.take(active) == [1]
    dispatcher.add(replace(active[1], capacity_refused_at=NOW))  # no account for it: back in line
    assert await dispatcher.take(active) == [2]
    assert dispatcher.place(1, 60.0).place == 2  # type: ignore[union-attr]
    dispatcher.add(active[2])  # queue full (code 23): back at its own place, first
    assert await dispatcher.take(active) == [2]


async def test_positions_are_announced_only_when_they_change_and_only_near_the_front():
    dispatcher = Dispatcher(cap=1, clock=lambda: NOW)
    active = {job_id: job(job_id, job_id) for job_id in range(1, EXACT_POSITIONS + 11)}
    for item in active.values():
        dispatcher.add(item)
    # The first line of a process (resumed after a restart): cards beyond the exact places already
    # say "more than 25 ahead", so only the front ones are edited.
    assert dispatcher.moved() == list(range(1, EXACT_POSITIONS + 1))
    assert dispatcher.moved() == []
    assert await dispatcher.take(active) == [1]
    moved = dispatcher.moved()
    assert moved == list(range(2, EXACT_POSITIONS + 2))  # the 25 now in front move up; the rest stay "far"
    place = dispatcher.place(EXACT_POSITIONS + 5, typical_seconds=60)
    assert place is not None and not place.exact
    near = dispatcher.place(4, typical_seconds=60)
    assert near is not None and (near.place, near.exact, near.wait_seconds) == (3, True, 180)


async def test_later_arrivals_beyond_the_front_learn_their_place_once():
    dispatcher = Dispatcher(cap=1, clock=lambda: NOW)
    active = {1: job(1, 1)}
    dispatcher.add(active[1])
    assert dispatcher.moved() == [1]
    for job_id in range(2, EXACT_POSITIONS + 4):
        active[job_id] = job(job_id, job_id)
        dispatcher.add(active[job_id])
    assert dispatcher.moved() == list(range(2, EXACT_POSITIONS + 4))
    assert dispatcher.moved() == []


async def test_a_busy_provider_holds_every_submission_until_the_back_off_ends():
    dispatcher = Dispatcher(cap=5, busy_base=60, clock=lambda: NOW)
    active = {1: job(1, 1)}
    dispatcher.add(active[1])
    dispatcher.busy(retry_after=None)
    assert await dispatcher.take(active) == []
    assert dispatcher.state == ProviderState(ProviderCondition.BUSY, NOW)
    dispatcher.answered()
    assert await dispatcher.take(active) == [1]
    assert dispatcher.state.condition is ProviderCondition.NORMAL


def test_busy_delay_grows_honours_retry_after_and_is_capped():
    random.seed(1)
    first = busy_delay(1, base=5, retry_after=None)
    assert 2.5 <= first <= 5
    assert 20 <= busy_delay(4, base=5, retry_after=None) <= 40
    assert busy_delay(1, base=5, retry_after=90) == 90
    assert busy_delay(30, base=5, retry_after=None) <= BACKOFF_CAP_SECONDS
    assert busy_delay(1, base=5, retry_after=10_000) == BACKOFF_CAP_SECONDS


def test_provider_state_keeps_its_since_while_the_condition_lasts():
    later = NOW + dt.timedelta(minutes=1)
    busy = ProviderState().seen(ProviderCondition.BUSY, NOW)
    assert busy.seen(ProviderCondition.BUSY, later).since == NOW
    assert busy.seen(ProviderCondition.UNREACHABLE, later) == ProviderState(
        ProviderCondition.UNREACHABLE, later
    )
    assert busy.seen(ProviderCondition.NORMAL, later) == ProviderState()


def test_jobs_already_served_count_in_their_round_for_members_and_servers():
    # Server 1 already served Alice (id 1) this round: server 2's Carol goes before Bob, and Alice's
    # next job waits for round 1.
    waiting = [Waiting(2, 1, 100), Waiting(3, 1, 200), Waiting(4, 2, 300)]
    assert ids(fair_order(waiting, {(1, 100): [1]})) == [4, 3, 2]
    assert ids(fair_order(waiting)) == [2, 4, 3]
