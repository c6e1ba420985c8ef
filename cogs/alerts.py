"""Tells the bot's operator, once per key, that CometAPI rejected the API key.

The tracker (Discord-free) reports the first rejection in a process; this cog sends one message to
``LOG_CHANNEL_ID`` when it is set (in that server's language), else a DM to the application's owner
(the team's owner for a team-owned application). ``bot.provider.key_alert`` remembers in the store that the
message went out for this key, so a restart with the same key does not repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.i18n import Lang, resolve_locale
from bot.provider import KeyAlertMemory

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

READY_WAIT_SECONDS = 30.0


class OperatorAlerts(commands.Cog):
    """Operator alerts about the bot's own configuration."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.memory = KeyAlertMemory(self.services.store, self.services.settings.cometapi_key)
        self._sending = asyncio.Lock()

    async def cog_load(self) -> None:
        """Follow the tracker's key-rejected signal."""
        self.services.tracker.on_key_rejected(self.key_rejected)

    async def key_rejected(self) -> None:
        """Tell the operator, unless they were already told about this key."""
        async with self._sending:
            if not await self.memory.claim():
                log.info("the operator was already told that this CometAPI key is rejected")
                return
            if not await self._send_alert():
                await self.memory.give_back()

    async def _send_alert(self) -> bool:
        base_url = str(self.services.settings.cometapi_base_url).rstrip("/")
        channel_id = self.services.settings.log_channel_id
        await self._wait_ready()
        if channel_id is not None:
            try:
                await self._to_channel(channel_id, base_url)
                return True
            except discord.HTTPException as exc:
                log.warning("LOG_CHANNEL_ID %s refused the alert (%s); sending a DM instead", channel_id, exc)
        try:
            await self._to_owner(base_url)
        except discord.HTTPException as exc:
            log.warning("could not tell the operator that the CometAPI key is rejected: %s", exc)
            return False
        return True

    async def _to_channel(self, channel_id: int, base_url: str) -> None:
        channel = self.bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        lang = resolve_locale(str(guild.preferred_locale)) if isinstance(guild, discord.Guild) else Lang.EN
        target = self.bot.get_partial_messageable(channel_id)
        await target.send(self._text(lang, base_url), allowed_mentions=discord.AllowedMentions.none())
        log.info("told the operator in channel %s that the CometAPI key is rejected", channel_id)

    async def _to_owner(self, base_url: str) -> None:
        info = await self.bot.application_info()
        owner_id = info.team.owner_id if info.team is not None and info.team.owner_id else info.owner.id
        user = self.bot.get_user(owner_id) or await self.bot.fetch_user(owner_id)
        await user.send(self._text(Lang.EN, base_url))
        log.info("told the application owner %s by DM that the CometAPI key is rejected", owner_id)

    def _text(self, lang: Lang, base_url: str) -> str:
        return self.services.catalogue.text(lang, "alert.key_rejected", base_url=base_url)

    async def _wait_ready(self) -> None:
        # The guild cache (for the log channel's language) fills once the gateway is ready.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READY_WAIT_SECONDS):
                await self.bot.wait_until_ready()


async def setup(bot: MotionBot) -> None:
    """Load the OperatorAlerts cog."""
    await bot.add_cog(OperatorAlerts(bot))
