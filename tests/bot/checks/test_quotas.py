"""Quotas against the real job store: concurrent, per-member daily and per-server daily limits."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from bot.checks.quotas import TYPICAL_JOB_DURATION, LimitKind, QuotaExceeded, QuotaPolicy, QuotaService
from bot.i18n import Lang, catalogue
from bot.models import FailureKind, GuildSettings, Job, JobSource, JobStatus, Motion, NewJob, Quality
from bot.settings import Settings
from bot.store import JobStore
from tests.store_fixtures import save_settings

NEXT_MIDNIGHT = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
USER, OTHER_USER = 1001, 1002
GUILD, OTHER_GUILD = 2001, 2002


def new_job(user: int = USER, guild: int | None = GUILD) -> NewJob:
    return NewJob(
        requester_id=user,
        guild_id=guild,
        channel_id=3001,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="",
        image_url="https://cdn.example/cat.png",
    )


async def job_in(store: JobStore, status: JobStatus, user: int = USER, guild: int | None = GUILD) -> Job:
    """Create a job and move it along legal transitions to ``status``."""
    job = await store.create_job(new_job(user, guild))
    if status in (JobStatus.FAILED, JobStatus.TIMED_OUT):
        return await store.mark_failed(
            job.id, FailureKind.TIMEOUT, "x", timed_out=status is JobStatus.TIMED_OUT
        )
    if status is JobStatus.QUEUED:
        return job
    job = await store.mark_submitting(job.id)
    job = await store.mark_submitted(job.id, f"task-{job.id}")
    if status is JobStatus.RUNNING:
        (running,) = await store.update_progress_many([(job.id, JobStatus.RUNNING, 40)])
        return running
    if status in (JobStatus.SUCCEEDED, JobStatus.DELIVERED):
        job = await store.mark_succeeded(job.id, ["https://cdn.example/1.mp4"])
    if status is JobStatus.DELIVERED:
        job = await store.mark_delivered(job.id)
    return job


async def many(store: JobStore, count: int, status: JobStatus, **who: int | None) -> None:
    for _ in range(count):
        await job_in(store, status, **who)  # type: ignore[arg-type]


def make_settings(**limits: int) -> Settings:
    values = {
        "max_concurrent_jobs_per_user": 2,
        "max_daily_jobs_per_user": 10,
        "max_daily_jobs_per_guild": 100,
    }
    values.update(limits)
    return Settings(discord_token="token", cometapi_key="key", _env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def quotas(store, clock) -> QuotaService:
    return QuotaService(store, make_settings(), clock=clock)


async def refusal(quotas: QuotaService, guild: int | None = GUILD, user: int = USER) -> QuotaExceeded:
    with pytest.raises(QuotaExceeded) as caught:
        await quotas.check(guild, user)
    for lang in Lang:  # every refusal must render in both languages with its own params
        assert catalogue().text(lang, caught.value.key, **caught.value.params)
    return caught.value


async def test_a_new_member_may_start_a_job(quotas):
    await quotas.check(GUILD, USER)


async def test_jobs_past_the_running_limit_wait_until_the_waiting_places_are_taken(store, clock):
    quotas = QuotaService(store, make_settings(max_waiting_jobs_per_user=2), clock=clock)
    await many(store, 2, JobStatus.RUNNING)
    await quotas.check(GUILD, USER)  # past the running limit of 2: it waits instead of being refused
    await many(store, 2, JobStatus.QUEUED)
    error = await refusal(quotas)
    assert (error.limit, error.limit_value, error.resets_at) == (LimitKind.WAITING, 2, None)
    assert error.key == "quota.exceeded.waiting"
    assert error.params == {"limit": 2, "waiting": 2}


async def test_running_limit_comes_from_the_server_policy_live(store, quotas):
    assert await quotas.running_limit(GUILD) == 2
    await save_settings(store, GuildSettings(guild_id=GUILD, max_concurrent_per_user=1))
    assert await quotas.running_limit(GUILD) == 1


async def test_finished_jobs_free_their_concurrent_slot(store, quotas):
    await job_in(store, JobStatus.SUBMITTED)
    await job_in(store, JobStatus.DELIVERED)
    await job_in(store, JobStatus.SUCCEEDED)
    await job_in(store, JobStatus.FAILED)
    await quotas.check(GUILD, USER)


async def test_running_and_waiting_places_are_per_person_across_servers(store, clock):
    """Jobs in another server take the person's places too; another member's jobs take none."""
    quotas = QuotaService(store, make_settings(max_waiting_jobs_per_user=1), clock=clock)
    await many(store, 2, JobStatus.RUNNING, user=OTHER_USER)
    await many(store, 2, JobStatus.RUNNING, guild=OTHER_GUILD)
    await quotas.check(GUILD, USER)  # past the running limit: it would wait
    await many(store, 1, JobStatus.QUEUED, guild=OTHER_GUILD)
    error = await refusal(quotas)
    assert (error.limit, error.waiting) == (LimitKind.WAITING, 1)


async def test_daily_limit_counts_succeeded_jobs_and_resets_at_utc_midnight(store, quotas):
    await many(store, 10, JobStatus.DELIVERED)
    error = await refusal(quotas)
    assert (error.limit, error.limit_value, error.resets_at) == (LimitKind.USER_DAILY, 10, NEXT_MIDNIGHT)
    assert error.params == {"limit": 10, "resets_at": int(NEXT_MIDNIGHT.timestamp())}
    assert f"<t:{int(NEXT_MIDNIGHT.timestamp())}:R>" in catalogue().text(Lang.EN, error.key, **error.params)


async def test_refused_failed_and_timed_out_jobs_are_free(store, quotas):
    await many(store, 6, JobStatus.FAILED)
    await many(store, 6, JobStatus.TIMED_OUT)
    await quotas.check(GUILD, USER)
    status = await quotas.status(GUILD, USER)
    assert (status.user_used, status.user_remaining) == (0, 10)


async def test_running_jobs_are_reserved_against_the_daily_limit(store, quotas):
    await many(store, 9, JobStatus.DELIVERED)
    await job_in(store, JobStatus.RUNNING)
    error = await refusal(quotas)
    assert error.limit is LimitKind.USER_DAILY


async def test_a_running_job_that_fails_gives_its_reservation_back(store, quotas):
    await many(store, 9, JobStatus.DELIVERED)
    running = await job_in(store, JobStatus.RUNNING)
    await refusal(quotas)
    await store.mark_failed(running.id, FailureKind.PROVIDER_FAILED, "broke")
    await quotas.check(GUILD, USER)


async def test_the_daily_count_starts_again_after_midnight(store, quotas, clock):
    await many(store, 10, JobStatus.DELIVERED)
    await refusal(quotas)
    clock.advance(minutes=15)
    await quotas.check(GUILD, USER)


async def test_server_daily_limit_counts_every_member(store, clock):
    quotas = QuotaService(store, make_settings(max_daily_jobs_per_guild=3), clock=clock)
    await many(store, 3, JobStatus.DELIVERED, user=OTHER_USER)
    error = await refusal(quotas)
    assert (error.limit, error.limit_value, error.resets_at) == (LimitKind.GUILD_DAILY, 3, NEXT_MIDNIGHT)
    await quotas.check(OTHER_GUILD, USER)


async def test_other_members_running_jobs_are_reserved_against_the_server_limit(store, clock):
    quotas = QuotaService(store, make_settings(max_daily_jobs_per_guild=3), clock=clock)
    await many(store, 2, JobStatus.DELIVERED, user=OTHER_USER)
    await job_in(store, JobStatus.QUEUED, user=OTHER_USER + 1)
    assert (await refusal(quotas)).limit is LimitKind.GUILD_DAILY


async def test_server_overrides_lower_the_operator_limits_and_never_raise_them(store, quotas):
    await save_settings(
        store,
        GuildSettings(
            guild_id=GUILD, max_concurrent_per_user=1, max_daily_per_user=50, max_daily_per_guild=60
        ),
    )
    assert await quotas.policy(GUILD) == QuotaPolicy(concurrent=1, user_daily=10, guild_daily=60, waiting=10)
    assert await quotas.policy(OTHER_GUILD) == QuotaPolicy(
        concurrent=2, user_daily=10, guild_daily=100, waiting=10
    )
    await many(store, 1 + 10, JobStatus.QUEUED)  # one running place and ten waiting ones
    assert (await refusal(quotas)).limit is LimitKind.WAITING
    await many(store, 10, JobStatus.DELIVERED, guild=OTHER_GUILD)
    assert (await refusal(quotas, guild=OTHER_GUILD)).limit is LimitKind.USER_DAILY


async def test_direct_messages_have_member_limits_but_no_server_limit(store, clock):
    quotas = QuotaService(store, make_settings(max_daily_jobs_per_guild=1), clock=clock)
    await many(store, 3, JobStatus.DELIVERED, guild=None)
    await quotas.check(None, USER)
    await many(store, 7, JobStatus.DELIVERED, guild=None)
    assert (await refusal(quotas, guild=None)).limit is LimitKind.USER_DAILY
    status = await quotas.status(None, USER)
    assert (status.guild_used, status.guild_limit, status.guild_remaining) == (None, None, None)


async def test_a_spent_daily_limit_is_named_before_a_full_concurrent_limit(store, quotas):
    await many(store, 10, JobStatus.DELIVERED)
    await save_settings(store, GuildSettings(guild_id=GUILD, max_daily_per_user=10))
    await job_in(store, JobStatus.QUEUED)
    await job_in(store, JobStatus.QUEUED)
    assert (await refusal(quotas)).limit is LimitKind.USER_DAILY


async def test_waiting_jobs_are_reserved_against_the_daily_limit(store, quotas):
    await many(store, 6, JobStatus.DELIVERED)
    await many(store, 2, JobStatus.RUNNING)
    await many(store, 1, JobStatus.QUEUED)
    await quotas.check(GUILD, USER)
    await many(store, 1, JobStatus.QUEUED)
    assert (await refusal(quotas)).limit is LimitKind.USER_DAILY


async def test_a_full_line_is_named_before_a_reserved_daily_limit(store, clock):
    quotas = QuotaService(store, make_settings(max_waiting_jobs_per_user=0), clock=clock)
    await many(store, 8, JobStatus.DELIVERED)
    await many(store, 2, JobStatus.RUNNING)
    assert (await refusal(quotas)).limit is LimitKind.WAITING


async def test_status_reports_usage_remaining_running_and_reset(store, quotas):
    await many(store, 3, JobStatus.DELIVERED)
    await many(store, 4, JobStatus.DELIVERED, user=OTHER_USER)
    await job_in(store, JobStatus.RUNNING)
    status = await quotas.status(GUILD, USER)
    assert (status.user_used, status.user_limit, status.user_remaining) == (3, 10, 6)
    assert (status.guild_used, status.guild_limit, status.guild_remaining) == (7, 100, 92)
    assert (status.running, status.concurrent_limit) == (1, 2)
    assert status.next_slot_at is None
    assert status.resets_at == NEXT_MIDNIGHT


async def test_status_estimates_when_the_next_slot_frees_up(store, quotas, clock):
    oldest = await job_in(store, JobStatus.RUNNING)
    clock.advance(minutes=1)
    await job_in(store, JobStatus.RUNNING)
    await job_in(store, JobStatus.QUEUED)
    status = await quotas.status(GUILD, USER)
    assert (status.running, status.waiting, status.waiting_limit) == (2, 1, 10)
    assert oldest.submitted_at is not None
    assert status.next_slot_at == oldest.submitted_at + TYPICAL_JOB_DURATION
    clock.advance(minutes=30)
    late = await quotas.status(GUILD, USER)
    assert late.next_slot_at == clock.now


async def test_remaining_never_goes_below_zero(store, quotas):
    await many(store, 10, JobStatus.DELIVERED)
    await save_settings(store, GuildSettings(guild_id=GUILD, max_daily_per_user=4))
    status = await quotas.status(GUILD, USER)
    assert (status.user_used, status.user_limit, status.user_remaining) == (10, 4, 0)


async def test_admission_lets_only_one_of_two_simultaneous_requests_take_the_last_slot(store, clock):
    quotas = QuotaService(
        store, make_settings(max_concurrent_jobs_per_user=1, max_waiting_jobs_per_user=0), clock=clock
    )

    async def start() -> Job:
        return await quotas.admission(new_job())

    results = await asyncio.gather(start(), start(), return_exceptions=True)
    refused = [result for result in results if isinstance(result, QuotaExceeded)]
    started = [result for result in results if isinstance(result, Job)]
    assert (len(started), len(refused)) == (1, 1)
    assert refused[0].limit is LimitKind.WAITING
    assert len(await store.running_jobs(USER)) == 1


def test_policy_uses_settings_when_the_server_has_no_overrides():
    settings = make_settings(
        max_concurrent_jobs_per_user=3, max_daily_jobs_per_user=7, max_daily_jobs_per_guild=70
    )
    assert QuotaPolicy.resolve(settings, None) == QuotaPolicy(
        concurrent=3, user_daily=7, guild_daily=70, waiting=10
    )
    partial = dataclasses.replace(GuildSettings(guild_id=GUILD), max_daily_per_user=1)
    assert QuotaPolicy.resolve(settings, partial) == QuotaPolicy(
        concurrent=3, user_daily=1, guild_daily=70, waiting=10
    )


@pytest.mark.parametrize(
    ("override", "expected"),
    [(None, 7), (1, 1), (6, 6), (7, 7), (8, 7), (10_000, 7)],
)
def test_policy_caps_every_override_at_the_operator_value(override, expected):
    settings = make_settings(
        max_concurrent_jobs_per_user=7, max_daily_jobs_per_user=7, max_daily_jobs_per_guild=7
    )
    overrides = GuildSettings(
        guild_id=GUILD,
        max_concurrent_per_user=override,
        max_daily_per_user=override,
        max_daily_per_guild=override,
    )
    assert QuotaPolicy.resolve(settings, overrides) == QuotaPolicy(expected, expected, expected, 10)
