"""/show job:<id>: re-post a delivered job here, publicly, with its clips and live buttons.

Who may, by ``bot.media.recall``: a job of a channel the member cannot see does not exist for them; only
the requester or a moderator of the job's own channel may re-post it; once someone other than the
bot deleted one of its cards (this cog follows MESSAGE_DELETE), only a moderator may bring it back.
Each member may re-post a few times in any five minutes (``bot.access.member_rate``).

The clips come from the archive (``CLIP_ARCHIVE``: a folder or a bucket every process shares) when it
kept them, else from the files the bot posted with the card (their URLs read afresh from Discord:
they are signed and expire), else from the provider while its links still download (streamed and
size-capped, a few at once for every /show of the process); when none has them the member is told
privately and nothing stays posted. The re-post is recorded so its Extend buttons act on the job,
only in the job's own server (``cogs.buttons._press_checks.clicked_on_repost``).

A private job, or one started where the bot is not a member (``Job.webhook_only``), is never re-posted:
its requester alone gets its card and every clip again as an ephemeral answer, without buttons and
recorded nowhere (``bot.media.shows_privately``); to anyone else it does not exist. Its clips come
from the archive, else the DMs that carried them (``Job.private_posts``, read afresh), else the
provider. /show is offered where /animate is (``USER_INSTALL``); outside a server with the bot it
shows only such jobs, and points the requester of a public one to its server.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import MemberRate
from bot.checks import Refusal
from bot.client import (
    apologize,
    checked_before_answer,
    interaction_lang,
    key_str,
    missing_channel_permissions,
    reply_ephemeral,
    text,
)
from bot.media import (
    SHOW_DOWNLOADS,
    ClipFile,
    ClipSource,
    LinkReason,
    UploadPlan,
    archived_clip,
    check_may_show,
    check_may_show_privately,
    clear_removal,
    has_clips,
    job_in_guild,
    job_of_message,
    plan_uploads,
    record_removal,
    record_repost,
    shows_privately,
    was_removed,
)
from bot.models import Job
from cogs.cards import (
    Card,
    CardRenderer,
    Reach,
    allow_user_installs,
    clip_file,
    clip_name,
    job_messages,
    loaded_cards,
    posted_clip_urls,
    reach_of,
    recorded_dm_messages,
)
from cogs.cards import ClipSource as DeliverySource
from cogs.channel_access import member_access
from cogs.commands._jobs import card_url

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

# Discord's integer options are Int53Type: at most 2**53 - 1 (its OpenAPI spec; the bulk command overwrite
# is refused whole, leaving no commands, if a max_value exceeds it). Larger ids are no job's anyway.
MAX_JOB_ID = 2**53 - 1
NO_MENTIONS = discord.AllowedMentions.none()


class Showing(enum.Enum):
    """How a job is shown again, by who asks."""

    PRIVATELY = "privately"  # its requester, a private or webhook-only job: ephemeral, no buttons
    REPOST = "repost"  # its requester, publicly in its channel's server
    MODERATOR_REPOST = "moderator_repost"  # a moderator of its channel: may bring a removed card back


class Show(commands.Cog):
    """Re-posts a finished job on request."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.rate = MemberRate("show.too_often")
        self.clips = ClipSource(
            bot.services.http,
            bot.services.archive,
            asyncio.Semaphore(SHOW_DOWNLOADS),
            discord_hosts=bot.services.settings.image_host_policy,
        )
        if self.services.settings.user_install != "off":
            allow_user_installs(self.show)  # where /animate can start a job, its requester can see it

    @app_commands.command(
        name=key_str("show", "commands.show.name"),
        description=key_str(
            "Post one of your videos here again, with its clips", "commands.show.description"
        ),
    )
    @app_commands.rename(job=key_str("job", "commands.show.job_name"))
    @app_commands.describe(
        job=key_str("The video's number, as /jobs lists it", "commands.show.job_description")
    )
    @app_commands.guild_only()
    async def show(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1, MAX_JOB_ID]
    ) -> None:
        """Re-post job ``job`` in this channel, after checking who asks and that it has clips."""
        checked = await checked_before_answer(
            interaction, self._showable(interaction, job), f"checking /show of job {job}"
        )
        if checked is None:
            return
        found, showing = checked
        if not has_clips(found):
            await reply_ephemeral(interaction, self._no_clips_text(interaction, found))
            return
        if showing is Showing.PRIVATELY:
            await self._show_privately(interaction, found)
            return
        answer = await interaction.response.defer(thinking=True)
        try:
            answer_id = answer.message_id if answer is not None else None
            moderator = showing is Showing.MODERATOR_REPOST
            await self._repost(interaction, found, answer_id, moderator=moderator)
        except Exception as exc:
            await apologize(interaction, exc, f"re-posting job {job}")

    async def _showable(self, interaction: discord.Interaction, job_id: int) -> tuple[Job, Showing]:
        """Return what ``_recallable`` does, counting a showing with clips against the member's rate."""
        found, showing = await self._recallable(interaction, job_id)
        if has_clips(found):
            self.rate.take(interaction.user.id)
        return found, showing

    async def _recallable(self, interaction: discord.Interaction, job_id: int) -> tuple[Job, Showing]:
        """Return the job the member may see again from here, and how it is shown.

        Reads only (runs before the first answer): the job, the member's access to its channel from
        the guild cache (or one fetch), whether a moderator removed its card, this channel's rules.
        """
        job = await self.services.store.get_job(job_id)
        if job is not None and shows_privately(job, interaction.user.id):
            return check_may_show_privately(job), Showing.PRIVATELY
        if reach_of(self.bot, interaction) is not Reach.SERVER:
            raise refused_elsewhere(job, job_id, interaction.user.id)
        found, moderator = await self._repostable(interaction, job, job_id)
        return found, Showing.MODERATOR_REPOST if moderator else Showing.REPOST

    async def _repostable(
        self, interaction: discord.Interaction, job: Job | None, job_id: int
    ) -> tuple[Job, bool]:
        """Return the job the member may re-post in this server, and whether they moderate its channel."""
        store = self.services.store
        found = job_in_guild(job, job_id, interaction.guild_id)
        access = await member_access(interaction, found.channel_id)
        check_may_show(found, interaction.user.id, access, removed=await was_removed(store, found))
        overrides = await self.services.intake.guild_settings(found.guild_id)
        self.services.intake.check_channel(overrides, interaction.channel_id or found.channel_id)
        if missing_channel_permissions(interaction.app_permissions):
            raise Refusal("error.missing_permissions")
        return found, access.can_moderate

    def _no_clips_text(self, interaction: discord.Interaction, job: Job) -> str:
        lang = interaction_lang(interaction)
        status = text(self.bot, lang, f"status.{job.status.value}")
        url = card_url(job)
        if url is None:
            return text(self.bot, lang, "show.not_delivered", job_id=job.id, status=status)
        return text(self.bot, lang, "show.not_delivered_card", job_id=job.id, status=status, url=url)

    async def _repost(
        self, interaction: discord.Interaction, job: Job, answer_id: int | None, *, moderator: bool
    ) -> None:
        limit = interaction.filesize_limit
        async with self._clip_files(job, limit) as clips:
            if all(clip.failure is LinkReason.UNAVAILABLE for clip in clips):
                await self._gone(interaction, job)
                return
            await self._post(interaction, job, clips, limit, answer_id)
            if moderator:
                await clear_removal(self.services.store, job)  # a moderator brought it back

    @asynccontextmanager
    async def _clip_files(self, job: Job, limit: int) -> AsyncIterator[list[ClipFile]]:
        """Yield the job's clips (``_gather``) in a folder of their own, removed afterwards."""
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"motionbot-show-{job.id}-"))
        try:
            yield await self._gather(job, folder, limit)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _gather(self, job: Job, folder: Path, limit: int) -> list[ClipFile]:
        """Return each clip from the archive when kept there, else downloaded; fitted under ``limit``."""
        indexes = range(len(job.clip_urls))
        kept = await asyncio.gather(*(archived_clip(self.services.archive, job, i, folder) for i in indexes))
        # Discord is read only for clips the archive lacks; its URLs are fresh for this /show only.
        posted = {} if all(kept) else posted_clip_urls(job, await self._messages_with_clips(job))

        async def one(index: int) -> ClipFile:
            clip = kept[index] or await self.clips.downloaded(job, index, folder, limit, posted)
            return await self._delivery_source().fit_clip(job, clip, limit, folder)

        return list(await asyncio.gather(*(one(index) for index in indexes)))

    async def _messages_with_clips(self, job: Job) -> list[discord.Message]:
        """Return the bot's messages of ``job`` that the bot's token can read again, with fresh URLs.

        A private or webhook-only job's card is ephemeral or beyond the bot's reach: only its DMs are.
        """
        if job.reaches_through_webhook:
            return await recorded_dm_messages(self.bot, job)
        return await job_messages(self.bot, job)

    def _delivery_source(self) -> DeliverySource:
        """Return delivery's clip source (its encode bound), or one of our own."""
        cards = loaded_cards(self.bot)
        return cards.delivery.source if cards is not None else DeliverySource(self.services)

    async def _gone(self, interaction: discord.Interaction, job: Job) -> None:
        """Take back the public "thinking…" answer and tell the member privately."""
        log.info("/show of job %s: its clips are not archived, on Discord or at the provider", job.id)
        await interaction.delete_original_response()
        lang = interaction_lang(interaction)
        await interaction.followup.send(text(self.bot, lang, "show.gone", job_id=job.id), ephemeral=True)

    async def _post(
        self,
        interaction: discord.Interaction,
        job: Job,
        clips: Sequence[ClipFile],
        limit: int,
        answer_id: int | None,
    ) -> None:
        """Fill the deferred answer in with the job's card and first clips; reply with the rest.

        The answer is recorded as a re-post before its buttons exist, so a click at once finds it.
        """
        renderer = CardRenderer(self.services.catalogue, interaction_lang(interaction))
        plan = plan_uploads(clips, per_file_limit=limit)
        first = plan.messages[0] if plan.messages else ()
        card = shown_card(renderer, job, plan)
        # Filling the deferred answer in by an edit, not a follow-up: Discord ignores a follow-up's
        # flags there, and a Components V2 card needs its flag.
        store = self.services.store
        if answer_id is not None:
            await record_repost(store, answer_id, job)
            await store.record_post(job.id, interaction.channel_id or job.channel_id, answer_id)
        message = await interaction.edit_original_response(
            view=card.layout(),
            attachments=[clip_file(job, clip) for clip in first],
            allowed_mentions=NO_MENTIONS,
        )
        if message.id != answer_id:
            await record_repost(store, message.id, job)
            await store.record_post(job.id, message.channel.id, message.id)
        for batch in plan.messages[1:]:
            more = await interaction.followup.send(
                content=renderer.text("delivery.more_clips", job_id=job.id),
                files=[clip_file(job, clip) for clip in batch],
                wait=True,
            )
            await store.record_post(job.id, more.channel.id, more.id)

    # -- a private or webhook-only job, to its requester alone ---------------------------------------

    async def _show_privately(self, interaction: discord.Interaction, job: Job) -> None:
        """Answer with the job's card and every clip, ephemeral: only the requester ever sees them."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            limit = interaction.filesize_limit
            async with self._clip_files(job, limit) as clips:
                if all(clip.failure is LinkReason.UNAVAILABLE for clip in clips):
                    await self._gone(interaction, job)
                    return
                await self._post_privately(interaction, job, clips, limit)
        except Exception as exc:
            await apologize(interaction, exc, f"showing job {job.id} privately")

    async def _post_privately(
        self, interaction: discord.Interaction, job: Job, clips: Sequence[ClipFile], limit: int
    ) -> None:
        """Fill the ephemeral answer in with the card and first clips; ephemeral follow-ups with the rest.

        No button: the press checks know a job's card, its DMs and its re-posts, not this copy. Nothing
        is recorded: it is no post of the job (a delete need not reach it; it acts on nothing).
        """
        renderer = CardRenderer(self.services.catalogue, interaction_lang(interaction))
        plan = plan_uploads(clips, per_file_limit=limit)
        first = plan.messages[0] if plan.messages else ()
        card = replace(shown_card(renderer, job, plan).with_note(renderer.text("show.only_you")), rows=())
        await interaction.edit_original_response(
            view=card.layout(),
            attachments=[clip_file(job, clip) for clip in first],
            allowed_mentions=NO_MENTIONS,
        )
        for batch in plan.messages[1:]:
            await interaction.followup.send(
                content=renderer.text("delivery.more_clips", job_id=job.id),
                files=[clip_file(job, clip) for clip in batch],
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    # -- cards a moderator removed ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Remember a job's card (or re-post) that someone other than the bot deleted."""
        await self._deleted(payload.guild_id, payload.message_id, payload.cached_message)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """Remember the cards among the messages a moderator purged at once."""
        cached = {message.id: message for message in payload.cached_messages}
        for message_id in payload.message_ids:
            await self._deleted(payload.guild_id, message_id, cached.get(message_id))

    async def _deleted(self, guild_id: int | None, message_id: int, cached: discord.Message | None) -> None:
        me = self.bot.user
        if guild_id is None or (cached is not None and me is not None and cached.author.id != me.id):
            return  # a member's own message: never a card
        if self.services.own_deletions.was_ours(message_id):
            return
        try:
            job = await job_of_message(self.services.store, message_id)
            if job is not None and job.guild_id == guild_id:
                await record_removal(self.services.store, job, message_id)
                log.info("job %s: card message %s was deleted by someone else", job.id, message_id)
        except Exception:
            log.exception("could not record the deletion of message %s", message_id)


def shown_card(renderer: CardRenderer, job: Job, plan: UploadPlan) -> Card:
    """Return the card of ``job`` shown again with every clip: the first batch in its gallery."""
    first = plan.messages[0] if plan.messages else ()
    # Shown with every clip, so it is complete even when the job's card still misses some.
    whole = replace(job, missing_clips=())
    return renderer.job(whole, linked=plan.notes, gallery=[clip_name(job, clip.index) for clip in first])


def refused_elsewhere(job: Job | None, job_id: int, user_id: int) -> Refusal:
    """Return the answer to /show of a job that is not the member's private one, outside its server.

    Only the requester learns that a public job exists and where to show it; anyone else is told
    what an id that does not exist is told.
    """
    if job is None or job.requester_id != user_id:
        return Refusal("show.not_found_here", job_id=job_id)
    if job.deleted:
        return Refusal("delete.gone", job_id=job_id)
    return Refusal("show.in_its_server", job_id=job_id)
