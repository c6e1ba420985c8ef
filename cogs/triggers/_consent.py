"""Consent for other people's images (issue 22): the server's mode, the poster's Allow / Deny, the timeout.

Where a server asks first (``ConsentMode.ASK``), a member who animates someone else's image (by the
reaction or "Animate image") starts nothing: the bot replies to the image in its channel, mentioning
only the poster, with Allow and Deny buttons. A reply in the channel rather than a DM: it reaches the
poster whether or not they accept DMs from server members, it sits under the image it is about, and
moderators see what was asked. Nothing is admitted, reserved or sent before Allow; Allow starts the
job as the reaction does (the card replies to the image); Deny and the timeout
(``CONSENT_TIMEOUT_MINUTES``) tell the requester by DM. The buttons carry only the request's id and
the store holds the rest, so they work after a restart; a sweep marks requests that ran out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.access import Consent, ImageOwner, consent_needed
from bot.checks import DuplicateRequest, JobRequest, Refusal
from bot.client import member_role_ids, refusal_text, refuse, text, within_deadline
from bot.i18n import Lang, resolve_locale
from bot.models import ConsentRequest, ConsentStatus, utcnow
from cogs.cards import CONSENT_TEMPLATE, CardEditor, consent_answer_id
from cogs.triggers._channel_start import notify_member, start_replying
from cogs.triggers._images import find_image

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

Item = discord.ui.Button[discord.ui.View]
# What the prompt says once its request is decided.
PROMPT_CLOSED = {
    ConsentStatus.PENDING: "consent.prompt",
    ConsentStatus.ALLOWED: "consent.prompt_allowed",
    ConsentStatus.DENIED: "consent.prompt_denied",
    ConsentStatus.EXPIRED: "consent.prompt_expired",
}
# The sweep looks again at least this often (a request another process opened, a clock jump).
SWEEP_SECONDS = 60.0


class ConsentButton(discord.ui.DynamicItem[Item], template=CONSENT_TEMPLATE):
    """The poster's Allow or Deny under a request for consent (restart-proof: only the id travels)."""

    def __init__(self, consent_id: int, allow: bool, label: str = "") -> None:
        button: Item = discord.ui.Button(
            label=(label or ("Allow" if allow else "Deny"))[:80],
            style=discord.ButtonStyle.success if allow else discord.ButtonStyle.danger,
            custom_id=consent_answer_id(consent_id, allow=allow),
        )
        super().__init__(button)
        self.consent_id = consent_id
        self.allow = allow

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str]
    ) -> ConsentButton:
        """Rebuild the button from a press."""
        return cls(int(match["consent"]), match["answer"] == "a")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the Consents cog."""
        cog = (
            interaction.client.get_cog("Consents")
            if isinstance(interaction.client, commands.bot.BotBase)
            else None
        )
        if not isinstance(cog, Consents):
            await refuse(interaction, Refusal("error.unknown_button"))
            return
        await cog.answered(interaction, self.consent_id, allow=self.allow)


def consents(bot: MotionBot) -> Consents:
    """Return the loaded Consents cog (loaded with the triggers, before any of them runs)."""
    cog = bot.get_cog("Consents")
    assert isinstance(cog, Consents), "the triggers extension loads Consents"
    return cog


class Consents(commands.Cog):
    """Asks posters, follows their answers and the timeouts, and starts the jobs they allow."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.editor = CardEditor(bot)
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        """Register the buttons and start the sweep of requests that ran out."""
        self.bot.add_dynamic_items(ConsentButton)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="consent-sweep")

    async def cog_unload(self) -> None:
        """Stop the sweep and let jobs being started finish."""
        self.bot.remove_dynamic_items(ConsentButton)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    # -- asking ------------------------------------------------------------------------------------

    async def needed(self, request: JobRequest, message: discord.Message, *, moderator: bool) -> Consent:
        """Return whether ``message``'s poster must be asked first; ``Refusal`` where it is not allowed.

        Consent is a server's rule: where no server hosting the bot applies (a group DM, or a server
        without the bot reached by a personal install) there is none to follow.
        """
        if request.guild_id is None:
            return Consent.NOT_NEEDED
        settings = await self.services.intake.guild_settings(request.guild_id)
        owner = ImageOwner(
            poster_id=message.author.id, bot=message.author.bot or message.webhook_id is not None
        )
        return consent_needed(settings, request.requester_id, owner, moderator=moderator)

    async def admitted(self, request: JobRequest, message: discord.Message, *, moderator: bool) -> bool:
        """Return True when the job may start now; else ask the poster (once) and return False.

        Before asking, the request passes the usual checks, so nobody is asked for a job that would be
        refused anyway; nothing is reserved until the poster allows it.
        """
        if await self.needed(request, message, moderator=moderator) is Consent.NOT_NEEDED:
            return True
        await self.services.intake.precheck(request)
        await self.ask(request, message)
        return False

    async def ask(self, request: JobRequest, message: discord.Message) -> ConsentRequest:
        """Store the request and post Allow / Deny under the image, mentioning only the poster.

        ``Refusal`` when an earlier request stops this one (``_asked_before``) or the prompt cannot be
        posted (the request is then closed as expired).
        """
        consent, new = await self.services.store.open_consent(self._consent_for(request, message))
        if not new:
            raise _asked_before(consent, message.id)
        try:
            prompt = await self._post_prompt(consent, message)
        except discord.HTTPException:
            await self.services.store.decide_consent(consent.id, ConsentStatus.EXPIRED)
            raise Refusal("error.missing_permissions") from None
        await self.services.store.set_consent_prompt(consent.id, prompt.id)
        self._wake.set()
        return consent

    def _consent_for(self, request: JobRequest, message: discord.Message) -> ConsentRequest:
        """Return the request for consent to store: ``request`` asked of ``message``'s poster, from now."""
        assert request.guild_id is not None and request.source_message_id is not None
        now = utcnow()
        timeout = dt.timedelta(minutes=self.services.settings.consent_timeout_minutes)
        return ConsentRequest(
            id=0,
            guild_id=request.guild_id,
            channel_id=request.channel_id,
            source_message_id=request.source_message_id,
            poster_id=message.author.id,
            requester_id=request.requester_id,
            source=request.source,
            locale=request.locale,
            status=ConsentStatus.PENDING,
            created_at=now,
            expires_at=now + timeout,
        )

    async def _post_prompt(self, consent: ConsentRequest, message: discord.Message) -> discord.Message:
        """Reply to the image with the question and Allow / Deny, in the server's language."""
        lang = self._public_lang(consent.guild_id)
        view = discord.ui.View(timeout=None)
        view.add_item(ConsentButton(consent.id, True, self.text_for(lang, "consent.allow", consent)))
        view.add_item(ConsentButton(consent.id, False, self.text_for(lang, "consent.deny", consent)))
        # The poster is the one member pinged: never the requester, a role or everyone.
        mentions = discord.AllowedMentions(
            users=[discord.Object(consent.poster_id)], roles=False, everyone=False
        )
        content = self.text_for(lang, "consent.prompt", consent)
        return await message.reply(content, view=view, allowed_mentions=mentions, mention_author=False)

    # -- the poster's answer -----------------------------------------------------------------------

    async def answered(self, interaction: discord.Interaction, consent_id: int, *, allow: bool) -> None:
        """Take the poster's Allow or Deny: checked first (read only), then decided once."""
        try:
            consent = await within_deadline(self.services.store.get_consent(consent_id))
            self._check_answer(interaction, consent)
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        assert consent is not None, "checked above"
        await interaction.response.defer()
        if consent.expires_at <= utcnow():
            await self._expire(consent)
            return
        decided = await self.services.store.decide_consent(
            consent.id, ConsentStatus.ALLOWED if allow else ConsentStatus.DENIED
        )
        if decided is None:
            await refuse(interaction, Refusal("consent.already_answered"))
            return
        await self._close_prompt(decided)
        if allow:
            self._spawn(self._start_allowed(decided))
        else:
            await self._tell_requester(decided, "consent.denied")

    def _check_answer(self, interaction: discord.Interaction, consent: ConsentRequest | None) -> None:
        """Refuse a press that is not the poster's answer to this waiting request, on its own message."""
        if consent is None or not _on_its_prompt(interaction, consent):
            raise Refusal("error.unknown_button")
        if interaction.user.id != consent.poster_id:
            raise Refusal("consent.not_poster")
        if consent.status is not ConsentStatus.PENDING:
            raise Refusal("consent.already_answered")

    async def _start_allowed(self, consent: ConsentRequest) -> None:
        """Start the allowed job as the reaction does; tell the requester if it cannot start."""
        try:
            message, request = await self._allowed_request(consent)
            await start_replying(self.bot, self.editor, message, request, resolve_locale(consent.locale))
        except DuplicateRequest:
            log.info("consent %s: the requester already has a job from this image", consent.id)
        except Refusal as refusal:
            reason = refusal_text(self.bot, resolve_locale(consent.locale), refusal)
            await self._tell_requester(consent, "consent.allowed_refused", reason=reason)
        except Exception:
            log.exception("consent %s: the allowed job could not start", consent.id)

    async def _allowed_request(self, consent: ConsentRequest) -> tuple[discord.Message, JobRequest]:
        """Read the image message and the requester again, now, and build their request."""
        message = await self._image_message(consent)
        guild = message.guild
        assert guild is not None, "read from a channel of the request's server"
        try:
            member = guild.get_member(consent.requester_id) or await guild.fetch_member(consent.requester_id)
        except discord.NotFound:
            raise Refusal("consent.requester_left") from None
        image = find_image(message, self.services.settings.image_host_policy.allows)
        if image is None:
            raise Refusal("error.no_image")
        request = JobRequest(
            requester_id=consent.requester_id,
            guild_id=consent.guild_id,
            channel_id=consent.channel_id,
            source=consent.source,
            image=image,
            locale=consent.locale,
            source_message_id=message.id,
            source_author_id=message.author.id,  # the poster who allowed it may delete it
            role_ids=member_role_ids(member),
        )
        return message, request

    async def _image_message(self, consent: ConsentRequest) -> discord.Message:
        """Return the message with the image, read again; ``error.no_image`` once it or its place is gone."""
        guild = self.bot.get_guild(consent.guild_id)
        channel = self.bot.get_channel(consent.channel_id)
        if guild is None or not isinstance(
            channel, discord.TextChannel | discord.Thread | discord.VoiceChannel
        ):
            raise Refusal("error.no_image")
        try:
            return await channel.fetch_message(consent.source_message_id)
        except discord.NotFound:
            raise Refusal("error.no_image") from None  # the poster deleted it meanwhile

    # -- the timeout ------------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        """Expire requests past their time, then sleep until the next one is due (or a new one wakes it)."""
        while True:
            self._wake.clear()
            delay = SWEEP_SECONDS
            try:
                for consent in await self.services.store.due_consents():
                    decided = await self.services.store.decide_consent(consent.id, ConsentStatus.EXPIRED)
                    if decided is not None:
                        await self._expired(decided)
                delay = await self._until_next()
            except Exception:
                log.exception("the sweep of requests for consent failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _until_next(self) -> float:
        following = await self.services.store.next_consent_expiry()
        if following is None:
            return SWEEP_SECONDS
        return min(SWEEP_SECONDS, max(0.0, (following - utcnow()).total_seconds()))

    async def _expire(self, consent: ConsentRequest) -> None:
        decided = await self.services.store.decide_consent(consent.id, ConsentStatus.EXPIRED)
        if decided is not None:
            await self._expired(decided)

    async def _expired(self, consent: ConsentRequest) -> None:
        await self._close_prompt(consent)
        await self._tell_requester(consent, "consent.expired")

    # -- messages ---------------------------------------------------------------------------------

    async def _close_prompt(self, consent: ConsentRequest) -> None:
        """Replace the buttons under the prompt with what was decided."""
        if consent.prompt_message_id is None:
            return
        lang = self._public_lang(consent.guild_id)
        content = self.text_for(lang, PROMPT_CLOSED[consent.status], consent)
        channel = self.bot.get_partial_messageable(consent.channel_id, guild_id=consent.guild_id)
        try:
            await channel.get_partial_message(consent.prompt_message_id).edit(
                content=content, view=None, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.info("consent %s: could not edit its prompt", consent.id)

    async def _tell_requester(self, consent: ConsentRequest, key: str, **params: object) -> None:
        lang = resolve_locale(consent.locale)
        message = self.text_for(lang, key, consent, **params)
        await notify_member(
            self.bot, consent.requester_id, consent.guild_id, consent.channel_id, message, message
        )

    def text_for(self, lang: Lang, key: str, consent: ConsentRequest, **params: object) -> str:
        """Return the catalogue text ``key`` about ``consent`` (its poster, requester, channel, timeout)."""
        return text(
            self.bot,
            lang,
            key,
            poster=f"<@{consent.poster_id}>",
            requester=f"<@{consent.requester_id}>",
            channel=f"<#{consent.channel_id}>",
            minutes=f"{self.services.settings.consent_timeout_minutes:g}",
            **params,
        )

    def _public_lang(self, guild_id: int) -> Lang:
        guild = self.bot.get_guild(guild_id)
        return resolve_locale(str(guild.preferred_locale) if guild is not None else None)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _asked_before(earlier: ConsentRequest, source_message_id: int) -> Refusal:
    """Return the refusal of a request that ``earlier`` (denied, or still waiting) stops."""
    if earlier.status is ConsentStatus.DENIED:
        return Refusal("consent.denied_before")
    if earlier.source_message_id == source_message_id:
        return Refusal("consent.already_asked")
    return Refusal("consent.waiting_for_poster")


def _on_its_prompt(interaction: discord.Interaction, consent: ConsentRequest) -> bool:
    """Return True when the press comes from the request's own server, channel and prompt message.

    The prompt's id is stored just after it is posted, so a press in between (no id yet) is judged by
    server and channel alone.
    """
    message_id = interaction.message.id if interaction.message is not None else None
    where = (interaction.guild_id, interaction.channel_id)
    if where != (consent.guild_id, consent.channel_id):
        return False
    return consent.prompt_message_id in (None, message_id)
