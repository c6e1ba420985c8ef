"""The job itself: its options, statuses and failure kinds, the job row and what it is charged.

Nothing here knows about Discord or HTTP; the store, the tracker and the cogs all speak these types.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

MAX_PROMPT_LENGTH = 1000
MAX_EXTENSIONS = 4
CLIPS_PER_JOB = 4
CLIP_CHOICES = (1, 2, 4)  # Midjourney's batch sizes (--bs); 4 is the provider's default


def utcnow() -> dt.datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class PostPlace(StrEnum):
    """Where a message of a job that only its requester sees, or that lives on a webhook, is."""

    WEBHOOK = "webhook"  # on the interaction's webhook: deletable with its token for 15 minutes only
    DM = "dm"  # in the bot's DM with the requester: deletable with the bot's token at any time


class PrivatePost(NamedTuple):
    """A message of a private or webhook-only job: where it is, and the clips (0-based) it carries.

    Channel history never shows these (ephemeral, or outside the bot's reach), so the store keeps
    them: a delete removes them, and a restarted delivery posts only the clips they lack.
    """

    place: PostPlace
    channel_id: int
    message_id: int
    clips: tuple[int, ...] = ()
    # A webhook message's interaction token and its end: the job's own token may be gone by a delete
    # (reset when the card moved to a DM, cleared when the job was posted to the channel).
    token: str | None = None
    token_expires_at: dt.datetime | None = None


class Motion(StrEnum):
    """How much the camera and subject move in the generated clip."""

    LOW = "low"
    HIGH = "high"


class Quality(StrEnum):
    """Output resolution; maps to CometAPI's ``videoType``."""

    SD = "480p"
    HD = "720p"

    @property
    def video_type(self) -> str:
        """Return the provider's model name for this quality."""
        return "vid_1.1_i2v_480" if self is Quality.SD else "vid_1.1_i2v_720"


class JobSource(StrEnum):
    """Where a job came from."""

    SLASH = "slash"
    CONTEXT_MENU = "context_menu"
    REACTION = "reaction"
    EXTEND = "extend"


class JobStatus(StrEnum):
    """Life cycle of a job.

    ``queued`` rows exist before the provider is called; ``submitting`` marks that a submit request
    is on the wire (so a crash there is detectable); ``submitted``/``running`` are tracked by the
    tracker; ``succeeded`` means the provider finished and the clips await delivery; ``delivered``,
    ``failed``, ``timed_out`` and ``cancelled`` (stopped by a member before any result; charged when
    the provider already had it, see ``Job.billed``) are final.
    """

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DELIVERED = "delivered"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Return True while the provider still has work to do for the job."""
        return self in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        """Return True when nothing more will happen to the job."""
        return self in FINAL_STATUSES


ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING})
FINAL_STATUSES = frozenset({JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED})


class FailureKind(StrEnum):
    """Why a job failed, so the surface can pick the right message."""

    MODERATION = "moderation"
    REFUSED = "refused"
    PROVIDER_FAILED = "provider_failed"
    NEEDS_INPUT = "needs_input"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    CONFIGURATION = "configuration"
    INTERRUPTED = "interrupted"
    DELIVERY = "delivery"
    INTERNAL = "internal"
    IMAGE = "image"  # the image failed when fetched and checked again before the submit
    NO_CAPACITY = "no_capacity"  # no provider account could take the job for longer than the bound


# Failures the provider itself reported: it did not bill the task, so the job's reservation is released.
PROVIDER_REPORTED = frozenset(
    {FailureKind.MODERATION, FailureKind.REFUSED, FailureKind.PROVIDER_FAILED, FailureKind.NEEDS_INPUT}
)


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """The video options a card and /jobs show: batch size, loop, raw style, an end frame."""

    clips: int = CLIPS_PER_JOB
    loop: bool = False
    raw: bool = False
    end_frame: bool = False


@dataclass(frozen=True, slots=True)
class NewJob:
    """What is known about a job before it is stored."""

    requester_id: int
    guild_id: int | None
    channel_id: int
    source: JobSource
    motion: Motion
    quality: Quality
    prompt: str
    image_url: str
    locale: str = "en-US"
    parent_job_id: int | None = None
    clip_index: int | None = None
    extension_count: int = 0
    source_message_id: int | None = None
    interaction_token: str | None = None
    token_expires_at: dt.datetime | None = None
    clips: int = CLIPS_PER_JOB
    loop: bool = False
    raw: bool = False
    end_image_url: str | None = None
    cost: int = 1  # daily-limit units the job holds (1 per job, or its clips), fixed at admission
    price: int = 0  # in millionths of the operator's currency (bot.budget.Money), fixed at admission
    attachment_size_limit: int | None = None  # bytes, from the interaction that made the job
    source_author_id: int | None = None  # who posted the animated image (reaction, message command)
    private: bool = False  # card and clips for the requester only (ephemeral, then by DM)
    webhook_only: bool = False  # started where the bot is not a member: the interaction webhook only


@dataclass(frozen=True, slots=True)
class Job:
    """A stored job, as the store returns it."""

    id: int
    requester_id: int
    guild_id: int | None
    channel_id: int
    source: JobSource
    status: JobStatus
    motion: Motion
    quality: Quality
    prompt: str
    image_url: str
    locale: str
    created_at: dt.datetime
    updated_at: dt.datetime
    progress: int = 0
    parent_job_id: int | None = None
    clip_index: int | None = None
    extension_count: int = 0
    provider_task_id: str | None = None
    clip_urls: tuple[str, ...] = ()
    source_message_id: int | None = None
    card_message_id: int | None = None
    interaction_token: str | None = field(default=None, repr=False)
    token_expires_at: dt.datetime | None = None
    error: str | None = None
    failure_kind: FailureKind | None = None
    submitted_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    final_shown_at: dt.datetime | None = None
    timed_out_at: dt.datetime | None = None
    clips: int = CLIPS_PER_JOB
    loop: bool = False
    raw: bool = False
    end_image_url: str | None = None
    cost: int = 1
    price: int = 0  # millionths of the operator's currency (bot.budget.Money)
    attachment_size_limit: int | None = None
    missing_clips: tuple[int, ...] = ()  # a delivered job's clips (0-based) that could not be posted
    # Bumped by every claim of the job's lease: a process's writes carry the token it claimed with.
    lease_token: int = 0
    # When the provider last answered a submit of this job with "no account instance" (code 3): such
    # a waiting job lets every other waiting job go first (bot.tracking.fair_queue).
    capacity_refused_at: dt.datetime | None = None
    # Who posted the image a reaction or "Animate image" job animated: they may delete the job too.
    source_author_id: int | None = None
    # The bot's other messages carrying the job (clip replies, /show re-posts): (channel id, message id).
    posts: tuple[tuple[int, int], ...] = ()
    # Its ephemeral, webhook and DM messages, which channel history never shows: where, which clips.
    private_posts: tuple[PrivatePost, ...] = ()
    deleted_at: dt.datetime | None = None  # deleted by a member: no path shows it again

    @property
    def deleted(self) -> bool:
        """Return True once a member deleted the job (its ledger row stays)."""
        return self.deleted_at is not None

    # Card and clips for the requester only (ephemeral while the token lives, by DM after), until
    # they post it to the channel; never shown publicly by any other path.
    private: bool = False
    # Started where the bot is not a member (a user install in another server, a group DM): its card
    # and clips go through the interaction's webhook alone while the token lives, by DM after.
    webhook_only: bool = False

    @property
    def reaches_through_webhook(self) -> bool:
        """Whether the card lives on the interaction webhook alone (private, or no bot where it runs)."""
        return self.private or self.webhook_only

    @property
    def options(self) -> VideoOptions:
        """Return the job's video options for display."""
        return VideoOptions(self.clips, self.loop, self.raw, self.end_image_url is not None)

    @property
    def arrived_late(self) -> bool:
        """Return True when the provider's success came after the bot had timed the job out."""
        return self.timed_out_at is not None and self.status in (JobStatus.SUCCEEDED, JobStatus.DELIVERED)

    @property
    def fully_delivered(self) -> bool:
        """Return True for a delivered job all of whose clips reached Discord."""
        return self.status is JobStatus.DELIVERED and not self.missing_clips

    @property
    def partly_delivered(self) -> bool:
        """Return True for a delivered job some of whose clips could not be posted."""
        return self.status is JobStatus.DELIVERED and bool(self.missing_clips)

    @property
    def charged_units(self) -> int:
        """Return the daily-limit units the job's delivered clips cost (see ``charged_units``)."""
        return charged_units(self.cost, len(self.clip_urls), len(self.clip_urls) - len(self.missing_clips))

    @property
    def billed(self) -> bool:
        """Return True when the provider had the job's task and bills it: the ledger charges the job.

        From the moment a submit went out (``submitted_at``; a job cancelled while its submit was on
        the wire has it too) whatever happens next (a cancel, a timeout, a delivery that failed),
        except a failure the provider reported itself (``PROVIDER_REPORTED``). A job refused, failed
        or cancelled before any submit went out is never billed.
        """
        if self.submitted_at is None:
            return False
        return not (self.status is JobStatus.FAILED and self.failure_kind in PROVIDER_REPORTED)

    @property
    def state_tag(self) -> str:
        """Return the correlation string sent to the provider as ``state``."""
        return state_tag(self.id)


def charged_units(cost: int, total_clips: int, delivered_clips: int) -> int:
    """Return what a job of ``cost`` units is charged when ``delivered_clips`` of its clips arrived.

    Only what the member holds is charged: a per-job cost (1) as soon as one clip arrived, a per-clip
    cost (the server counts clips) for each clip that arrived, rounded up; nothing without a clip.
    """
    if total_clips <= 0 or delivered_clips <= 0:
        return 0
    return min(cost, math.ceil(cost * min(delivered_clips, total_clips) / total_clips))


STATE_PREFIX = "motionbot:"


def state_tag(job_id: int) -> str:
    """Return the provider ``state`` value that identifies a job of ours."""
    return f"{STATE_PREFIX}{job_id}"
