"""Turning a stored job into a provider request, sending it, and naming a refusal's kind."""

from __future__ import annotations

from bot.checks import (
    FlagRejected,
    ImageNotSendable,
    ProviderImages,
    provider_flags,
    provider_prompt,
    provider_words,
)
from bot.models import FailureKind, Job
from bot.provider import (
    AuthenticationError,
    CometAPIClient,
    CometAPIError,
    ExtendTaskRequest,
    InvalidRequestError,
    ModerationError,
    RequestRefusedError,
    SubmitResult,
    VideoRequest,
)
from bot.store import JobStore

ProviderRequest = VideoRequest | ExtendTaskRequest


class NotSendable(Exception):  # noqa: N818 - an expected outcome: the job fails, nothing is sent
    """A job that must not reach the provider; ``kind`` and the message say why."""

    def __init__(self, kind: FailureKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


async def build_request(store: JobStore, job: Job, images: ProviderImages | None = None) -> ProviderRequest:
    """Return the request for a job: a new video, or an extend of its parent's clip.

    The prompt is the member's words (folded, flags taken out by the intake, checked again here) and
    the flags the bot builds from the job's validated options; nothing typed is sent as a flag. The
    image is what ``images`` gives: the checked bytes, or an immutable CDN link (``None``: the stored
    link, for tests of the tracker alone).

    Raises NotSendable: the clip to extend is gone, the words no longer pass the checks, or the image
    cannot be fetched and checked again.
    """
    flags = provider_flags(clips=job.clips, raw=job.raw, loop=job.loop, end_image_url=job.end_image_url)
    prompt = provider_prompt(_checked_words(job), flags)
    if job.parent_job_id is None:
        return VideoRequest(
            image=await _image(job, images),
            motion=job.motion,
            prompt=prompt,
            quality=job.quality,
            state=job.state_tag,
        )
    parent = await store.get_job(job.parent_job_id)
    if parent is None or parent.provider_task_id is None or job.clip_index is None:
        raise NotSendable(FailureKind.REFUSED, "the clip to extend is no longer available")
    return ExtendTaskRequest(
        parent_task_id=parent.provider_task_id,
        clip_index=job.clip_index,
        motion=job.motion,
        prompt=prompt,
        state=job.state_tag,
    )


def _checked_words(job: Job) -> str:
    try:
        return provider_words(job.prompt)
    except FlagRejected as exc:
        reason = f"the prompt did not pass the checks again ({exc.key})"
        raise NotSendable(FailureKind.REFUSED, reason) from None


async def _image(job: Job, images: ProviderImages | None) -> str:
    if images is None:
        return job.image_url
    try:
        return await images.image_for(job)
    except ImageNotSendable as exc:
        raise NotSendable(FailureKind.IMAGE, str(exc)) from None


async def send_request(client: CometAPIClient, request: ProviderRequest) -> SubmitResult:
    """Submit a video or an extend through the provider client."""
    if isinstance(request, VideoRequest):
        return await client.submit_video(request)
    return await client.extend_video(request)


def failure_kind(exc: CometAPIError) -> FailureKind:
    """Map a provider exception to the failure kind shown to users."""
    if isinstance(exc, ModerationError):
        return FailureKind.MODERATION
    if isinstance(exc, AuthenticationError):
        return FailureKind.CONFIGURATION
    if isinstance(exc, RequestRefusedError | InvalidRequestError):
        return FailureKind.REFUSED
    return FailureKind.UNAVAILABLE
