"""What pressing a job's button does: Extend, Extend with a prompt, Cancel, Retry, Post missing clips.

Each press is checked where it came from and who pressed it (``bot.access``), and in the member's
language; buttons nobody handles get a polite answer. The buttons themselves (DynamicItems, custom
ids) are drawn with the card in ``cogs.cards``. May import ``cogs.cards``, ``cogs.triggers``,
``cogs.command_access`` and ``bot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.buttons._extend import Extend
from cogs.buttons._extend_prompt import ExtendPrompt
from cogs.buttons._job_buttons import JobButtons
from cogs.buttons._missing_clips import MissingClips
from cogs.buttons._post_private import PrivateResults
from cogs.buttons._unknown import UnknownInteractions
from cogs.cards import (
    ExtendHandler,
    ExtendPromptHandler,
    JobButtonHandler,
    MissingClipsHandler,
    PostToChannelHandler,
)

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = ["setup"]

# The buttons of ``cogs.cards`` find these cogs by name and call them through these protocols:
# annotated here so mypy checks that each cog fits what its buttons call.
HANDLERS: tuple[
    type[MissingClipsHandler],
    type[ExtendHandler],
    type[JobButtonHandler],
    type[ExtendPromptHandler],
    type[PostToChannelHandler],
] = (MissingClips, Extend, JobButtons, ExtendPrompt, PrivateResults)


async def setup(bot: MotionBot) -> None:
    """Load the cogs that answer button presses (and the private results one)."""
    await bot.add_cog(MissingClips(bot))
    await bot.add_cog(Extend(bot))
    await bot.add_cog(UnknownInteractions())
    await bot.add_cog(JobButtons(bot))
    await bot.add_cog(ExtendPrompt(bot))
    await bot.add_cog(PrivateResults(bot))
