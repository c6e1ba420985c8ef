"""The spend ledger in the store: one reservation per job, charged or released by its transitions,
and the sums admission checks (per person across servers, per server, for the whole bot)."""

from __future__ import annotations

import pytest

from bot.models import Charge, FailureKind, JobStatus, LedgerState, Spend, SpendTotals, Standing
from bot.store import DuplicateJob
from tests.bot.store.test_store import GUILD, OTHER_GUILD, OTHER_USER, USER, job_in, sample_job

PRICE = 200_000  # 0.20 of the operator's currency


async def test_a_new_job_holds_a_reservation_of_its_price_and_units(store):
    job = await store.create_job(sample_job(cost=4, price=PRICE))
    assert await store.charge_of(job.id) == Charge(LedgerState.RESERVED, 4, PRICE)


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (FailureKind.PROVIDER_FAILED, LedgerState.RELEASED),
        (FailureKind.NEEDS_INPUT, LedgerState.RELEASED),
        (FailureKind.TIMEOUT, LedgerState.CHARGED),
        (FailureKind.INTERNAL, LedgerState.CHARGED),
    ],
)
async def test_after_the_submit_only_a_failure_the_provider_reports_releases_the_job(store, kind, state):
    job = await job_in(store, JobStatus.RUNNING, price=PRICE)
    assert await store.charge_of(job.id) == Charge(LedgerState.CHARGED, 1, PRICE)
    await store.mark_failed(job.id, kind, "x", timed_out=kind is FailureKind.TIMEOUT)
    assert (await store.charge_of(job.id)).state is state


@pytest.mark.parametrize("kind", [FailureKind.REFUSED, FailureKind.INTERRUPTED, FailureKind.NO_CAPACITY])
async def test_a_job_that_never_reached_the_provider_is_released(store, kind):
    job = await job_in(store, JobStatus.SUBMITTING, price=PRICE)
    await store.mark_failed(job.id, kind, "x")
    assert await store.charge_of(job.id) == Charge(LedgerState.RELEASED, 1, PRICE)


async def test_a_delivery_that_failed_stays_charged_and_a_clip_that_is_no_video_releases(store):
    """Discord refusing the upload is no reason the provider did not bill; an image instead of a video
    is the provider's failure (``bot.media.delivery``)."""
    upload_refused = await job_in(store, JobStatus.SUCCEEDED, price=PRICE)
    await store.mark_failed(upload_refused.id, FailureKind.DELIVERY, "403")
    not_a_video = await job_in(store, JobStatus.SUCCEEDED, price=PRICE)
    await store.mark_failed(not_a_video.id, FailureKind.PROVIDER_FAILED, "an image")
    assert (await store.charge_of(upload_refused.id)).state is LedgerState.CHARGED
    assert (await store.charge_of(not_a_video.id)).state is LedgerState.RELEASED


async def test_a_partial_delivery_charges_the_share_of_its_clips_and_more_as_they_are_posted(store):
    job = await store.create_job(sample_job(clips=4, cost=4, price=PRICE))
    await store.mark_submitted(job.id, "task-1")
    await store.mark_succeeded(job.id, [f"https://cdn.example/{i}.mp4" for i in range(4)])
    await store.mark_partly_delivered(job.id, [1, 2, 3])
    assert await store.charge_of(job.id) == Charge(LedgerState.CHARGED, 1, PRICE // 4)
    await store.mark_clips_posted(job.id, [1, 2])
    assert await store.charge_of(job.id) == Charge(LedgerState.CHARGED, 3, PRICE * 3 // 4)


async def test_spend_sums_reserved_and_charged_rows_per_person_server_and_bot(store):
    await job_in(store, JobStatus.QUEUED, price=100)  # reserved
    await job_in(store, JobStatus.DELIVERED, price=200)  # charged
    await job_in(store, JobStatus.QUEUED, guild_id=OTHER_GUILD, price=400)  # the person elsewhere
    await job_in(store, JobStatus.RUNNING, requester_id=OTHER_USER, price=800)  # another member here
    await job_in(store, JobStatus.FAILED, price=1600)  # released: counts nothing
    await job_in(store, JobStatus.QUEUED, guild_id=None, price=3200)  # direct messages

    standing = await store.standing(USER, GUILD)

    assert standing.spend == Spend(
        person_units_here=2,
        person_units=4,
        person_day_here=100 + 200,  # the person's money in this server only
        person_month_here=100 + 200,
        guild_units=3,
        person_day=100 + 200 + 400 + 3200,
        person_month=100 + 200 + 400 + 3200,
        guild_day=100 + 200 + 800,
        guild_month=100 + 200 + 800,
        bot_day=100 + 200 + 400 + 800 + 3200,
        bot_month=100 + 200 + 400 + 800 + 3200,
    )
    assert [job.guild_id for job in standing.active] == [GUILD, OTHER_GUILD, None]


async def test_the_day_sums_start_again_at_midnight_and_the_month_sums_on_the_first(store, clock):
    """The fixture's clock starts on 1 March at 23:50 UTC."""
    await job_in(store, JobStatus.DELIVERED, price=100)
    clock.advance(minutes=15)  # 2 March
    await job_in(store, JobStatus.DELIVERED, price=200)
    spend = (await store.standing(USER, GUILD)).spend
    assert (spend.person_units, spend.person_day, spend.person_month) == (1, 200, 300)
    assert (spend.bot_day, spend.bot_month) == (200, 300)
    clock.advance(days=31)  # 2 April
    assert (await store.standing(USER, GUILD)).spend == Spend()


async def test_admission_checks_the_standing_and_a_refusal_stores_nothing(store):
    await job_in(store, JobStatus.QUEUED, price=100)
    seen: list[Standing] = []

    def refuse(standing: Standing) -> None:
        seen.append(standing)
        raise LookupError("no room")

    with pytest.raises(LookupError):
        await store.admit_job(sample_job(price=PRICE), refuse)
    assert seen[0].spend.person_day == 100 and len(seen[0].active) == 1
    assert len(await store.all_jobs()) == 1
    assert (await store.standing(USER, GUILD)).spend.person_day == 100


async def test_a_duplicate_is_refused_as_such_before_any_limit(store):
    first = await store.create_job(sample_job(source_message_id=555))

    def refuse(_standing: Standing) -> None:
        raise AssertionError("a duplicate never reaches the limits")

    with pytest.raises(DuplicateJob) as duplicate:
        await store.admit_job(sample_job(source_message_id=555), refuse)
    assert duplicate.value.job.id == first.id


async def test_spend_totals_are_the_bots_charged_and_reserved_money(store):
    await job_in(store, JobStatus.QUEUED, price=100)
    await job_in(store, JobStatus.RUNNING, requester_id=OTHER_USER, price=200)
    await job_in(store, JobStatus.FAILED, price=400)
    assert await store.spend_totals() == SpendTotals(
        charged_day=200, charged_month=200, reserved_day=100, reserved_month=100
    )
