"""Which servers Motionbot registered its commands in, per application, kept in the store's meta table.

``sync`` registers the commands globally, or only in ``DEV_GUILD_ID`` while developing. A server copy
left behind after ``DEV_GUILD_ID`` is cleared or changed makes members see every command twice, so each
sync records the servers it used and empties the ones it no longer wants. The record is keyed by
application id: another token's application shares nothing with the previous one.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

log = logging.getLogger(__name__)

GUILDS_KEY = "command_guilds"


class MetaStore(Protocol):
    """The part of the store this module uses (``bot.store.JobStore`` fits)."""

    async def get_meta(self, key: str) -> str | None:
        """Return a meta value."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store a meta value."""


async def synced_guilds(store: MetaStore, application_id: int) -> set[int]:
    """Return the servers where ``application_id``'s commands were registered by an earlier sync."""
    record = await _read(store)
    return {int(guild) for guild in record.get(str(application_id), [])}


async def remember_guilds(store: MetaStore, application_id: int, guilds: set[int]) -> None:
    """Record ``guilds`` as the servers holding ``application_id``'s commands (other applications kept)."""
    record = await _read(store)
    if guilds:
        record[str(application_id)] = [str(guild) for guild in sorted(guilds)]
    else:
        record.pop(str(application_id), None)
    await store.set_meta(GUILDS_KEY, json.dumps(record, sort_keys=True))


async def _read(store: MetaStore) -> dict[str, list[str]]:
    text = await store.get_meta(GUILDS_KEY)
    if not text:
        return {}
    try:
        record = json.loads(text)
    except ValueError:
        log.warning("the stored list of command servers is unreadable; starting a new one")
        return {}
    if not isinstance(record, dict):
        return {}
    return {
        str(app): [str(guild) for guild in guilds]
        for app, guilds in record.items()
        if isinstance(guilds, list)
    }
