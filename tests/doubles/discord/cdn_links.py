"""Signed attachment links, as Discord's CDN hands them out and checks them.

Since December 2023 every attachment URL carries ``ex`` (when it expires, a hex Unix time), ``is``
(when it was issued) and ``hm`` (a signature of both); a URL without them, with a wrong signature or
past ``ex`` is answered ``404 This content is no longer available.`` (docs:developers/reference.mdx,
"Signed Attachment CDN URLs"; Discord's announcement of 2023-10, links valid for 24 hours). Each read
of a message (REST, gateway) carries links issued at that moment, which is how a client gets a fresh
one for an old attachment: read the message again.

The double's clock for links starts at the real time and moves only when a test advances it
(``advance``), so the links a test sees are stable until it makes them expire.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from .snowflake import utcnow

LINK_LIFETIME = 24 * 60 * 60
NO_LONGER_AVAILABLE = "This content is no longer available."


class CdnLinks:
    """Signs attachment URLs at the double's link clock, and checks the links the CDN is asked for."""

    def __init__(self) -> None:
        self.now = int(utcnow().timestamp())
        self._key = secrets.token_bytes(16)

    def sign(self, file_id: int, base_url: str) -> str:
        """Return ``base_url`` with the query Discord adds: issued now, valid for 24 hours."""
        issued = self.now
        expires = issued + LINK_LIFETIME
        return f"{base_url}?ex={expires:x}&is={issued:x}&hm={self._signature(file_id, expires, issued)}&"

    def valid(self, file_id: int, query: Mapping[str, str]) -> bool:
        """Return True when ``query`` is a link the double signed for ``file_id`` and not expired yet."""
        try:
            expires, issued = int(query["ex"], 16), int(query["is"], 16)
        except (KeyError, ValueError):
            return False
        signed = hmac.compare_digest(query.get("hm", ""), self._signature(file_id, expires, issued))
        return signed and self.now < expires

    def advance(self, seconds: int) -> None:
        """Move the link clock on: links issued before expire once it passes their ``ex``."""
        self.now += seconds

    def _signature(self, file_id: int, expires: int, issued: int) -> str:
        message = f"{file_id}:{expires}:{issued}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
