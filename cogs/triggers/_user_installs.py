"""The app installed to a person (issue 22, item 2): where an interaction comes from, and who may.

Discord lets a person add the app to their account and use it in any server, in the bot's DM and
in group DMs (``allowed_installs`` / ``allowed_contexts``, discord.py 2.4+). Where the bot is not a
member its token reaches nothing, so such a job lives on the interaction's webhook alone (the
card as the answer, its edits and clips within the token's 15 minutes, then by DM). A server that
hosts the bot keeps its own rules for what starts there, whatever install started it; everywhere
else only the person's budgets apply. ``USER_INSTALL`` says who may: nobody (``off``, the default:
the commands are then registered for servers only), people who share a server with the bot
(``members``), or ``everyone``. Discord itself enforces a server's "Use External Apps" permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.checks import Refusal
from cogs.cards import Reach, allow_user_installs, reach_of

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = ["Reach", "allow_user_installs", "check_user_install", "reach_of", "shares_a_server"]


async def check_user_install(bot: MotionBot, interaction: discord.Interaction, reach: Reach) -> None:
    """Raise the ``Refusal`` saying why this person may not use the app here; return if they may."""
    if reach is Reach.SERVER:
        return
    mode = bot.services.settings.user_install
    if mode == "off":
        raise Refusal("user_install.off")
    if mode == "members" and not await shares_a_server(bot, interaction.user.id):
        raise Refusal("user_install.members_only")


async def shares_a_server(bot: discord.Client, user_id: int) -> bool:
    """Return True when ``user_id`` is a member of a server the bot is in (cache first, then asked)."""
    if any(guild.get_member(user_id) is not None for guild in bot.guilds):
        return True
    # Without the privileged members intent the cache holds few members: ask each server in turn.
    for guild in bot.guilds:
        try:
            await guild.fetch_member(user_id)
        except (discord.NotFound, discord.Forbidden):
            continue
        return True
    return False
