"""A rejected provider key: the one-line diagnosis, and the memory that the operator was told.

The operator is told once per key, across restarts and across processes sharing a store: the store's
meta table keeps a short salted hash of the key that was reported (never the key), claimed before the
alert is sent, so a restart (or a second process) with the same rejected key stays quiet while a new
key that is rejected too is reported again.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from pydantic import SecretStr

ALERT_META_KEY = "key_rejected_alert"
FINGERPRINT_SALT = b"motionbot:key-rejected-alert:"
FINGERPRINT_LENGTH = 16


class MetaStore(Protocol):
    """The part of the job store the alert memory needs (``bot.store.JobStore`` fits)."""

    async def get_meta(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None."""

    async def change_meta(self, key: str, value: str) -> bool:
        """Store ``value`` under ``key``; False when it already was the value (atomic)."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""


def rejected_key_fix(base_url: str) -> str:
    """Return what is wrong and the fix, as the doctor prints it."""
    return f"{base_url} rejected COMETAPI_KEY; copy a valid key from the CometAPI console"


def rejected_key_problem(base_url: str) -> str:
    """Return the one line health shows while the running bot's key is rejected."""
    return f"CometAPI key rejected: {rejected_key_fix(base_url)}, then restart Motionbot"


def key_fingerprint(key: SecretStr) -> str:
    """Return a short, non-reversible fingerprint of ``key`` (a salted SHA-256 prefix)."""
    digest = hashlib.sha256(FINGERPRINT_SALT + key.get_secret_value().encode()).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


class KeyAlertMemory:
    """Remembers, in the store, for which key the operator was last told that it is rejected."""

    def __init__(self, store: MetaStore, key: SecretStr) -> None:
        self._store = store
        self._fingerprint = key_fingerprint(key)

    async def claim(self) -> bool:
        """Take the alert for this key; False when it was already sent (by this or another process)."""
        return await self._store.change_meta(ALERT_META_KEY, self._fingerprint)

    async def give_back(self) -> None:
        """Forget the claim after the alert could not be sent, so a later start tries again."""
        await self._store.set_meta(ALERT_META_KEY, "")
