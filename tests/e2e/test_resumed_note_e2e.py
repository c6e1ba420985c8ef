"""After a restart a resumed job's card says so once: its next edit carries the note, later ones not."""

from __future__ import annotations

import pytest

from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_parts, running_motionbot, settings_for

NOTES = {
    "en-US": "Motionbot restarted; this job carried on where it left off.",
    "vi": "Motionbot vừa khởi động lại; yêu cầu này được tiếp tục từ chỗ đã dừng.",
}


def footer(message: Message) -> str:
    """The card's notes."""
    return card_parts(message).notes


def description(message: Message) -> str:
    """The card's state line."""
    return card_parts(message).state


@pytest.mark.parametrize("locale", ["en-US", "vi"])
async def test_a_resumed_card_says_so_once_then_drops_the_note(tmp_path, locale):
    """A job running when the bot stopped: the first card edit after the restart shows the note,
    the next progress edit and the delivered card do not."""
    note = NOTES[locale]
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=100, initial_fraction=0.1)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            handle = await first.animate(locale=locale)
            await handle.wait_response()
            await first.wait_job(lambda j: j.provider_task_id is not None)
            comet.advance(30)
            job = await first.wait_job(lambda j: j.status is JobStatus.RUNNING)
            card_id = job.card_message_id
            assert note not in footer(discord.state.messages[card_id])

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            comet.advance(20)
            resumed = await second.wait_card(lambda m: m.id == card_id and note in footer(m))
            shown = description(resumed)
            comet.advance(20)
            later = await second.wait_card(lambda m: m.id == card_id and description(m) != shown)
            assert note not in footer(later)
            comet.finish(str(job.provider_task_id))
            delivered = await second.wait_card(lambda m: m.id == card_id and len(m.files) == 4)
            assert note not in footer(delivered)
            history = discord.state.messages[card_id].history
            assert sum(note in str(version.components) for version in history) == 1
