"""Restarts end to end: what a crash left half-done is finished by the next process."""

from bot.models import FailureKind, Job, JobStatus
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_parts, running_motionbot, settings_for


async def test_a_failure_stored_just_before_a_crash_reaches_the_card_after_restart(tmp_path):
    """A job failed in the store whose card still says "Generating" is shown as failed after a restart."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=3600)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            handle = await first.animate()
            await handle.wait_response()
            job = await first.wait_job(lambda j: j.status is JobStatus.SUBMITTED)
        # What a crash between storing the failure and editing the card leaves behind:
        failed = await _fail_offline(settings, job.id, FailureKind.PROVIDER_FAILED, "upstream timeout")
        assert failed.final_shown_at is None

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            card = await second.wait_card(
                lambda m: m.id == job.card_message_id and "upstream timeout" in card_parts(m).state
            )
            assert not card.files
            shown = await second.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)
            assert shown.status is JobStatus.FAILED
        async with running_motionbot(settings, discord) as bot:
            edits = len(discord.state.messages[job.card_message_id].history)
            third = World(discord=discord, comet=comet, settings=settings, bot=bot)
            assert (await third.store.get_job(job.id)).final_shown_at is not None
        assert len(discord.state.messages[job.card_message_id].history) == edits  # announced once


async def _fail_offline(settings, job_id, kind, reason) -> Job:
    store = await JobStore.open(settings.database_path)
    try:
        return await store.mark_failed(job_id, kind, reason)
    finally:
        await store.close()
