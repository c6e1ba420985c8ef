"""Puts a rendered card on Discord: edits in place, never depending on the 15-minute token.

While the interaction token has more than a minute to live, edits go through the interaction
webhook (its own rate-limit bucket per interaction). After that, or once Discord rejects the token,
the bot edits the same message through the channel with its bot token. A card a moderator deleted
is posted again as a new message (replying to the source image where there was one).

A private job's card is an ephemeral message only its requester sees: it is edited through the
interaction webhook while the token lives; after that (Discord cannot edit an ephemeral message with
the bot's token) its final state goes to the requester by DM, a new message, so nothing is lost.
A job started where the bot is not a member (a user install) lives on the interaction webhook the
same way, its card public there: the bot's token reaches nothing in that place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.models import Job, utcnow
from cogs.cards._layout import Card
from cogs.cards._private_posts import clip_indexes, interaction_card, post_of, webhook_post

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

TOKEN_MARGIN = dt.timedelta(minutes=1)
DEAD_TOKEN_CODES = {50027, 10015}  # Invalid Webhook Token, Unknown Webhook
FileFactory = Callable[[], Sequence[discord.File]]
# An edit's files: new uploads, and files already on the message to keep (by their attachment id).
AttachmentFactory = Callable[[], Sequence[discord.File | discord.Attachment]]


class CardUnavailable(Exception):  # noqa: N818 - an outcome the caller handles, not a bug
    """The card can neither be edited nor posted in its channel (missing access or permissions)."""


def no_files() -> Sequence[discord.File]:
    """Return no attachments (the default for plain state edits)."""
    return ()


class CardEditor:
    """Edits (or re-posts) the card message of a job."""

    def __init__(self, bot: MotionBot) -> None:
        self._bot = bot
        self._store = bot.services.store

    async def show(
        self, job: Job, card: Card, files: FileFactory = no_files, *, note: str | None = None
    ) -> Job:
        """Make the job's card look like ``card`` (with ``files`` attached); return the stored job.

        ``files`` is a factory because a discord.File can be sent only once and a fallback route
        may need to send it again. Raises CardUnavailable when nothing can be shown.
        """
        if job.reaches_through_webhook:
            return await self._show_privately(job, card, files)
        if job.card_message_id is not None:
            try:
                return await self._edit_in_place(job, card, files)
            except discord.NotFound:
                if await self._deleted(job):
                    return job  # a member deleted the job and its card: nothing is posted again
                log.info("job %s: card message %s is gone; posting a new one", job.id, job.card_message_id)
            except discord.Forbidden as exc:
                raise CardUnavailable(str(exc)) from exc
        return await self._repost(job, card, files, note)

    async def edit_keeping(self, job: Job, card: Card, keep: Sequence[discord.Attachment]) -> Job:
        """Edit the card in place to ``card``, keeping the files ``keep`` (already on it) and no other.

        Never posts a new card: a new message could not keep those files. CardUnavailable when the
        card is gone or cannot be edited.
        """
        if job.card_message_id is None:
            raise CardUnavailable(f"job {job.id} has no card")
        try:
            return await self._edit_in_place(job, card, lambda: keep)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise CardUnavailable(str(exc)) from exc

    async def _edit_in_place(self, job: Job, card: Card, files: AttachmentFactory) -> Job:
        """Edit the existing card through the token while it lives, else through the channel."""
        if self._token_usable(job):
            try:
                await self._edit_through_webhook(job, card, files)
                return job
            except discord.HTTPException as exc:
                if not _token_dead(exc):
                    raise  # NotFound here means the card itself is gone: the caller posts a new one
                log.info("job %s: interaction token rejected; editing through the channel", job.id)
                job = await self._store.reset_token(job.id)
        await self._edit_through_channel(job, card, files)
        return job

    async def post(self, job: Job, card: Card, files: FileFactory = no_files) -> discord.Message:
        """Post a new card for ``job`` in its channel, replying to the source message when known."""
        channel = self._bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        try:
            return await channel.send(
                view=card.layout(),
                files=list(files()),
                allowed_mentions=card.allowed_mentions(),
                **reply_options(job.channel_id, job.source_message_id),
            )
        except discord.Forbidden as exc:
            raise CardUnavailable(str(exc)) from exc
        except discord.NotFound as exc:
            raise CardUnavailable(str(exc)) from exc

    async def delete(self, channel_id: int, message_id: int, token: str | None = None) -> None:
        """Delete a card message, through the interaction token when given; ignore one already gone."""
        self._bot.services.own_deletions.expect(message_id)  # not a moderator's removal (/show)
        try:
            if token is not None and self._bot.application_id is not None:
                webhook = discord.Webhook.partial(self._bot.application_id, token, client=self._bot)
                await webhook.delete_message(message_id)
            else:
                await self._bot.get_partial_messageable(channel_id).get_partial_message(message_id).delete()
        except discord.HTTPException:
            log.info("could not delete card %s in channel %s", message_id, channel_id)

    async def _deleted(self, job: Job) -> bool:
        """Return True if a member deleted ``job`` (issue 22): its card must not come back."""
        stored = await self._store.get_job(job.id)
        return stored is None or stored.deleted

    async def _show_privately(self, job: Job, card: Card, files: FileFactory) -> Job:
        """Edit the card through the interaction webhook while the token lives, else send it by DM.

        Every message sent, and every edit that puts clips on the card, is recorded (``_private_posts``).
        """
        if job.card_message_id is not None and self.token_usable(job):
            attached = list(files())
            try:
                await self._edit_through_webhook(job, card, lambda: attached)
            except discord.HTTPException as exc:
                if not (_token_dead(exc) or isinstance(exc, discord.NotFound)):
                    raise
                log.info("job %s: private card cannot be edited (%s); sending it by DM", job.id, exc)
            else:
                return await self._record_card_clips(job, attached)
        superseded = interaction_card(job)
        if superseded is not None:  # the interaction's card stays: a delete must find it
            job = await self._store.record_private_post(job.id, superseded)
        message = await self.send_privately(job, files, view=card.layout())
        if job.interaction_token is not None and not isinstance(message, discord.WebhookMessage):
            job = await self._store.reset_token(job.id)  # the DM is no message of the interaction
        return await self._store.set_card_message(job.id, message.id)

    async def _record_card_clips(self, job: Job, attached: Sequence[discord.File]) -> Job:
        """Record the clips a webhook edit just put on the card (nothing to record without clips)."""
        assert job.card_message_id is not None
        clips = clip_indexes(job, [file.filename for file in attached])
        if not clips:
            return job
        return await self._store.record_private_post(job.id, webhook_post(job, job.card_message_id, clips))

    async def send_privately(
        self, job: Job, files: FileFactory, *, view: discord.ui.LayoutView | None = None, content: str = ""
    ) -> discord.Message:
        """Send on the interaction webhook while the token lives (ephemeral for a private job), else by DM.

        The message is recorded on the job right after Discord answers (``_private_posts``). Raises
        CardUnavailable when Discord refuses the DM (the member closed DMs from server members).
        """
        sent = list(files())
        message = await self._send_privately(job, sent, files, view=view, content=content)
        await self._store.record_private_post(job.id, post_of(job, message, sent))
        return message

    async def _send_privately(
        self,
        job: Job,
        sent: list[discord.File],
        files: FileFactory,
        *,
        view: discord.ui.LayoutView | None,
        content: str,
    ) -> discord.Message:
        if self.token_usable(job):
            assert job.interaction_token is not None
            webhook = discord.Webhook.partial(self._application_id(), job.interaction_token, client=self._bot)
            # An interaction's follow-up webhook is the application's own (type 3): only it may send
            # ephemeral messages; ``partial`` assumes an incoming one (type 1).
            webhook.type = discord.WebhookType.application
            try:
                return await webhook.send(
                    files=sent, ephemeral=job.private, wait=True, **_message_kwargs(content, view)
                )
            except discord.HTTPException as exc:
                if not _token_dead(exc):
                    raise
            sent[:] = files()  # a discord.File is sent once: the DM takes new ones
        try:
            user = self._bot.get_user(job.requester_id) or await self._bot.fetch_user(job.requester_id)
            return await user.send(files=sent, **_message_kwargs(content, view))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise CardUnavailable(str(exc)) from exc

    def _application_id(self) -> int:
        application_id = self._bot.application_id
        assert application_id is not None, "set at login"
        return application_id

    def token_usable(self, job: Job) -> bool:
        """Return True while the job's interaction token has more than a minute to live."""
        return self._token_usable(job)

    def _token_usable(self, job: Job) -> bool:
        expires = job.token_expires_at
        return job.interaction_token is not None and expires is not None and expires - utcnow() > TOKEN_MARGIN

    async def _edit_through_webhook(self, job: Job, card: Card, files: AttachmentFactory) -> None:
        assert job.interaction_token is not None and job.card_message_id is not None
        application_id = self._bot.application_id
        assert application_id is not None, "set at login"
        webhook = discord.Webhook.partial(application_id, job.interaction_token, client=self._bot)
        await webhook.edit_message(
            job.card_message_id,
            view=card.layout(),
            attachments=list(files()),
            allowed_mentions=card.allowed_mentions(),
        )

    async def _edit_through_channel(self, job: Job, card: Card, files: AttachmentFactory) -> None:
        assert job.card_message_id is not None
        channel = self._bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        await channel.get_partial_message(job.card_message_id).edit(
            view=card.layout(),
            attachments=list(files()),
            allowed_mentions=card.allowed_mentions(),
        )

    async def _repost(self, job: Job, card: Card, files: FileFactory, note: str | None) -> Job:
        if note and job.card_message_id is not None:
            card = card.with_note(note)
        message = await self.post(job, card, files)
        self._bot.services.metrics.delivered("repost")
        if job.interaction_token is not None:
            # The new card is a channel message: the interaction's webhook cannot edit it.
            await self._store.reset_token(job.id)
        return await self._store.set_card_message(job.id, message.id)


def reply_options(channel_id: int, message_id: int | None) -> dict[str, Any]:
    """Return the ``send`` keyword that replies to ``message_id``, or nothing when there is none.

    ``send`` must not get ``reference=discord.utils.MISSING`` (a TypeError), and its type hints
    refuse ``None``, so the keyword is left out instead.
    """
    if message_id is None:
        return {}
    reference = discord.MessageReference(
        message_id=message_id, channel_id=channel_id, fail_if_not_exists=False
    )
    return {"reference": reference}


def _message_kwargs(content: str, view: discord.ui.LayoutView | None) -> dict[str, Any]:
    """Return a send's ``content`` or ``view`` keyword: a Components V2 view cannot carry content."""
    return {"content": content} if view is None else {"view": view}


def _token_dead(exc: discord.HTTPException) -> bool:
    return exc.status == 401 or exc.code in DEAD_TOKEN_CODES
