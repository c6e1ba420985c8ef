"""The ``image`` of a video submit as the upstream reads it, and the image bytes the provider received.

midjourney-proxy (trueai-org, ``Midjourney.Base/Dto/DataUrl.cs``, ``DataUrl.Parse``) reads the field so:
a value starting with ``http`` (any case) is a link; anything else must match
``data:(?<type>.+?);base64,(?<data>.+)`` (searched, not anchored) or is taken whole as base64 of a PNG,
and is decoded with .NET's ``Convert.FromBase64String`` (whitespace ignored, standard alphabet, padding
required); a failure answers code 4 "base64格式错误" (``SubmitController.Video``). CometAPI documents the
same two forms: "public URL or base64 data URI" (shared/reference/cometapi.md §3.1).

The upstream then uploads decoded bytes to its own storage, or hands a link on to Midjourney, which
fetches it. The double does the same for links on this machine (127.0.0.1 or localhost), at submit
time, so a test sees the bytes a link served the provider; a link elsewhere is recorded, never fetched.
Request bodies over 30,000,000 bytes are refused with HTTP 413 (the upstream's ASP.NET Kestrel server,
whose default ``MaxRequestBodySize`` is 30,000,000 bytes; ``KESTREL_MAX_REQUEST_BODY_SIZE`` in its
``Program.cs``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

REQUEST_BODY_LIMIT = 30_000_000
_DATA_URL = re.compile(r"data:(?P<type>.+?);base64,(?P<data>.+)")
_WHITESPACE = re.compile(r"[ \t\r\n]")
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})
_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class ReceivedImage:
    """What the provider got as the first frame: a link (and what it served), or decoded bytes.

    ``data`` is None for a link off this machine (not fetched) or one that did not answer 200.
    """

    link: str | None
    mime: str | None
    data: bytes | None


def parse_image(value: str) -> ReceivedImage:
    """Read ``value`` as ``DataUrl.Parse`` does; raise ValueError where it throws ("base64格式错误")."""
    if value[:4].lower() == "http":
        return ReceivedImage(value, None, None)
    match = _DATA_URL.search(value)
    mime, data = (match.group("type"), match.group("data")) if match else ("image/png", value)
    try:
        return ReceivedImage(None, mime, base64.b64decode(_WHITESPACE.sub("", data), validate=True))
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from None


async def fetched(image: ReceivedImage) -> ReceivedImage:
    """Return ``image`` with the bytes its link serves, when the link is on this machine."""
    if image.link is None:
        return image
    try:
        url = URL(image.link)
        if url.host not in _LOOPBACK:
            return image
        async with aiohttp.ClientSession() as session, session.get(url, timeout=_TIMEOUT) as got:
            body = await got.read()
            return ReceivedImage(image.link, got.content_type, body if got.status == 200 else None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return image


async def received_for(body: dict[str, Any]) -> ReceivedImage | None:
    """Return the first frame a valid submit gives the provider (None for an extend: it has none)."""
    return None if body.get("action") == "extend" else await fetched(parse_image(str(body["image"])))


async def end_image_problem(url: str | None, fetches: list[str]) -> str | None:
    """Fetch an ``--end`` image like the upstream does (noted in ``fetches``); the fail reason if it can't."""
    if url is None:
        return None
    fetches.append(url)
    try:
        async with aiohttp.ClientSession() as session, session.get(url, timeout=_TIMEOUT) as got:
            body = await got.read()
            fine = got.status == 200 and got.content_type.startswith("image/") and bool(body)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        fine = False
    return None if fine else f"Invalid end image: {url} could not be fetched"
