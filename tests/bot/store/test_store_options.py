"""Video options on stored jobs and servers, and daily usage counted in each job's own units."""

from __future__ import annotations

import pytest

from bot.checks.quotas import QuotaExceeded, QuotaService
from bot.models import FailureKind, GuildSettings
from bot.settings import read_settings
from tests.bot.store.test_store import GUILD, USER, sample_job
from tests.store_fixtures import save_settings


async def test_options_round_trip(store):
    """clips, loop, raw, the end image URL and the cost come back as stored."""
    job = await store.create_job(
        sample_job(clips=2, loop=False, raw=True, end_image_url="https://cdn.example/end.png", cost=2)
    )
    again = await store.get_job(job.id)
    assert again is not None
    assert (again.clips, again.loop, again.raw, again.end_image_url, again.cost) == (
        2,
        False,
        True,
        "https://cdn.example/end.png",
        2,
    )
    assert again.options.end_frame and again.options.clips == 2


async def test_the_submit_charges_the_cost_and_only_a_failure_the_provider_reports_releases_it(store):
    """A job admitted at cost 2 is charged 2 once submitted; a failed delivery keeps the charge (the
    provider billed the clips), a failure the provider reports gives the 2 back."""
    delivery_failed = await store.create_job(sample_job(clips=2, cost=2))
    await store.mark_submitted(delivery_failed.id, "1762547298152655")
    assert (await store.usage_today(GUILD, USER)).user_today == 2
    await store.mark_succeeded(delivery_failed.id, ["https://x/0.mp4", "https://x/1.mp4"])
    await store.mark_failed(delivery_failed.id, FailureKind.DELIVERY, "upload failed")
    assert (await store.usage_today(GUILD, USER)).user_today == 2
    provider_failed = await store.create_job(sample_job(clips=2, cost=2))
    await store.mark_submitted(provider_failed.id, "1762547298152656")
    assert (await store.usage_today(GUILD, USER)).user_today == 4
    await store.mark_failed(provider_failed.id, FailureKind.PROVIDER_FAILED, "no clip")
    assert (await store.usage_today(GUILD, USER)).user_today == 2


async def test_server_clip_settings_round_trip(store):
    """default_clips and count_clips are stored per server."""
    await save_settings(store, GuildSettings(guild_id=GUILD, default_clips=1, count_clips=True))
    saved = await store.get_guild_settings(GUILD)
    assert saved is not None and (saved.default_clips, saved.count_clips) == (1, True)


async def test_admission_reserves_the_cost_of_active_jobs_and_of_the_new_one(store):
    """Limit 5: a waiting 4-clip job leaves room for a 1-clip job, not for a 2-clip one."""
    settings = read_settings(None, discord_token="t", cometapi_key="k", max_daily_jobs_per_user=5)
    quotas = QuotaService(store, settings)
    await store.create_job(sample_job(clips=4, cost=4))
    await quotas.check(GUILD, USER, cost=1)
    with pytest.raises(QuotaExceeded) as refused:
        await quotas.check(GUILD, USER, cost=2)
    assert refused.value.limit_value == 5
