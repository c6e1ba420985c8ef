"""Job intake: every check a request passes before it becomes a stored, queued job.

The surface calls ``precheck`` before answering Discord (it is fast: settings, metadata, prompt,
limits; no network), then ``start`` in the background (it downloads and inspects the image, takes
the quota slot atomically, writes the job row and hands it to the tracker). Any refusal is a
``Refusal`` carrying a catalogue key and its parameters, so the surface can say what to fix in the
user's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from yarl import URL

from bot.budget import Money, PriceTable, best_fit
from bot.checks import (
    CheckedImage,
    DuplicateRequest,
    ExtendJobRequest,
    FlagRejected,
    ImageRef,
    ImageRejected,
    JobRequest,
    OfferedRefusal,
    PromptRejected,
    ProviderImages,
    QuotaExceeded,
    QuotaService,
    Refusal,
    clean_prompt,
    merge_option,
    parse_prompt,
    validate_attachment_metadata,
)
from bot.guild_settings import closed_everywhere, commands_open_in
from bot.intake.offers import OfferBook
from bot.models import (
    CLIPS_PER_JOB,
    MAX_EXTENSIONS,
    FailureKind,
    GuildSettings,
    Job,
    JobSource,
    JobStatus,
    Motion,
    NewJob,
    Quality,
)
from bot.ops import job_fields
from bot.settings import Settings
from bot.store import DuplicateJob, JobStore
from bot.tracking import JobTracker, TrackerHalted

__all__ = [
    "DEFAULT_PROMPT",
    "DuplicateRequest",
    "ExtendJobRequest",
    "ImageRef",
    "JobIntake",
    "JobRequest",
    "Refusal",
    "check_extendable",
]

log = logging.getLogger(__name__)

DEFAULT_PROMPT = "animate this image"


class JobIntake:
    """Validates requests and turns accepted ones into queued jobs."""

    def __init__(
        self,
        store: JobStore,
        tracker: JobTracker,
        quotas: QuotaService,
        settings: Settings,
        images: ProviderImages,
        *,
        on_created: Callable[[Job], None] | None = None,
    ) -> None:
        self._store = store
        self._tracker = tracker
        self._quotas = quotas
        self._settings = settings
        self._prices = PriceTable.from_settings(settings)
        # The same object the tracker asks for each job's image: the bytes checked here are sent.
        self._images = images
        self._fetcher = images.fetcher
        self._on_created = on_created
        self._prices = PriceTable.from_settings(settings)
        self.offers = OfferBook()  # the smaller jobs offered under refusals, for their buttons

    async def guild_settings(self, guild_id: int | None) -> GuildSettings | None:
        """Return a server's overrides, or None."""
        return None if guild_id is None else await self._store.get_guild_settings(guild_id)

    async def precheck(self, request: JobRequest) -> JobRequest:
        """Run the fast checks and return the request with defaults and a clean prompt filled in.

        Flags typed in the prompt become options (``bot.checks.prompt_flags``); the prompt keeps only words.
        """
        self.check_accepting()
        overrides = await self.guild_settings(request.guild_id)
        self.check_channel(overrides, request.channel_id)
        for image in (request.image, request.end_image):
            if image is not None:
                self.check_image_host(image.url)
        if request.source_message_id is not None:
            await self.check_duplicate(request.requester_id, request.source_message_id, request.source)
        try:
            self._check_metadata(request.image)
            if request.end_image is not None:
                self._check_metadata(request.end_image)
            request = self._with_options(request, overrides)
            await self._quotas.check(
                request.guild_id, request.requester_id, request.cost, request.price, role_ids=request.role_ids
            )
        except QuotaExceeded as exc:
            raise self._refusal_with_offer(exc, request, overrides) from None
        except (ImageRejected, PromptRejected, FlagRejected) as exc:
            raise Refusal.wrap(exc) from None
        return request

    def _refusal_with_offer(
        self, exc: QuotaExceeded, request: JobRequest, overrides: GuildSettings | None
    ) -> Refusal:
        """Return the refusal of ``request``, offering the largest smaller job that fits, if any does."""
        if exc.room is None or request.quality is None:
            return Refusal.wrap(exc)
        counts_clips = bool(overrides and overrides.count_clips)
        clips = request.clips or CLIPS_PER_JOB
        offer = best_fit(self._prices, request.quality, clips, exc.room, counts_clips=counts_clips)
        if offer is None:
            return Refusal.wrap(exc)
        smaller = replace(
            request, quality=offer.quality, clips=offer.clips, cost=offer.clips if counts_clips else 1
        )
        return OfferedRefusal(exc, offer, smaller, self._prices.format(offer.price))

    def _check_metadata(self, image: ImageRef) -> None:
        limit = self._settings.max_image_bytes
        validate_attachment_metadata(
            image.content_type, image.size, image.width, image.height, max_bytes=limit
        )

    def _with_options(self, request: JobRequest, overrides: GuildSettings | None) -> JobRequest:
        """Return the request with typed flags merged into its options and the defaults filled in."""
        typed = parse_prompt(clean_prompt(request.prompt))
        motion = merge_option(request.motion, typed.motion, "motion")
        clips = merge_option(request.clips, typed.clips, "clips") or self._default_clips(overrides)
        loop = bool(merge_option(request.loop, typed.loop, "loop"))
        if loop and request.end_image is not None:
            raise FlagRejected("options.loop_with_end")
        counts_clips = bool(overrides and overrides.count_clips)
        quality = request.quality or self._default_quality(overrides)
        return replace(
            request,
            prompt=typed.words,
            motion=motion or self._default_motion(overrides),
            quality=quality,
            clips=clips,
            loop=loop,
            raw=bool(merge_option(request.raw, typed.raw, "raw")),
            cost=clips if counts_clips else 1,
            price=self._prices.job_price(quality, clips),
            private=self._private(request, overrides),
        )

    async def precheck_member(
        self,
        guild_id: int | None,
        channel_id: int,
        requester_id: int,
        prompt: str | None = None,
        *,
        role_ids: frozenset[int] = frozenset(),
    ) -> None:
        """Run the checks that need no image (before a form asks for one), so nobody fills it in vain.

        The request built from the form's answer still goes through ``precheck`` and ``start``.
        ``role_ids`` (the member's roles) are for the money budgets, as ``JobRequest.role_ids``.
        """
        self.check_accepting()
        self.check_channel(await self.guild_settings(guild_id), channel_id)
        try:
            clean_prompt(prompt)
            await self._quotas.check(guild_id, requester_id, role_ids=role_ids)
        except (PromptRejected, QuotaExceeded) as exc:
            raise Refusal.wrap(exc) from None

    def extension_price(self, parent: Job) -> Money:
        """Return what extending a clip of ``parent`` costs: its batch of clips at the extension price."""
        return self._prices.job_price(parent.quality, parent.clips, extension=True)

    def extension_prompt(self, text: str | None, parent: Job, motion: Motion) -> str:
        """Return a new prompt for extending ``parent`` with ``motion``, checked like every prompt.

        Empty after cleaning means "keep the parent's prompt". Typed flags are parsed as anywhere
        else: a link or an unknown flag is refused, a typed ``--motion`` must agree with ``motion``,
        and the batch size, raw style and loop of an extension follow its parent, so typing them is
        refused. Raises ``Refusal``.
        """
        try:
            typed = parse_prompt(clean_prompt(text))
            merge_option(motion, typed.motion, "motion")
            for flag, value in (("--bs", typed.clips), ("--raw", typed.raw), ("--loop", typed.loop)):
                if value is not None:
                    raise FlagRejected("prompt.flag_unsupported", flag=flag)
        except (PromptRejected, FlagRejected) as exc:
            raise Refusal.wrap(exc) from None
        return typed.words or parent.prompt

    def check_accepting(self) -> None:
        """Refuse when the bot is shutting down or its provider key was rejected."""
        if self._tracker.auth_failed:
            raise Refusal("error.misconfigured")
        if not self._tracker.accepting:
            raise Refusal("job.restarting")

    def check_channel(self, overrides: GuildSettings | None, channel_id: int) -> None:
        """Refuse a channel that the server's allow-list leaves out (every one, once none is left)."""
        if commands_open_in(overrides, channel_id):
            return
        if overrides is None or closed_everywhere(overrides):
            raise Refusal("error.no_channel_allowed")
        channels = ", ".join(f"<#{cid}>" for cid in sorted(overrides.allowed_channel_ids))
        raise Refusal("error.channel_not_allowed", channels=channels)

    async def check_duplicate(self, requester_id: int, source_message_id: int, source: JobSource) -> None:
        """Refuse a request the member already made from this message by this trigger (a read only).

        ``create_job`` checks again atomically; this early check keeps a duplicate from posting a card.
        """
        existing = await self._store.same_source_job(requester_id, source_message_id, source)
        if existing is not None:
            raise DuplicateRequest(existing)

    def check_image_host(self, url: str) -> URL:
        """Return ``url`` parsed if input images may be downloaded from it, else refuse."""
        return self._fetcher.check_host(url)

    async def start(self, request: JobRequest, *, card_message_id: int | None = None) -> Job:
        """Download and inspect the images, then store and enqueue the job (request from ``precheck``).

        The checked bytes of the image are what the provider gets (``bot.checks.provider_images``).
        """
        checked = await self._fetcher.checked(request.image)
        if request.end_image is not None:
            await self._fetcher.checked(request.end_image)
        new = self._new_job(request)
        return await self._admit(new, card_message_id, request.role_ids, checked)

    async def start_extension(self, request: ExtendJobRequest, *, card_message_id: int | None = None) -> Job:
        """Store and enqueue a child job that extends one clip of a delivered job."""
        self.check_accepting()
        check_extendable(request.parent, request.clip_index)
        parent = request.parent
        new = NewJob(
            requester_id=request.requester_id,
            guild_id=parent.guild_id,
            channel_id=request.channel_id,
            source=JobSource.EXTEND,
            motion=request.motion,
            quality=parent.quality,
            prompt=request.prompt or parent.prompt,
            image_url=parent.clip_urls[request.clip_index],
            locale=request.locale,
            parent_job_id=parent.id,
            clip_index=request.clip_index,
            extension_count=parent.extension_count + 1,
            # The image is the parent's clip: whoever made that video may delete what extends it.
            source_author_id=parent.requester_id,
            interaction_token=request.interaction_token,
            token_expires_at=request.token_expires_at,
            attachment_size_limit=request.attachment_size_limit,
            # Same batch and style as the clip it continues; the loop and end frame described how
            # the parent ended, so the extension does not repeat them (see docs/architecture.md).
            clips=parent.clips,
            raw=parent.raw,
            cost=parent.clips if await self._counts_clips(parent.guild_id) else 1,
            price=self.extension_price(parent),
            private=parent.private,  # an extension of a private clip stays the requester's own
            webhook_only=parent.webhook_only,
        )
        return await self._admit(new, card_message_id, request.role_ids)

    async def _admit(
        self,
        new: NewJob,
        card_message_id: int | None,
        role_ids: frozenset[int],
        checked: CheckedImage | None = None,
    ) -> Job:
        try:
            job = await self._quotas.admission(new, role_ids)
        except QuotaExceeded as exc:
            raise Refusal.wrap(exc) from None
        except DuplicateJob as exc:
            raise DuplicateRequest(exc.job) from None
        if checked is not None:
            # Before the tracker can take the job, so its submit finds the bytes checked here.
            self._images.keep(job.id, job.image_url, checked)
        if card_message_id is not None:
            # Before the tracker can emit an event, so every card edit finds the card.
            job = await self._store.set_card_message(job.id, card_message_id)
        try:
            await self._tracker.enqueue(job)
        except TrackerHalted:
            raise await self._halted(job) from None
        log.info(
            "job %s queued (user %s, guild %s, %s)",
            job.id,
            new.requester_id,
            new.guild_id,
            new.source,
            extra=job_fields(job),
        )
        if self._on_created is not None:
            self._on_created(job)
        return job

    async def _halted(self, job: Job) -> Refusal:
        """Fail a job the tracker would not take (free of charge) and return the refusal that says why.

        The caller shows the refusal privately and withdraws the card, so the failure counts as shown.
        """
        if self._tracker.auth_failed:
            kind, reason, refusal = (
                FailureKind.CONFIGURATION,
                "the provider rejected the API key",
                "error.misconfigured",
            )
        else:
            kind, reason, refusal = FailureKind.INTERRUPTED, "the bot is shutting down", "job.restarting"
        await self._store.mark_failed(job.id, kind, reason)
        await self._store.mark_final_shown(job.id)
        return Refusal(refusal)

    def _new_job(self, request: JobRequest) -> NewJob:
        assert request.motion is not None and request.quality is not None, "precheck fills these"
        return NewJob(
            requester_id=request.requester_id,
            guild_id=request.guild_id,
            channel_id=request.channel_id,
            source=request.source,
            motion=request.motion,
            quality=request.quality,
            prompt=request.prompt or DEFAULT_PROMPT,
            image_url=request.image.url,
            locale=request.locale,
            source_message_id=request.source_message_id,
            source_author_id=request.source_author_id,
            interaction_token=request.interaction_token,
            token_expires_at=request.token_expires_at,
            attachment_size_limit=request.attachment_size_limit,
            clips=request.clips or CLIPS_PER_JOB,
            loop=bool(request.loop),
            raw=bool(request.raw),
            end_image_url=None if request.end_image is None else request.end_image.url,
            cost=request.cost,
            price=request.price,
            private=bool(request.private),
            webhook_only=request.webhook_only,
        )

    @staticmethod
    def _private(request: JobRequest, overrides: GuildSettings | None) -> bool:
        if request.private is not None:
            return request.private
        # A reaction is public itself and has no interaction to answer privately: never private.
        return request.source is not JobSource.REACTION and bool(overrides and overrides.private_default)

    def _default_motion(self, overrides: GuildSettings | None) -> Motion:
        return (overrides and overrides.default_motion) or self._settings.default_motion

    def _default_quality(self, overrides: GuildSettings | None) -> Quality:
        return (overrides and overrides.default_quality) or self._settings.default_quality

    def _default_clips(self, overrides: GuildSettings | None) -> int:
        return (overrides and overrides.default_clips) or self._settings.default_clips

    async def _counts_clips(self, guild_id: int | None) -> bool:
        overrides = await self.guild_settings(guild_id)
        return bool(overrides and overrides.count_clips)


def check_extendable(parent: Job, clip_index: int) -> None:
    """Refuse extending a job that has no such delivered clip or is at the extension limit."""
    if parent.status is JobStatus.FAILED or parent.status is JobStatus.TIMED_OUT:
        raise Refusal("extend.job_failed")
    if parent.status is not JobStatus.DELIVERED:
        raise Refusal("extend.not_delivered")
    if not 0 <= clip_index < len(parent.clip_urls):
        raise Refusal("extend.clip_out_of_range", clip=clip_index + 1, count=len(parent.clip_urls))
    if parent.extension_count >= MAX_EXTENSIONS:
        raise Refusal("extend.max_reached", clip=clip_index + 1, max=MAX_EXTENSIONS)
