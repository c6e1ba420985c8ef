"""/animate and the "Animate image" message command: the ways to start a job from an interaction.

Discord gets its answer within the 3-second deadline every time: the fast checks run first (no
network), then the public job card is the reply. The image is downloaded and inspected after
that; if it fails, the card is removed and the user is told privately what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Consent
from bot.checks import ImageRef, JobRequest, OfferedRefusal, Refusal
from bot.client import (
    interaction_lang,
    key_str,
    member_role_ids,
    missing_channel_permissions,
    refuse,
    within_deadline,
)
from bot.i18n import resolve_locale
from bot.models import MAX_PROMPT_LENGTH, Job, JobSource, Motion, Quality
from cogs.cards import NO_PING, CardRenderer, JobStarts
from cogs.triggers._animate_modal import AnimateForm, FormAnswer, catalogue_texts
from cogs.triggers._consent import consents
from cogs.triggers._images import attachment_ref, find_image
from cogs.triggers._offers import OfferButton, offer_smaller, take_offer
from cogs.triggers._user_installs import (
    Reach,
    ServerMembership,
    allow_user_installs,
    check_user_install,
    reach_of,
)

if TYPE_CHECKING:
    from bot.client import MotionBot

# Builds the request from what /animate was given, once the image is known (attachment or form).
RequestFor = Callable[[discord.Interaction, discord.Attachment, str | None, Motion | None], JobRequest]
log = logging.getLogger(__name__)

MOTION_CHOICES = [
    app_commands.Choice(name=key_str("Low motion", "commands.choices.motion_low"), value=Motion.LOW.value),
    app_commands.Choice(name=key_str("High motion", "commands.choices.motion_high"), value=Motion.HIGH.value),
]
QUALITY_CHOICES = [
    app_commands.Choice(
        name=key_str("480p (faster)", "commands.choices.quality_480p"), value=Quality.SD.value
    ),
    app_commands.Choice(
        name=key_str("720p (sharper)", "commands.choices.quality_720p"), value=Quality.HD.value
    ),
]

CLIP_CHOICES = [
    app_commands.Choice(name=key_str("1 clip", "commands.choices.clips_1"), value="1"),
    app_commands.Choice(name=key_str("2 clips", "commands.choices.clips_2"), value="2"),
    app_commands.Choice(name=key_str("4 clips", "commands.choices.clips_4"), value="4"),
]


class Animate(commands.Cog):
    """Starts video jobs from slash commands and message commands."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.job_starts = JobStarts(bot)
        self.membership = ServerMembership(bot)
        self.context_menu = app_commands.ContextMenu(
            name=key_str("Animate image", "commands.animate_image.name"), callback=self.animate_message
        )
        self.context_menu.guild_only = True
        if self.services.settings.user_install != "off":
            allow_user_installs(self.animate, self.context_menu)

    async def cog_load(self) -> None:
        """Register the message command and the button that takes an offered smaller job."""
        self.bot.tree.add_command(self.context_menu)
        self.bot.add_dynamic_items(OfferButton)

    async def cog_unload(self) -> None:
        """Remove the message command and let job starts in progress finish."""
        self.bot.tree.remove_command(self.context_menu.name, type=self.context_menu.type)
        self.bot.remove_dynamic_items(OfferButton)
        await self.job_starts.drain(grace=5)

    @app_commands.command(
        name=key_str("animate", "commands.animate.name"),
        description=key_str("Turn an image into a short video", "commands.animate.description"),
    )
    @app_commands.rename(
        image=key_str("image", "commands.animate.image_name"),
        motion=key_str("motion", "commands.animate.motion_name"),
        prompt=key_str("prompt", "commands.animate.prompt_name"),
        quality=key_str("quality", "commands.animate.quality_name"),
        clips=key_str("clips", "commands.animate.clips_name"),
        loop=key_str("loop", "commands.animate.loop_name"),
        end_image=key_str("end_image", "commands.animate.end_image_name"),
        raw=key_str("raw", "commands.animate.raw_name"),
        private=key_str("private", "commands.animate.private_name"),
    )
    @app_commands.describe(
        image=key_str(
            "A PNG, JPEG or WebP image, 64 to 4096 px a side (leave out to upload it in a form)",
            "commands.animate.image_description",
        ),
        motion=key_str("How much the scene moves", "commands.animate.motion_description"),
        prompt=key_str("Optional words to guide the motion", "commands.animate.prompt_description"),
        quality=key_str(
            "Video resolution (the server's default if left out)", "commands.animate.quality_description"
        ),
        clips=key_str(
            "How many clips to make; fewer cost less (the server's default if left out)",
            "commands.animate.clips_description",
        ),
        loop=key_str("End the video on its first frame, so it loops", "commands.animate.loop_description"),
        end_image=key_str(
            "An image for the last frame: PNG, JPEG or WebP, like the first",
            "commands.animate.end_image_description",
        ),
        raw=key_str("Raw style: closer to the prompt, less stylized", "commands.animate.raw_description"),
        private=key_str(
            "Only you see the result until you post it (the server's default if left out)",
            "commands.animate.private_description",
        ),
    )
    @app_commands.choices(motion=MOTION_CHOICES, quality=QUALITY_CHOICES, clips=CLIP_CHOICES)
    @app_commands.guild_only()
    async def animate(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment | None = None,
        motion: app_commands.Choice[str] | None = None,
        prompt: app_commands.Range[str, 0, MAX_PROMPT_LENGTH * 2] | None = None,
        quality: app_commands.Choice[str] | None = None,
        clips: app_commands.Choice[str] | None = None,
        loop: bool | None = None,
        end_image: discord.Attachment | None = None,
        raw: bool | None = None,
        private: bool | None = None,
    ) -> None:
        """Turn an image into a short video (without an image: open the upload form)."""

        def request_for(
            source: discord.Interaction, upload: discord.Attachment, typed: str | None, chosen: Motion | None
        ) -> JobRequest:
            # The one place the command's options become a request, for an attachment and the form alike.
            return replace(
                self._request(source, JobSource.SLASH, attachment_ref(upload)),
                motion=chosen,
                quality=_quality(quality),
                prompt=typed,
                clips=int(clips.value) if clips else None,
                loop=loop,
                end_image=attachment_ref(end_image) if end_image else None,
                raw=raw,
                private=private,
            )

        if image is None:
            await self.open_form(interaction, request_for, prompt=prompt, motion=_motion(motion))
            return
        await self.launch(interaction, request_for(interaction, image, prompt, _motion(motion)))

    async def open_form(
        self,
        interaction: discord.Interaction,
        request_for: RequestFor,
        *,
        prompt: str | None,
        motion: Motion | None,
    ) -> None:
        """Open the upload form, unless the member would fill it in vain (refused privately at once)."""
        assert interaction.channel_id is not None, "interactions in guild channels carry one"
        reach = reach_of(self.bot, interaction)
        try:
            await self._check_reach(interaction, reach)
            await within_deadline(
                self.services.intake.precheck_member(
                    interaction.guild_id if reach is Reach.SERVER else None,
                    interaction.channel_id,
                    interaction.user.id,
                    prompt,
                    role_ids=member_role_ids(interaction.user) if reach is Reach.SERVER else frozenset(),
                )
            )
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return

        async def submitted(source: discord.Interaction, answer: FormAnswer) -> None:
            await self.form_submitted(source, answer, request_for)

        texts = catalogue_texts(self.bot, interaction_lang(interaction))
        await interaction.response.send_modal(AnimateForm(texts, submitted, motion=motion, prompt=prompt))

    async def form_submitted(
        self, interaction: discord.Interaction, answer: FormAnswer, request_for: RequestFor
    ) -> None:
        """Start a job from the form, through the same checks as an /animate with an attachment."""
        if answer.image is None:
            await refuse(interaction, Refusal("error.form_no_image"))
            return
        await self.launch(interaction, request_for(interaction, answer.image, answer.prompt, answer.motion))

    async def animate_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Animate the image of the message the command was used on."""
        try:
            image = find_image(message, self.services.settings.image_host_policy.allows)
            if image is None:
                raise Refusal("error.no_image")
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        request = replace(
            self._request(interaction, JobSource.CONTEXT_MENU, image),
            source_message_id=message.id,
            source_author_id=message.author.id,
        )
        moderator = interaction.permissions.manage_messages
        try:
            need = await within_deadline(consents(self.bot).needed(request, message, moderator=moderator))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        if need is Consent.ASK:
            await self.ask_poster(interaction, request, message)
            return
        await self.launch(interaction, request)

    async def ask_poster(
        self, interaction: discord.Interaction, request: JobRequest, message: discord.Message
    ) -> None:
        """Check the request, then ask the image's poster (issue 22); the requester hears privately."""
        try:
            if missing_channel_permissions(interaction.app_permissions):
                raise Refusal("error.missing_permissions")
            await within_deadline(self.services.intake.precheck(request))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        asking = consents(self.bot)
        try:
            consent = await asking.ask(request, message)
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        asked = asking.text_for(interaction_lang(interaction), "consent.asked", consent)
        await interaction.followup.send(
            asked, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    async def _check_reach(self, interaction: discord.Interaction, reach: Reach) -> None:
        """Refuse a user install the operator does not allow, or a server channel the bot cannot post in."""
        await check_user_install(self.bot, interaction, reach, self.membership)
        if reach is Reach.SERVER and missing_channel_permissions(interaction.app_permissions):
            raise Refusal("error.missing_permissions")

    def _request(self, interaction: discord.Interaction, source: JobSource, image: ImageRef) -> JobRequest:
        assert interaction.channel_id is not None, "interactions in guild channels carry one"
        # Where no server hosts the bot, only the person's own budgets and rules hold (guild None).
        reach = reach_of(self.bot, interaction)
        hosted = reach is Reach.SERVER
        return JobRequest(
            requester_id=interaction.user.id,
            guild_id=interaction.guild_id if hosted else None,
            channel_id=interaction.channel_id,
            source=source,
            image=image,
            locale=str(interaction.locale),
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
            role_ids=member_role_ids(interaction.user) if hosted else frozenset(),
            webhook_only=reach is Reach.OUTSIDE,
        )

    async def offer_pressed(self, interaction: discord.Interaction, token: str) -> None:
        """Start the smaller job offered under a refusal, through the same checks as any launch."""
        await take_offer(interaction, token, self.services.intake.offers, self.launch)

    async def launch(self, interaction: discord.Interaction, request: JobRequest) -> None:
        """Answer at once with a refusal or the job card, then start the job in the background."""
        try:
            await self._check_reach(interaction, reach_of(self.bot, interaction))
            request = await within_deadline(self.services.intake.precheck(request))
        except OfferedRefusal as refusal:
            await offer_smaller(interaction, refusal, self.services.intake.offers)
            return
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        assert request.motion is not None and request.quality is not None
        renderer = CardRenderer(self.services.catalogue, resolve_locale(request.locale), self.services.prices)
        card = renderer.pending(
            request.requester_id,
            request.motion,
            request.quality,
            request.prompt or "",
            request.options,
            request.price,
        )
        response = await interaction.response.send_message(
            view=card.layout(), allowed_mentions=NO_PING, ephemeral=bool(request.private)
        )

        async def start(card_id: int | None) -> Job:
            return await self.services.intake.start(request, card_message_id=card_id)

        self.job_starts.begin(interaction, response.message_id, start, "starting a job")


def _motion(choice: app_commands.Choice[str] | None) -> Motion | None:
    return Motion(choice.value) if choice else None


def _quality(choice: app_commands.Choice[str] | None) -> Quality | None:
    return Quality(choice.value) if choice else None
