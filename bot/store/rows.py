"""Conversions between ``bot.models`` records and store rows (both engines).

Parameters are built once for both engines as plain Python values: aware UTC datetimes, ``dt.date``
usage days, bools, ints and JSON text. PostgreSQL binds them as they are (timestamptz, date, boolean);
the SQLite engine turns datetimes into ISO-8601 text in UTC with microseconds and an explicit
``+00:00`` offset (``encode_time``): every value has the same width, so text order is time order and
indexes on them sort correctly. Rows of either engine are read with the same functions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from bot.models import (
    ConsentMode,
    FailureKind,
    GuildSettings,
    Job,
    JobSource,
    JobStatus,
    Motion,
    NewJob,
    PostPlace,
    PrivatePost,
    Quality,
    RoleAllowance,
)
from bot.store.job_rules import DUPLICATE_WINDOW

# guild_id stored in the usage table for direct messages (Discord never issues snowflake 0).
DIRECT_MESSAGES_GUILD = 0


def same_source_params(
    requester_id: int, source_message_id: int, source: JobSource, now: dt.datetime
) -> tuple[object, ...]:
    """Return the parameters of ``SELECT_SAME_SOURCE_JOB``: the window ends ``now``."""
    return (source_message_id, requester_id, source.value, utc(now - DUPLICATE_WINDOW))


class Row(Protocol):
    """A result row of either engine: ``sqlite3.Row`` and ``asyncpg.Record`` are read by column name."""

    def __getitem__(self, key: str | int, /) -> Any: ...


def utc(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` in UTC; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store only accepts timezone-aware datetimes")
    return moment.astimezone(dt.UTC)


def optional_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """Return ``utc(moment)``, or None for None."""
    return None if moment is None else utc(moment)


def encode_time(moment: dt.datetime) -> str:
    """Return ``moment`` as fixed-width ISO-8601 UTC text (SQLite's form); naive datetimes are refused."""
    return utc(moment).isoformat(timespec="microseconds")


def decode_time(value: str | dt.datetime) -> dt.datetime:
    """Return the aware UTC datetime stored as ``value`` (SQLite text, or a PostgreSQL timestamptz)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"stored timestamp {value!r} has no offset")
    return moment.astimezone(dt.UTC)


def decode_optional_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """Return ``decode_time(value)``, or None for NULL."""
    return None if value is None else decode_time(value)


def day_key(moment: dt.datetime) -> dt.date:
    """Return the UTC calendar day of ``moment`` (the usage table key; ``YYYY-MM-DD`` text in SQLite)."""
    return utc(moment).date()


def usage_guild(guild_id: int | None) -> int:
    """Return the usage-table guild key: the guild id, or 0 for direct messages."""
    return DIRECT_MESSAGES_GUILD if guild_id is None else guild_id


def encode_clip_urls(urls: Sequence[str]) -> str:
    """Return the clip URLs as a JSON array, in order; refuse a bare string or an empty list."""
    if isinstance(urls, str) or not urls:
        raise ValueError("clip_urls must be a non-empty sequence of URL strings")
    if not all(isinstance(url, str) and url for url in urls):
        raise ValueError("every clip URL must be a non-empty string")
    return json.dumps(list(urls))


def decode_clip_urls(text: str) -> tuple[str, ...]:
    """Return the clip URLs stored as a JSON array."""
    return tuple(str(url) for url in json.loads(text))


def encode_ids(ids: Iterable[int]) -> str:
    """Return a set of snowflakes as a sorted JSON array."""
    return json.dumps(sorted(int(value) for value in ids))


def decode_ids(text: str) -> frozenset[int]:
    """Return the set of snowflakes stored as a JSON array."""
    return frozenset(int(value) for value in json.loads(text))


def new_job_params(new: NewJob, now: dt.datetime, lease: tuple[str, dt.datetime]) -> tuple[object, ...]:
    """Return the parameters of ``INSERT_JOB`` for ``new`` created at ``now`` under ``lease``."""
    stamp = utc(now)
    return (
        new.requester_id,
        new.guild_id,
        new.channel_id,
        new.source.value,
        JobStatus.QUEUED.value,
        new.motion.value,
        new.quality.value,
        new.prompt,
        new.image_url,
        new.locale,
        new.parent_job_id,
        new.clip_index,
        new.extension_count,
        new.source_message_id,
        new.interaction_token,
        optional_utc(new.token_expires_at),
        stamp,
        stamp,
        new.clips,
        new.loop,
        new.raw,
        new.end_image_url,
        new.cost,
        new.price,
        new.attachment_size_limit,
        lease[0],
        utc(lease[1]),
        new.source_author_id,
        new.private,
        new.webhook_only,
    )


def job_from_row(row: Row) -> Job:
    """Return the frozen ``Job`` for a full ``jobs`` row."""
    failure_kind = row["failure_kind"]
    return Job(
        id=row["id"],
        requester_id=row["requester_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        source=JobSource(row["source"]),
        status=JobStatus(row["status"]),
        motion=Motion(row["motion"]),
        quality=Quality(row["quality"]),
        prompt=row["prompt"],
        image_url=row["image_url"],
        locale=row["locale"],
        created_at=decode_time(row["created_at"]),
        updated_at=decode_time(row["updated_at"]),
        progress=row["progress"],
        parent_job_id=row["parent_job_id"],
        clip_index=row["clip_index"],
        extension_count=row["extension_count"],
        provider_task_id=row["provider_task_id"],
        clip_urls=decode_clip_urls(row["clip_urls"]),
        source_message_id=row["source_message_id"],
        card_message_id=row["card_message_id"],
        interaction_token=row["interaction_token"],
        token_expires_at=decode_optional_time(row["token_expires_at"]),
        error=row["error"],
        failure_kind=None if failure_kind is None else FailureKind(failure_kind),
        submitted_at=decode_optional_time(row["submitted_at"]),
        finished_at=decode_optional_time(row["finished_at"]),
        delivered_at=decode_optional_time(row["delivered_at"]),
        final_shown_at=decode_optional_time(row["final_shown_at"]),
        timed_out_at=decode_optional_time(row["timed_out_at"]),
        clips=row["clips"],
        loop=bool(row["loop"]),
        raw=bool(row["raw"]),
        end_image_url=row["end_image_url"],
        cost=row["cost"],
        price=row["price"],
        attachment_size_limit=row["attachment_size_limit"],
        missing_clips=decode_clip_indexes(row["missing_clips"]),
        lease_token=row["lease_token"],
        capacity_refused_at=decode_optional_time(row["capacity_refused_at"]),
        source_author_id=row["source_author_id"],
        posts=decode_posts(row["posts"]),
        private_posts=decode_private_posts(row["private_posts"]),
        deleted_at=decode_optional_time(row["deleted_at"]),
        private=bool(row["private"]),
        webhook_only=bool(row["webhook_only"]),
    )


def encode_clip_indexes(indexes: Iterable[int]) -> str:
    """Return 0-based clip indexes as a sorted JSON array without repeats."""
    return json.dumps(sorted({int(index) for index in indexes}))


def decode_clip_indexes(text: str) -> tuple[int, ...]:
    """Return the clip indexes stored as a JSON array."""
    return tuple(int(index) for index in json.loads(text))


def encode_posts(posts: Iterable[tuple[int, int]]) -> str:
    """Return the bot's posts of a job as a JSON array of [channel id, message id] pairs."""
    return json.dumps([[int(channel), int(message)] for channel, message in posts])


def decode_posts(text: str) -> tuple[tuple[int, int], ...]:
    """Return the (channel id, message id) pairs stored as a JSON array."""
    return tuple((int(channel), int(message)) for channel, message in json.loads(text))


def private_post_entry(post: PrivatePost) -> list[object]:
    """Return the JSON entry of a private post.

    [channel id, message id, place, [clip indexes], token or null, token's end (ISO) or null].
    """
    expires = None if post.token_expires_at is None else encode_time(post.token_expires_at)
    return [post.channel_id, post.message_id, post.place.value, sorted(post.clips), post.token, expires]


def encode_private_posts(posts: Iterable[PrivatePost]) -> str:
    """Return a job's private posts (ephemeral, webhook, DM) as a JSON array."""
    return json.dumps([private_post_entry(post) for post in posts])


def decode_private_posts(text: str) -> tuple[PrivatePost, ...]:
    """Return the private posts stored as a JSON array."""
    return tuple(
        PrivatePost(
            PostPlace(place),
            int(channel),
            int(message),
            tuple(int(i) for i in clips),
            token,
            decode_optional_time(expires),
        )
        for channel, message, place, clips, token, expires in json.loads(text)
    )


def job_copy_params(job: Job) -> tuple[object, ...]:
    """Return the parameters of ``COPY_JOB`` (PostgreSQL): every column of ``job``, its id included."""
    return (
        job.id,
        job.requester_id,
        job.guild_id,
        job.channel_id,
        job.source.value,
        job.status.value,
        job.motion.value,
        job.quality.value,
        job.prompt,
        job.image_url,
        job.locale,
        utc(job.created_at),
        utc(job.updated_at),
        job.progress,
        job.parent_job_id,
        job.clip_index,
        job.extension_count,
        job.provider_task_id,
        json.dumps(list(job.clip_urls)),
        job.source_message_id,
        job.card_message_id,
        job.interaction_token,
        optional_utc(job.token_expires_at),
        job.error,
        None if job.failure_kind is None else job.failure_kind.value,
        optional_utc(job.submitted_at),
        optional_utc(job.finished_at),
        optional_utc(job.delivered_at),
        optional_utc(job.final_shown_at),
        optional_utc(job.timed_out_at),
        job.clips,
        job.loop,
        job.raw,
        job.end_image_url,
        job.cost,
        job.attachment_size_limit,
        encode_clip_indexes(job.missing_clips),
        job.lease_token,
        optional_utc(job.capacity_refused_at),
        job.price,
        job.source_author_id,
        encode_posts(job.posts),
        optional_utc(job.deleted_at),
        job.private,
        job.webhook_only,
        encode_private_posts(job.private_posts),
    )


def guild_settings_params(settings: GuildSettings, now: dt.datetime) -> tuple[object, ...]:
    """Return the parameters of ``UPSERT_GUILD_SETTINGS`` for ``settings``."""
    return (
        settings.guild_id,
        encode_ids(settings.allowed_channel_ids),
        settings.reactions_enabled,
        settings.reaction_emoji,
        encode_ids(settings.reaction_channel_ids),
        settings.buttons_everyone,
        None if settings.default_motion is None else settings.default_motion.value,
        None if settings.default_quality is None else settings.default_quality.value,
        settings.max_concurrent_per_user,
        settings.max_daily_per_user,
        settings.max_daily_per_guild,
        utc(now),
        settings.default_clips,
        settings.count_clips,
        settings.all_channels,
        settings.budget_server_day,
        settings.budget_server_month,
        settings.budget_person_day,
        settings.budget_person_month,
        settings.consent.value,
        settings.private_default,
    )


def guild_settings_from_row(row: Row) -> GuildSettings:
    """Return the frozen ``GuildSettings`` for a ``guild_settings`` row."""
    reactions_enabled = row["reactions_enabled"]
    default_motion = row["default_motion"]
    default_quality = row["default_quality"]
    return GuildSettings(
        guild_id=row["guild_id"],
        allowed_channel_ids=decode_ids(row["allowed_channel_ids"]),
        reactions_enabled=None if reactions_enabled is None else bool(reactions_enabled),
        reaction_emoji=row["reaction_emoji"],
        reaction_channel_ids=decode_ids(row["reaction_channel_ids"]),
        buttons_everyone=bool(row["buttons_everyone"]),
        default_motion=None if default_motion is None else Motion(default_motion),
        default_quality=None if default_quality is None else Quality(default_quality),
        max_concurrent_per_user=row["max_concurrent_per_user"],
        max_daily_per_user=row["max_daily_per_user"],
        max_daily_per_guild=row["max_daily_per_guild"],
        default_clips=row["default_clips"],
        count_clips=bool(row["count_clips"]),
        all_channels=bool(row["all_channels"]),
        budget_server_day=row["budget_server_day"],
        budget_server_month=row["budget_server_month"],
        budget_person_day=row["budget_person_day"],
        budget_person_month=row["budget_person_month"],
        consent=ConsentMode(row["consent"]),
        private_default=bool(row["private_default"]),
    )


def role_allowance_params(allowance: RoleAllowance, now: dt.datetime) -> tuple[object, ...]:
    """Return the parameters of ``UPSERT_ROLE_ALLOWANCE`` for ``allowance``."""
    return (allowance.guild_id, allowance.role_id, allowance.day, allowance.month, utc(now))


def role_allowance_from_row(row: Row) -> RoleAllowance:
    """Return the frozen ``RoleAllowance`` for a ``role_allowances`` row."""
    return RoleAllowance(guild_id=row["guild_id"], role_id=row["role_id"], day=row["day"], month=row["month"])
