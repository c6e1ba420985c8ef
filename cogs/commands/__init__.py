"""Commands besides ``/animate``: /jobs, /quota, /show, /queue, /motionbot, /usage and /delete.

A member's recent jobs and today's use, a delivered job re-posted with its clips (and the cards a
moderator removed), the server's line and the provider's state, the server's settings for admins,
what videos cost (a server's spend for its admins, a member's own for them), and deleting a job
(``/delete`` and the card's 🗑 button). May import ``cogs.cards`` and ``bot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.cards import DeleteHandler, JobsPageHandler
from cogs.commands._admin import Admin
from cogs.commands._delete import Delete
from cogs.commands._jobs import Jobs
from cogs.commands._queue import Queue
from cogs.commands._show import Show
from cogs.commands._usage import Usage

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = ["setup"]

# The /jobs page buttons of ``cogs.cards`` find this cog by name and call it through this protocol:
# annotated here so mypy checks that it fits.
PAGE_HANDLER: type[JobsPageHandler] = Jobs
DELETE_HANDLER: type[DeleteHandler] = Delete


async def setup(bot: MotionBot) -> None:
    """Load the Jobs, Show, Queue, Admin, Usage and Delete cogs (their commands are synced in this order)."""
    await bot.add_cog(Jobs(bot))
    await bot.add_cog(Show(bot))
    await bot.add_cog(Queue(bot))
    await bot.add_cog(Admin(bot))
    await bot.add_cog(Usage(bot))
    await bot.add_cog(Delete(bot))
