"""A bot started in a process that imported its cogs before loads them afresh, all of one copy.

``load_extension`` makes a fresh module for an extension but reused its submodules already imported
(by a test module at collection, a host embedding the bot, a bot started earlier): the reaction
trigger then checked the fresh CommandAccess cog against its old copy of the class and failed every
reaction ("the CommandAccess cog is not loaded"), which made whichever reaction test ran first in a
pytest worker fail.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bot.models import JobSource, JobStatus
from tests.e2e.harness import make_world
from tests.e2e.test_reactions_e2e import TRIGGER, has_clips, post_image


async def test_a_reaction_works_when_the_trigger_was_imported_before_the_bot_started(tmp_path: Path) -> None:
    for name in [name for name in sys.modules if name.startswith("cogs.")]:
        del sys.modules[name]  # as in a fresh process...
    importlib.import_module("cogs.triggers._reactions")  # ...that imports the trigger before the bot

    async with make_world(tmp_path) as world:
        image = await post_image(world)
        await world.discord.add_reaction(world.discord.alice, image, TRIGGER)

        await world.wait_card(has_clips)
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
        assert job.source is JobSource.REACTION and job.requester_id == world.discord.alice.id
