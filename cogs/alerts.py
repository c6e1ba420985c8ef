"""Operator and owner alerts: a rejected CometAPI key, and monthly budgets at 80% and 100%.

Budgets: ``bot.budget.alerts`` decides when (once per budget, month and level); a server's budget is
told to the server's owner by DM, the whole bot's to the operator as below.

The tracker (Discord-free) reports the first rejection in a process; this cog sends one message to
``LOG_CHANNEL_ID`` when it is set (in that server's language), else a DM to the application's owner
(the team's owner for a team-owned application). ``bot.provider.key_alert`` remembers in the store that the
message went out for this key, so a restart with the same key does not repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.budget import BudgetAlert, Scope, format_money
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
        self.services.budget_alerts.subscribe(self.budget_alert)

    async def budget_alert(self, alert: BudgetAlert) -> bool:
        """Tell the server's owner (a server budget) or the operator (the bot's); False to try again later.

        An owner whose DMs are closed counts as told: asking Discord again at every job would not help.
        """
        await self._wait_ready()
        try:
            if alert.scope is Scope.SERVER:
                await self._to_server_owner(alert)
            else:
                await self._to_operator(lambda lang: self._budget_text(lang, alert, server=""))
        except discord.Forbidden as exc:
            log.warning("could not tell anyone that a budget reached %s%%: %s", alert.level, exc)
        except (discord.HTTPException, ValueError) as exc:
            log.warning("could not tell that a budget reached %s%% (will try again): %s", alert.level, exc)
            return False
        return True

    async def _to_server_owner(self, alert: BudgetAlert) -> None:
        assert alert.guild_id is not None, "a server budget has a server"
        guild = self.bot.get_guild(alert.guild_id)
        if guild is None:
            raise ValueError(f"server {alert.guild_id} is not in the cache")
        owner = self.bot.get_user(guild.owner_id or 0) or await self.bot.fetch_user(guild.owner_id or 0)
        text = self._budget_text(resolve_locale(str(guild.preferred_locale)), alert, server=guild.name)
        await owner.send(text, allowed_mentions=discord.AllowedMentions.none())
        log.info("told the owner of server %s that its monthly budget reached %s%%", guild.id, alert.level)

    def _budget_text(self, lang: Lang, alert: BudgetAlert, *, server: str) -> str:
        currency = self.services.settings.price_currency
        params: dict[str, object] = {
            "spent": format_money(alert.spent, currency),
            "cap": format_money(alert.cap, currency),
            "renews": int(alert.renews_at.timestamp()),
        }
        if alert.scope is Scope.SERVER:
            params["server"] = discord.utils.escape_markdown(server)
        return self.services.catalogue.text(lang, f"alert.budget.{alert.scope}_{alert.level}", **params)

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
        await self._wait_ready()
        try:
            await self._to_operator(lambda lang: self._text(lang, base_url))
        except discord.HTTPException as exc:
            log.warning("could not tell the operator that the CometAPI key is rejected: %s", exc)
            return False
        return True

    async def _to_operator(self, text_for: Callable[[Lang], str]) -> None:
        """Send the text to ``LOG_CHANNEL_ID`` (in its server's language), else by DM to the app's owner."""
        channel_id = self.services.settings.log_channel_id
        if channel_id is not None:
            try:
                await self._to_channel(channel_id, text_for)
                return
            except discord.HTTPException as exc:
                log.warning("LOG_CHANNEL_ID %s refused the alert (%s); sending a DM instead", channel_id, exc)
        await self._to_owner(text_for)

    async def _to_channel(self, channel_id: int, text_for: Callable[[Lang], str]) -> None:
        channel = self.bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        lang = resolve_locale(str(guild.preferred_locale)) if isinstance(guild, discord.Guild) else Lang.EN
        target = self.bot.get_partial_messageable(channel_id)
        await target.send(text_for(lang), allowed_mentions=discord.AllowedMentions.none())
        log.info("told the operator in channel %s", channel_id)

    async def _to_owner(self, text_for: Callable[[Lang], str]) -> None:
        info = await self.bot.application_info()
        owner_id = info.team.owner_id if info.team is not None and info.team.owner_id else info.owner.id
        user = self.bot.get_user(owner_id) or await self.bot.fetch_user(owner_id)
        await user.send(text_for(Lang.EN))
        log.info("told the application owner %s by DM", owner_id)

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
