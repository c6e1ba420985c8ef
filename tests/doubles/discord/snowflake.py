"""Time-based Discord snowflakes, so ids carry real creation times as Discord's do."""

from __future__ import annotations

import datetime

DISCORD_EPOCH_MS = 1_420_070_400_000
_WORKER_ID = 1
_PROCESS_ID = 0


def utcnow() -> datetime.datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.datetime.now(datetime.UTC)


def snowflake_time(snowflake: int) -> datetime.datetime:
    """Return the creation time encoded in ``snowflake``."""
    millis = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC)


def iso(moment: datetime.datetime) -> str:
    """Format ``moment`` the way Discord formats timestamps."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


class SnowflakeFactory:
    """Hands out unique snowflakes whose timestamp part is the moment they were made."""

    def __init__(self) -> None:
        self._increment = 0
        self._last = 0

    def next(self, at: datetime.datetime | None = None) -> int:
        """Return a new snowflake; ``at`` back-dates it (used to forge old interactions)."""
        moment = at or utcnow()
        millis = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
        self._increment = (self._increment + 1) & 0xFFF
        candidate = (millis << 22) | (_WORKER_ID << 17) | (_PROCESS_ID << 12) | self._increment
        if at is not None:
            return candidate
        self._last = max(candidate, self._last + 1)
        return self._last

    def next_in_shard(self, shard_id: int, count: int) -> int:
        """Return a new snowflake that Discord's formula ``(id >> 22) % count`` puts on ``shard_id``.

        Its timestamp is moved forward by at most ``count - 1`` milliseconds.
        """
        base = self.next()
        millis = base >> 22
        millis += (shard_id - millis) % count
        self._last = max(self._last, (millis << 22) | (base & 0x3FFFFF))
        return self._last
