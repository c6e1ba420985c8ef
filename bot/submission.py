"""Turning a stored job into a provider request, sending it, and naming a refusal's kind."""

from __future__ import annotations

from bot.cometapi import CometAPIClient
from bot.cometapi_types import (
    AuthenticationError,
    CometAPIError,
    ExtendRequest,
    InvalidRequestError,
    ModerationError,
    RequestRefusedError,
    SubmitResult,
    VideoRequest,
)
from bot.models import FailureKind, Job
from bot.prompt_flags import provider_flags, provider_prompt
from bot.store import JobStore

ProviderRequest = VideoRequest | ExtendRequest


async def build_request(store: JobStore, job: Job) -> ProviderRequest:
    """Return the request for a job: a new video, or an extend of its parent's clip.

    The prompt is the member's words (flags already taken out by the intake) and the flags the bot
    builds from the job's validated options; nothing typed is sent as a flag.

    Raises LookupError when the clip to extend is gone (parent missing or never submitted).
    """
    flags = provider_flags(clips=job.clips, raw=job.raw, loop=job.loop, end_image_url=job.end_image_url)
    if job.parent_job_id is None:
        return VideoRequest(
            image=job.image_url,
            motion=job.motion,
            prompt=provider_prompt(job.prompt, flags),
            quality=job.quality,
            state=job.state_tag,
        )
    parent = await store.get_job(job.parent_job_id)
    if parent is None or parent.provider_task_id is None or job.clip_index is None:
        raise LookupError("the clip to extend is no longer available")
    return ExtendRequest(
        parent_task_id=parent.provider_task_id,
        clip_index=job.clip_index,
        motion=job.motion,
        prompt=provider_prompt(job.prompt, flags),
        state=job.state_tag,
    )


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
