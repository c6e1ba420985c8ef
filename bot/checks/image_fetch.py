"""Downloading an input image from Discord and checking its bytes.

Only Discord's hosts are fetched (``ImageHostPolicy``, on every redirect hop, followed by hand), the
body is read up to one byte past the size limit, and the bytes pass ``validate_image_bytes`` (type,
size, sides, completeness). A failure is a ``Refusal`` the surface can show. The intake checks every
new job's images here; ``bot.checks.provider_images`` checks an image again here before sending its bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
from yarl import URL

from bot.checks.images import ImageInfo, ImageRejected, validate_image_bytes
from bot.checks.records import ImageRef, Refusal
from bot.image_hosts import MAX_REDIRECTS, REDIRECT_STATUSES, HostRefused, ImageHostPolicy

log = logging.getLogger(__name__)

IMAGE_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """Image bytes that passed every check, and what the check found (type, sides, size)."""

    data: bytes
    info: ImageInfo


class ImageFetcher:
    """Downloads input images from Discord's hosts only and checks them."""

    def __init__(self, http: aiohttp.ClientSession, hosts: ImageHostPolicy, max_bytes: int) -> None:
        self._http = http
        self._hosts = hosts
        self.max_bytes = max_bytes

    def check_host(self, url: str) -> URL:
        """Return ``url`` parsed if input images may be downloaded from it, else refuse."""
        try:
            return self._hosts.check(url)
        except HostRefused as exc:
            log.info("refused an image URL off the allowed hosts (%s)", exc)
            raise Refusal("error.image_host_not_allowed") from None

    async def checked(self, image: ImageRef) -> CheckedImage:
        """Download ``image`` and check its bytes; raise ``Refusal`` saying what is wrong."""
        data, served_type = await self.download(image.url)
        try:
            info = validate_image_bytes(data, image.content_type or served_type, max_bytes=self.max_bytes)
        except ImageRejected as exc:
            raise Refusal.wrap(exc) from None
        return CheckedImage(data, info)

    async def download(self, address: str) -> tuple[bytes, str | None]:
        """Return the body (capped) and its Content-Type, following a few redirects by hand."""
        url = self.check_host(address)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with self._http.get(url, timeout=IMAGE_TIMEOUT, allow_redirects=False) as response:
                    if response.status in REDIRECT_STATUSES:
                        url = self._next_hop(url, response.headers.get("Location"))
                        continue
                    if response.status != 200:
                        raise Refusal("error.image_download_failed")
                    return await _read_capped(response, self.max_bytes), response.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError):
            raise Refusal("error.image_download_failed") from None
        log.info("refused an image after more than %s redirects", MAX_REDIRECTS)
        raise Refusal("error.image_download_failed")

    def _next_hop(self, current: URL, location: str | None) -> URL:
        try:
            return self._hosts.next_hop(current, location)
        except HostRefused as exc:
            log.info("refused an image redirect off the allowed hosts (%s)", exc)
            raise Refusal("error.image_host_not_allowed") from None


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Read a body, stopping one byte past ``limit`` so an oversized image is refused, not buffered."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)
