"""Job store reads used by quotas and the UI: usage, settings, meta and job listings."""

from __future__ import annotations

import pytest

from bot.models import ACTIVE_STATUSES, FailureKind, GuildSettings, JobStatus, Motion, Quality, UsageCounts
from tests.bot.store.test_store import (
    GUILD,
    OTHER_GUILD,
    OTHER_USER,
    PLUS_SEVEN,
    USER,
    job_in,
    sample_job,
)
from tests.store_fixtures import save_settings

# -- usage ---------------------------------------------------------------------------------------


async def test_usage_counts_what_the_provider_bills(store):
    await job_in(store, JobStatus.SUCCEEDED)
    await job_in(store, JobStatus.DELIVERED)
    await job_in(store, JobStatus.FAILED)  # refused before its submit
    await job_in(store, JobStatus.TIMED_OUT)  # timed out while waiting
    await job_in(store, JobStatus.QUEUED)  # reserved, not charged yet
    await job_in(store, JobStatus.RUNNING)
    delivery_failed = await job_in(store, JobStatus.SUCCEEDED)
    await store.mark_failed(delivery_failed.id, FailureKind.DELIVERY, "upload refused")
    provider_failed = await job_in(store, JobStatus.RUNNING)
    await store.mark_failed(provider_failed.id, FailureKind.PROVIDER_FAILED, "no clip")
    # Every job the provider took and did not fail itself counts: succeeded, delivered, running and
    # the one whose delivery failed; nothing that never reached it or that it failed.
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=4, guild_today=4)


async def test_usage_per_user_and_per_guild(store):
    await job_in(store, JobStatus.SUCCEEDED)
    await job_in(store, JobStatus.SUCCEEDED, requester_id=OTHER_USER)
    await job_in(store, JobStatus.SUCCEEDED, guild_id=OTHER_GUILD)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=1, guild_today=2)
    assert await store.usage_today(GUILD, OTHER_USER) == UsageCounts(user_today=1, guild_today=2)
    assert await store.usage_today(OTHER_GUILD, USER) == UsageCounts(user_today=1, guild_today=1)
    assert await store.usage_today(OTHER_GUILD, OTHER_USER) == UsageCounts(user_today=0, guild_today=1)


async def test_direct_message_usage_counts_per_user_only(store):
    await job_in(store, JobStatus.SUCCEEDED, guild_id=None)
    await job_in(store, JobStatus.SUCCEEDED, guild_id=None)
    assert await store.usage_today(None, USER) == UsageCounts(user_today=2, guild_today=0)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=0, guild_today=0)
    assert await store.usage_today(None, OTHER_USER) == UsageCounts(user_today=0, guild_today=0)


async def test_usage_resets_at_utc_midnight(store, clock):
    # START is 23:50 UTC, already the next day in the clock's UTC+7 zone: the UTC day must count.
    await job_in(store, JobStatus.SUCCEEDED)
    clock.advance(minutes=9)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=1, guild_today=1)
    clock.advance(minutes=2)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=0, guild_today=0)
    await job_in(store, JobStatus.SUCCEEDED)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=1, guild_today=1)


async def test_usage_day_is_the_day_of_admission(store, clock):
    """A job admitted before midnight (UTC) and finished after it counts on the day it was admitted."""
    job = await job_in(store, JobStatus.RUNNING)
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=1, guild_today=1)
    clock.advance(hours=1)
    await store.mark_succeeded(job.id, ["https://cdn.example/late.mp4"])
    assert await store.usage_today(GUILD, USER) == UsageCounts(user_today=0, guild_today=0)


# -- settings and meta ---------------------------------------------------------------------------


async def test_guild_settings_round_trip(store):
    assert await store.get_guild_settings(GUILD) is None
    settings = GuildSettings(
        guild_id=GUILD,
        allowed_channel_ids=frozenset({30, 10, 20}),
        reactions_enabled=False,
        reaction_emoji="🎞️",
        reaction_channel_ids=frozenset({40}),
        buttons_everyone=True,
        default_motion=Motion.HIGH,
        default_quality=Quality.HD,
        max_concurrent_per_user=3,
        max_daily_per_user=7,
        max_daily_per_guild=70,
    )
    await save_settings(store, settings)
    assert await store.get_guild_settings(GUILD) == settings
    assert await store.get_guild_settings(OTHER_GUILD) is None


async def test_guild_settings_overwrite_with_defaults(store):
    await save_settings(store, GuildSettings(guild_id=GUILD, reactions_enabled=True, max_daily_per_user=2))
    await save_settings(store, GuildSettings(guild_id=GUILD))
    assert await store.get_guild_settings(GUILD) == GuildSettings(guild_id=GUILD)


async def test_meta_round_trip(store):
    assert await store.get_meta("command_hash") is None
    await store.set_meta("command_hash", "abc")
    await store.set_meta("command_hash", "def")
    await store.set_meta("other", "")
    assert await store.get_meta("command_hash") == "def"
    assert await store.get_meta("other") == ""


# -- queries -------------------------------------------------------------------------------------


async def test_recent_jobs_newest_first_with_paging(store, clock):
    ids = []
    for _ in range(5):
        ids.append((await store.create_job(sample_job())).id)
        clock.advance(seconds=1)
    same_time = [(await store.create_job(sample_job())).id for _ in range(2)]
    await store.create_job(sample_job(guild_id=OTHER_GUILD))
    await store.create_job(sample_job(requester_id=OTHER_USER))
    newest_first = same_time[::-1] + ids[::-1]
    page_one = await store.recent_jobs(USER, GUILD, limit=4)
    page_two = await store.recent_jobs(USER, GUILD, limit=4, offset=4)
    assert [job.id for job in page_one + page_two] == newest_first
    assert await store.recent_jobs(USER, GUILD, limit=4, offset=8) == []


async def test_recent_jobs_in_direct_messages(store):
    dm = await store.create_job(sample_job(guild_id=None))
    await store.create_job(sample_job())
    assert [job.id for job in await store.recent_jobs(USER, None, limit=10)] == [dm.id]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (5, -1)])
async def test_recent_jobs_refuses_bad_paging(store, limit, offset):
    with pytest.raises(ValueError, match="limit"):
        await store.recent_jobs(USER, GUILD, limit=limit, offset=offset)


async def test_running_jobs_are_the_active_ones_in_every_guild(store):
    active = {status: await job_in(store, status) for status in ACTIVE_STATUSES}
    elsewhere = await job_in(store, JobStatus.RUNNING, guild_id=OTHER_GUILD)
    for status in JobStatus:
        if not status.is_active:
            await job_in(store, status)
    await job_in(store, JobStatus.RUNNING, requester_id=OTHER_USER)
    running = await store.running_jobs(USER)
    assert [job.id for job in running] == sorted([job.id for job in active.values()] + [elsewhere.id])
    assert await store.running_jobs(9999) == []


async def test_jobs_with_status_and_counts(store):
    made = {status: await job_in(store, status) for status in JobStatus}
    extra_running = await job_in(store, JobStatus.RUNNING)
    tracked = await store.jobs_with_status(JobStatus.SUBMITTED, JobStatus.RUNNING)
    expected = [made[JobStatus.SUBMITTED].id, made[JobStatus.RUNNING].id, extra_running.id]
    assert [job.id for job in tracked] == expected
    assert await store.jobs_with_status() == []
    counts = await store.count_by_status()
    assert counts == {status: 2 if status is JobStatus.RUNNING else 1 for status in JobStatus}


async def test_count_by_status_of_an_empty_store(store):
    assert await store.count_by_status() == dict.fromkeys(JobStatus, 0)


async def test_all_jobs_since(store, clock):
    old = await store.create_job(sample_job())
    clock.advance(days=1)
    new = await store.create_job(sample_job(requester_id=OTHER_USER))
    assert [job.id for job in await store.all_jobs()] == [old.id, new.id]
    assert [job.id for job in await store.all_jobs(since=clock.now)] == [new.id]
    assert [job.id for job in await store.all_jobs(since=clock.now.astimezone(PLUS_SEVEN))] == [new.id]


async def test_count_jobs_counts_only_that_members_jobs_in_that_server(store):
    for requester, guild in (
        (USER, GUILD),
        (USER, GUILD),
        (USER, OTHER_GUILD),
        (OTHER_USER, GUILD),
        (USER, None),
    ):
        await store.create_job(sample_job(requester_id=requester, guild_id=guild))
    assert await store.count_jobs(USER, GUILD) == 2
    assert await store.count_jobs(USER, None) == 1
    assert await store.count_jobs(OTHER_USER, OTHER_GUILD) == 0


async def test_count_active_jobs_counts_a_servers_queued_to_running_jobs_only(store):
    await job_in(store, JobStatus.QUEUED)
    await job_in(store, JobStatus.RUNNING)
    await job_in(store, JobStatus.FAILED)
    await job_in(store, JobStatus.DELIVERED)
    await job_in(store, JobStatus.SUBMITTED, guild_id=OTHER_GUILD)
    assert await store.count_active_jobs(GUILD) == 2
    assert await store.count_active_jobs(OTHER_GUILD) == 1
    assert await store.count_active_jobs(GUILD + OTHER_GUILD) == 0


async def test_update_progress_many_writes_a_polls_reports_and_skips_jobs_no_longer_tracked(store):
    running = await job_in(store, JobStatus.SUBMITTED)
    waiting = await job_in(store, JobStatus.SUBMITTED)
    gone = await job_in(store, JobStatus.FAILED)
    updated = await store.update_progress_many(
        [
            (running.id, JobStatus.RUNNING, 40),
            (waiting.id, JobStatus.SUBMITTED, 0),
            (gone.id, JobStatus.RUNNING, 10),
        ]
    )
    assert [(job.id, job.status, job.progress) for job in updated] == [
        (running.id, JobStatus.RUNNING, 40),
        (waiting.id, JobStatus.SUBMITTED, 0),
    ]
    assert (await store.get_job(gone.id)).status is JobStatus.FAILED
