"""The records of job intake: what the surface asks for, and the refusal it gets back.

``Refusal`` carries a catalogue key and its parameters so the surface can say what to fix in the
member's language; ``JobRequest`` and ``ExtendJobRequest`` are everything the surface knows about a
request before the intake checks it. ``bot.checks`` exports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.budget import FREE, Money, Offer
from bot.checks.images import ImageRejected
from bot.checks.prompt_flags import FlagRejected
from bot.checks.prompts import PromptRejected
from bot.checks.quotas import QuotaExceeded
from bot.models import CLIPS_PER_JOB, Job, JobSource, Motion, Quality, VideoOptions


class Refusal(Exception):  # noqa: N818 - a refusal is an expected outcome, not an error
    """A request the bot will not take, with the catalogue key that explains why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, object] = params

    @classmethod
    def wrap(cls, exc: ImageRejected | PromptRejected | QuotaExceeded | FlagRejected) -> Refusal:
        """Turn a validation exception of the core into a refusal."""
        return cls(exc.key, **exc.params)


class OfferedRefusal(Refusal):
    """A job refused by a budget or daily limit that would fit smaller: ``smaller`` is that request.

    ``smaller`` went through ``precheck`` once (its prompt holds only words, its options are set), so
    the surface can start it as it is; ``offer_*`` parameters describe it for the message.
    """

    def __init__(self, refused: QuotaExceeded, offer: Offer, smaller: JobRequest, price: str) -> None:
        super().__init__(refused.key, **refused.params)
        self.offer = offer
        self.smaller = smaller
        self.offer_params: dict[str, object] = {
            "clips": offer.clips,
            "quality": str(offer.quality),
            "price": price,
        }


class DuplicateRequest(Refusal):
    """The member already has a recent job from the same message by the same trigger (``job``)."""

    def __init__(self, job: Job) -> None:
        super().__init__("job.duplicate", job_id=job.id)
        self.job = job


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A Discord-hosted image, as described by its attachment or embed metadata."""

    url: str
    content_type: str | None
    size: int
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything the surface knows about a request to animate an image."""

    requester_id: int
    guild_id: int | None
    channel_id: int
    source: JobSource
    image: ImageRef
    locale: str
    motion: Motion | None = None
    quality: Quality | None = None
    prompt: str | None = None
    source_message_id: int | None = None
    source_author_id: int | None = None  # who posted that message's image: they may delete the job
    interaction_token: str | None = None
    token_expires_at: dt.datetime | None = None
    attachment_size_limit: int | None = None
    clips: int | None = None
    loop: bool | None = None
    raw: bool | None = None
    end_image: ImageRef | None = None
    cost: int = 1
    price: Money = FREE  # the job's price (from the price table), filled in by ``precheck``
    # The roles the member holds in the server (none in direct messages): admission's money budgets
    # depend on them (a role's allowance, bot.budget.effective_budgets).
    role_ids: frozenset[int] = frozenset()
    # Results for the requester only; None takes the server's default (``GuildSettings.private_default``).
    private: bool | None = None
    # Started where the bot is not a member (issue 22, user installs): the interaction's webhook only.
    webhook_only: bool = False

    @property
    def options(self) -> VideoOptions:
        """Return the video options asked for (after ``precheck``: with the defaults filled in)."""
        clips = self.clips or CLIPS_PER_JOB
        return VideoOptions(clips, bool(self.loop), bool(self.raw), self.end_image is not None)


@dataclass(frozen=True, slots=True)
class ExtendJobRequest:
    """A member's request to extend one clip of a delivered job (the provider gets an ExtendTaskRequest)."""

    parent: Job
    clip_index: int
    motion: Motion
    requester_id: int
    channel_id: int
    locale: str
    interaction_token: str | None = None
    token_expires_at: dt.datetime | None = None
    attachment_size_limit: int | None = None
    prompt: str | None = None  # a new prompt, cleaned by ``extension_prompt``; None keeps the parent's
    role_ids: frozenset[int] = frozenset()  # the member's roles in the server, as on JobRequest
