"""The reaction trigger: a member reacts with the server's emoji (🎬 by default) to animate an image.

The job is the reacting member's, the card replies to the image message, and the card speaks the
server's language. A reaction has no interaction to answer privately, so refusals go to the member
by DM, or, when DMs are closed, as a short reply that deletes itself. The reaction follows the
server's permissions of ``/animate`` (``cogs.command_access``), the command it stands for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.access import Access
from bot.checks import DuplicateRequest, JobRequest, Refusal
from bot.client import member_role_ids, missing_channel_permissions, refusal_text
from bot.guild_settings import reaction_listed
from bot.i18n import Lang, resolve_locale
from bot.models import GuildSettings, JobSource
from cogs.cards import CardEditor
from cogs.command_access import GuildMessageable, command_access, refusal_for
from cogs.triggers._channel_start import notify_member, start_replying
from cogs.triggers._consent import consents
from cogs.triggers._images import find_image

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

NOTICE_SECONDS = 30


class Reactions(commands.Cog):
    """Starts jobs from reactions on image messages."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.editor = CardEditor(bot)
        self._tasks: set[asyncio.Task[None]] = set()
        # (member, message) pairs being handled now: the gateway may deliver one reaction twice.
        self._handling: set[tuple[int, int]] = set()

    async def cog_unload(self) -> None:
        """Let job starts in progress finish."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """Start a job when the trigger emoji is added to a message in a server."""
        if payload.guild_id is None or payload.member is None or payload.member.bot:
            return
        overrides = await self.services.intake.guild_settings(payload.guild_id)
        if not self._is_trigger(payload, overrides):
            return
        key = (payload.user_id, payload.message_id)
        if key in self._handling:
            log.info("ignored a repeated reaction by user %s on message %s", *key)
            return
        self._handling.add(key)
        task = asyncio.create_task(self._handle(payload, overrides))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._handling.discard(key))

    def _is_trigger(self, payload: discord.RawReactionActionEvent, overrides: GuildSettings | None) -> bool:
        settings = self.services.settings
        enabled = settings.reactions_enabled
        emoji = settings.reaction_emoji
        if overrides is not None:
            enabled = enabled if overrides.reactions_enabled is None else overrides.reactions_enabled
            emoji = overrides.reaction_emoji or emoji
        return enabled and str(payload.emoji) == emoji and reaction_listed(overrides, payload.channel_id)

    async def _handle(self, payload: discord.RawReactionActionEvent, overrides: GuildSettings | None) -> None:
        lang = self._guild_lang(payload.guild_id)
        try:
            # Before anything is fetched: a server open in no channel says so, whatever the message.
            self.services.intake.check_channel(overrides, payload.channel_id)
            await self._start(payload, lang)
        except DuplicateRequest as duplicate:
            # The first job's card already answers this reaction: say nothing more.
            log.info(
                "ignored a duplicate reaction by user %s on message %s (job %s)",
                payload.user_id,
                payload.message_id,
                duplicate.job.id,
            )
        except Refusal as refusal:
            await self._notify(payload, lang, refusal)
        except Exception:
            log.exception("reaction on message %s by user %s failed", payload.message_id, payload.user_id)

    async def _start(self, payload: discord.RawReactionActionEvent, lang: Lang) -> None:
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            return
        assert payload.member is not None, "checked when the reaction arrived"
        if not await self._permitted(payload.member, channel):
            return
        if missing_channel_permissions(channel.permissions_for(channel.guild.me)):
            raise Refusal("error.missing_permissions")
        await self.services.intake.check_duplicate(payload.user_id, payload.message_id, JobSource.REACTION)
        message = await channel.fetch_message(payload.message_id)
        image = find_image(message, self.services.settings.image_host_policy.allows)
        if image is None:
            raise Refusal("error.no_image")
        request = JobRequest(
            requester_id=payload.user_id,
            guild_id=payload.guild_id,
            channel_id=payload.channel_id,
            source=JobSource.REACTION,
            image=image,
            locale=lang.value,
            source_message_id=message.id,
            source_author_id=message.author.id,
            role_ids=member_role_ids(payload.member),
        )
        moderator = channel.permissions_for(payload.member).manage_messages
        if not await consents(self.bot).admitted(request, message, moderator=moderator):
            return  # the poster is asked first (or was already): the job starts on their Allow
        await start_replying(self.bot, self.editor, message, request, lang)

    async def _permitted(self, member: discord.Member, channel: GuildMessageable) -> bool:
        """Apply ``/animate``'s permissions before anything is read or sent.

        Where ``/animate`` is off the emoji is no trigger, as in a channel off the allow-list: ignored
        silently. A member the permissions refuse (or permissions that cannot be read) is told why.
        """
        access = await command_access(self.bot).member_access(member, channel)
        if access is Access.CHANNEL_DISABLED:
            log.info("ignored a reaction by user %s: /animate is off in channel %s", member.id, channel.id)
            return False
        refusal = refusal_for(access, channel.id)
        if refusal is not None:
            raise refusal
        return True

    def _guild_lang(self, guild_id: int | None) -> Lang:
        guild = self.bot.get_guild(guild_id) if guild_id else None
        return resolve_locale(str(guild.preferred_locale) if guild is not None else None)

    async def _notify(self, payload: discord.RawReactionActionEvent, lang: Lang, refusal: Refusal) -> None:
        catalogue = self.services.catalogue
        reason = refusal_text(self.bot, lang, refusal)
        intro = catalogue.text(
            lang, "reaction.about", emoji=str(payload.emoji), channel=f"<#{payload.channel_id}>"
        )
        assert payload.guild_id is not None, "checked when the reaction arrived"
        await notify_member(
            self.bot, payload.user_id, payload.guild_id, payload.channel_id, f"{intro}\n{reason}", reason
        )
