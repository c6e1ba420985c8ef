"""checked_before_answer: what a member sees when a click's checks refuse, run too long, or break.

Every button and command that reads before its first answer goes through this one helper (issue
20, item 7). Here a probe cog in the real bot, clicked through the Discord double, runs it on checks
that pass, refuse, hang past the deadline or raise, and the test reads the answer the member gets.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord.ext import commands

from bot.checks import Refusal
from bot.client import checked_before_answer, reply_ephemeral
from bot.i18n import Lang
from tests.e2e.harness import World

DEADLINE = 3.0  # Discord's, for the first answer


async def passes() -> str:
    return "the checks passed"


async def refuses() -> str:
    raise Refusal("error.job_not_found")


async def hangs() -> str:
    await asyncio.Event().wait()  # a read that never ends, as on a hung disk
    raise AssertionError("unreachable")


async def breaks() -> str:
    raise RuntimeError("secret internals")


CHECKS: dict[str, Callable[[], Coroutine[Any, Any, str]]] = {
    "probe:passes": passes,
    "probe:refuses": refuses,
    "probe:hangs": hangs,
    "probe:breaks": breaks,
}


class Probe(commands.Cog):
    """Answers the probe buttons through ``checked_before_answer``; passed checks answer their result."""

    def __init__(self) -> None:
        self.returned: asyncio.Queue[str | None] = asyncio.Queue()  # what the helper gave each click

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        checks = CHECKS.get(str((interaction.data or {}).get("custom_id", "")))
        if checks is None:
            return
        result = await checked_before_answer(interaction, checks(), "probing")
        if result is not None:
            await reply_ephemeral(interaction, result)
        self.returned.put_nowait(result)


async def click(world: World, custom_id: str, locale: str = "en-US") -> tuple[str, float, bool]:
    """Click a probe button; return the answer's text, its latency and whether it was private."""
    discord_double = world.discord
    await world.bot.remove_cog("UnknownInteractions")  # it would answer the probe buttons too
    if world.bot.get_cog("Probe") is None:
        await world.bot.add_cog(Probe())
    message = await discord_double.post_message(discord_double.bob, discord_double.general, "probe")
    button = {"type": 2, "style": 2, "label": "Probe", "custom_id": custom_id, "id": 1}
    message.components = [{"type": 1, "components": [button]}]
    handle = await discord_double.click(discord_double.alice, message, custom_id, locale=locale)
    response = await handle.wait_response()
    return response.data["content"], response.latency, handle.ephemeral


async def returned(world: World) -> str | None:
    """Return what the helper gave the probe for the last click, once it has returned."""
    probe = world.bot.get_cog("Probe")
    assert isinstance(probe, Probe)
    return await asyncio.wait_for(probe.returned.get(), timeout=5)


def catalogue_text(world: World, lang: Lang, key: str) -> str:
    return world.bot.services.catalogue.text(lang, key)


async def test_checks_that_pass_leave_the_answer_to_the_caller(world):
    content, latency, private = await click(world, "probe:passes")
    assert (content, private) == ("the checks passed", True)
    assert latency < DEADLINE
    assert await returned(world) == "the checks passed"


async def test_a_refusal_is_shown_privately_in_the_members_language(world):
    content, latency, private = await click(world, "probe:refuses", locale="vi")
    assert content == catalogue_text(world, Lang.VI, "error.job_not_found")
    assert private and latency < DEADLINE
    assert await returned(world) is None  # answered: the caller stops


async def test_checks_past_the_deadline_answer_busy_before_discords_deadline(world):
    content, latency, private = await click(world, "probe:hangs")
    assert content == catalogue_text(world, Lang.EN, "error.busy")
    assert private and latency < DEADLINE
    assert await returned(world) is None  # answered: the caller stops


async def test_an_unexpected_error_gets_an_apology_whose_id_is_in_the_log(world, caplog):
    with caplog.at_level(logging.ERROR):
        content, latency, private = await click(world, "probe:breaks")
    assert private and latency < DEADLINE
    assert "secret internals" not in content and "Traceback" not in content
    error_id = re.search(r"\b([0-9a-f]{8})\b", content)
    assert error_id, content
    assert content == world.bot.services.catalogue.text(Lang.EN, "error.unexpected", error_id=error_id[1])
    logged = [record for record in caplog.records if error_id[1] in record.getMessage()]
    assert logged and "probing" in logged[0].getMessage()
    assert logged[0].exc_info is not None and "secret internals" in str(logged[0].exc_info[1])
    assert await returned(world) is None  # answered: the caller stops
