"""The image a job sends the provider: the bytes the bot checked, not a link whose content can change.

An attachment on Discord's CDN (``/attachments/…``, ``/ephemeral-attachments/…``) never changes once
posted, so the provider may fetch it by its link. Anything else (an embed's image through Discord's media
proxy, whose origin can serve the provider other bytes than it served the bot, and every other kind of
source) is sent as a base64 data URI of checked bytes, which CometAPI accepts in place of a link
(shared/reference/cometapi.md §3.1, "public URL or base64 data URI").

Which bytes: the ones the intake checked, kept in memory from the check to the submit (bounded; the
oldest are let go first); after a restart, in another process, or once let go, the image is fetched
again from Discord and checked again at submit time, and those bytes are sent. Nothing is stored.

Size: the upstream uploads the decoded image as a Discord attachment of its own account (cometapi.md §6,
"upstream uploads base64 to its own storage/Discord first"), whose default limit is 10 MiB (Discord's
"Uploading Files" reference); the encoded body stays far under the upstream's 30 MB request limit
(Kestrel's default, midjourney-proxy Program.cs). Bigger checked bytes are re-encoded (JPEG, made from the
checked bytes, quality then size stepped down) until they fit; the link is never sent instead.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
from io import BytesIO

from PIL import Image
from yarl import URL

from bot.checks.image_fetch import CheckedImage, ImageFetcher
from bot.checks.images import JPEG, MIN_SIDE, to_data_uri
from bot.checks.records import ImageRef, Refusal
from bot.models import Job

log = logging.getLogger(__name__)

PROVIDER_IMAGE_BYTES = 10 * 1024 * 1024
MEMORY_BYTES = 64 * 1024 * 1024
_ATTACHMENT_PATH = re.compile(r"(?:^|/)(?:ephemeral-)?attachments/\d+/\d+/[^/]+$")
_QUALITIES = (90, 75)
_SHRINK = 0.75


class ImageNotSendable(Exception):  # noqa: N818 - an expected outcome, like Refusal
    """A job's image could not be fetched or checked again, or made to fit: nothing may be sent."""


def sent_by_link(url: str) -> bool:
    """Return True for an attachment on Discord's CDN: immutable, so the provider may fetch the link."""
    try:
        path = URL(url).path
    except (ValueError, TypeError):
        return False
    return bool(_ATTACHMENT_PATH.search(path))


class CheckedMemory:
    """Checked image bytes by job id, at most ``budget`` bytes in all; the oldest are let go first."""

    def __init__(self, budget: int = MEMORY_BYTES) -> None:
        self._budget = budget
        self._images: collections.OrderedDict[int, CheckedImage] = collections.OrderedDict()
        self._size = 0

    def keep(self, job_id: int, image: CheckedImage) -> None:
        """Remember ``image`` for ``job_id`` (not at all when it alone is over the budget)."""
        if len(image.data) > self._budget:
            return
        self._images[job_id] = image
        self._size += len(image.data)
        while self._size > self._budget:
            _, oldest = self._images.popitem(last=False)
            self._size -= len(oldest.data)

    def recall(self, job_id: int) -> CheckedImage | None:
        """Return the bytes kept for ``job_id``, if still kept."""
        return self._images.get(job_id)


class ProviderImages:
    """Turns a job's image into what the provider gets: its CDN link, or a data URI of checked bytes."""

    def __init__(self, fetcher: ImageFetcher, *, limit: int = PROVIDER_IMAGE_BYTES) -> None:
        self.fetcher = fetcher
        self._limit = limit
        self._memory = CheckedMemory()

    def keep(self, job_id: int, url: str, image: CheckedImage) -> None:
        """Remember the bytes the intake checked for a new job (only those sent as bytes)."""
        if not sent_by_link(url):
            self._memory.keep(job_id, image)

    async def image_for(self, job: Job) -> str:
        """Return the ``image`` field for ``job``'s submit; raise ``ImageNotSendable`` if there is none."""
        if sent_by_link(job.image_url):
            return job.image_url
        checked = self._memory.recall(job.id) or await self._check_again(job)
        if len(checked.data) <= self._limit:
            return to_data_uri(checked.data, checked.info.mime)
        log.info("job %s: its image of %s bytes re-encoded to fit", job.id, len(checked.data))
        return to_data_uri(await asyncio.to_thread(fit_under, checked, self._limit), JPEG)

    async def _check_again(self, job: Job) -> CheckedImage:
        try:
            return await self.fetcher.checked(ImageRef(job.image_url, None, 1, None, None))
        except Refusal as refusal:
            log.info("job %s: its image failed when fetched and checked again (%s)", job.id, refusal.key)
            reason = f"the image could not be fetched and checked again ({refusal.key})"
            raise ImageNotSendable(reason) from None


def fit_under(image: CheckedImage, limit: int) -> bytes:
    """Return ``image`` re-encoded as a JPEG of at most ``limit`` bytes (quality, then size, stepped down).

    The sides were checked (at most ``MAX_SIDE``), so decoding the pixels is bounded.
    """
    with Image.open(BytesIO(image.data), formats=["PNG", "JPEG", "WEBP"]) as opened:
        picture = _flattened(opened)
    while True:
        for quality in _QUALITIES:
            encoded = BytesIO()
            picture.save(encoded, "JPEG", quality=quality, optimize=True)
            if encoded.tell() <= limit:
                return encoded.getvalue()
        width, height = (round(side * _SHRINK) for side in picture.size)
        if min(width, height) < MIN_SIDE:
            raise ImageNotSendable("the image could not be made small enough for the provider")
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)


def _flattened(opened: Image.Image) -> Image.Image:
    """Return the first frame as RGB, transparent parts on white (JPEG has no transparency)."""
    rgba = opened.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
