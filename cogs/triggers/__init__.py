"""The ways to start a job: ``/animate``, the "Animate image" message command, the reaction.

``Animate`` answers ``/animate`` (with an image, or with the upload form for members who cannot
attach one) and "Animate image"; ``Reactions`` answers the server's reaction emoji on an image.
Each replies with the job's card first and lets ``cogs.cards`` start the job. May import
``cogs.cards``, ``cogs.command_access`` and ``bot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.triggers._animate import Animate
from cogs.triggers._animate_modal import answer_unknown_modal
from cogs.triggers._consent import Consents
from cogs.triggers._images import find_image
from cogs.triggers._reactions import Reactions

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = ["answer_unknown_modal", "find_image", "setup"]


async def setup(bot: MotionBot) -> None:
    """Load the Consents, Animate and Reactions cogs."""
    await bot.add_cog(Consents(bot))  # first: the triggers below ask it
    await bot.add_cog(Animate(bot))
    await bot.add_cog(Reactions(bot))
