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

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot.checks import Refusal
from cogs.cards import Reach, allow_user_installs, reach_of

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = [
    "Reach",
    "ServerMembership",
    "allow_user_installs",
    "check_user_install",
    "reach_of",
    "shares_a_server",
]

# How long an answer of Discord's about a person's membership is trusted: a member found stays one a
# while; a stranger is looked up again sooner (they may join a server).
MEMBER_SECONDS = 3600.0
STRANGER_SECONDS = 600.0
ANSWERS_KEPT = 10_000


async def check_user_install(
    bot: MotionBot, interaction: discord.Interaction, reach: Reach, membership: ServerMembership
) -> None:
    """Raise the ``Refusal`` saying why this person may not use the app here; return if they may."""
    if reach is Reach.SERVER:
        return
    mode = bot.services.settings.user_install
    if mode == "off":
        raise Refusal("user_install.off")
    if mode == "members" and not await membership.shares_a_server(interaction.user.id):
        raise Refusal("user_install.members_only")


class ServerMembership:
    """Whether a person shares a server with the bot, asked of Discord at most once in a while.

    Without the privileged members intent the cache holds few members, so a person it lacks is looked
    up in each of the bot's servers in turn: a request per server. Each answer is remembered
    (``MEMBER_SECONDS``, ``STRANGER_SECONDS``; the last ``ANSWERS_KEPT`` people), so a stranger repeating
    the command, or a member using it all day, costs Discord one round rather than one per command.
    """

    def __init__(self, bot: discord.Client, clock: Callable[[], float] = time.monotonic) -> None:
        self._bot = bot
        self._clock = clock
        self._answers: OrderedDict[int, tuple[bool, float]] = OrderedDict()

    async def shares_a_server(self, user_id: int) -> bool:
        """Return True when ``user_id`` is a member of a server the bot is in (cache, memory, then asked)."""
        if cached_member(self._bot, user_id):
            return True
        known = self._answers.get(user_id)
        if known is not None and known[1] > self._clock():
            return known[0]
        answer = await shares_a_server(self._bot, user_id)
        self._remember(user_id, answer)
        return answer

    def _remember(self, user_id: int, member: bool) -> None:
        lasts = MEMBER_SECONDS if member else STRANGER_SECONDS
        self._answers[user_id] = (member, self._clock() + lasts)
        self._answers.move_to_end(user_id)
        while len(self._answers) > ANSWERS_KEPT:
            self._answers.popitem(last=False)


def cached_member(bot: discord.Client, user_id: int) -> bool:
    """Return True when the member cache holds ``user_id`` in one of the bot's servers."""
    return any(guild.get_member(user_id) is not None for guild in bot.guilds)


async def shares_a_server(bot: discord.Client, user_id: int) -> bool:
    """Return True when ``user_id`` is a member of a server the bot is in (cache first, then asked)."""
    if cached_member(bot, user_id):
        return True
    # Without the privileged members intent the cache holds few members: ask each server in turn.
    for guild in bot.guilds:
        try:
            await guild.fetch_member(user_id)
        except (discord.NotFound, discord.Forbidden):
            continue
        return True
    return False
