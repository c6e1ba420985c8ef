"""Serialisation of the double's entities into the JSON shapes discord.py 2.7.1 parses."""

from __future__ import annotations

from typing import Any

from .model import Channel, Guild, Member, Message, Role, StoredFile, User
from .snowflake import iso, snowflake_time
from .unfurl import image_dimensions, render_media, unreferenced


def user_json(user: User) -> dict[str, Any]:
    """A full user object (discord.py indexes id, username, discriminator and avatar)."""
    payload: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "public_flags": 0,
    }
    if user.bot:
        payload["bot"] = True
    return payload


def role_json(role: Role) -> dict[str, Any]:
    """A role object (discord-api-docs, permissions.mdx, "Role Object"; ``colors`` supersedes ``color``)."""
    return {
        "id": str(role.id),
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": role.managed,
        "mentionable": False,
        "flags": 0,
    }


def member_json(member: Member, *, permissions: int | None = None, with_user: bool = True) -> dict[str, Any]:
    """A guild member; ``flags`` is required by discord.py since 2.2."""
    payload: dict[str, Any] = {
        "roles": [str(r) for r in member.role_ids],
        "nick": member.nick,
        "avatar": None,
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        payload["user"] = user_json(member.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def channel_json(channel: Channel, *, permissions: int | None = None) -> dict[str, Any]:
    """A guild text channel or DM channel object."""
    payload: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "last_message_id": _opt_id(channel.last_message_id),
        "flags": 0,
    }
    if channel.is_dm:
        payload["recipients"] = [user_json(channel.recipient)] if channel.recipient else []
    elif channel.is_group_dm:
        payload.update(name=channel.name or None, recipients=[user_json(u) for u in channel.recipients])
    elif channel.is_thread:
        payload.update(_thread_fields(channel))
    else:
        payload.update(_guild_channel_fields(channel))
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def _guild_channel_fields(channel: Channel) -> dict[str, Any]:
    return {
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "parent_id": None,
        "topic": channel.topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites.values()
        ],
    }


def _thread_fields(thread: Channel) -> dict[str, Any]:
    """A thread channel's own fields (docs: resources/channel.mdx, "Example Thread Channel" and the
    "Thread Metadata Object"); it has no overwrites or position, its parent's apply."""
    return {
        "guild_id": str(thread.guild_id),
        "name": thread.name,
        "parent_id": str(thread.parent_id),
        "owner_id": str(thread.owner_id),
        "rate_limit_per_user": 0,
        "message_count": len(thread.messages),
        "total_message_sent": len(thread.messages),
        "member_count": len(thread.thread_member_ids),
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso(snowflake_time(thread.id)),
            "locked": False,
            "invitable": False,
            "create_timestamp": iso(snowflake_time(thread.id)),
        },
    }


def attachment_json(stored: StoredFile) -> dict[str, Any]:
    """An attachment object with the double's absolute CDN URL."""
    payload: dict[str, Any] = {
        "id": str(stored.id),
        "filename": stored.filename,
        "size": stored.size,
        "url": stored.url,
        "proxy_url": stored.url,
        "content_type": stored.content_type,
    }
    dimensions = image_dimensions(stored.data)
    if dimensions is not None:
        # Discord reports width and height for every image it can read, and only for those.
        payload["width"], payload["height"] = dimensions
    if stored.ephemeral:
        payload["ephemeral"] = True
    if stored.description is not None:
        payload["description"] = stored.description
    return payload


def message_json(
    message: Message, *, me: int, hide_content: bool = False, referenced: Message | None = None
) -> dict[str, Any]:
    """A message object; ``hide_content`` blanks what the MESSAGE_CONTENT intent protects.

    Files its components or embeds use are resolved there and left out of ``attachments`` (``unfurl``).
    """
    media = render_media(message.components, message.embeds, message.attachments)
    attachments = unreferenced(message.attachments, media.used)
    payload: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "type": message.type,
        "author": user_json(message.author),
        "content": "" if hide_content else message.content,
        "embeds": [] if hide_content else media.embeds,
        "components": [] if hide_content else media.components,
        "attachments": [] if hide_content else [attachment_json(a) for a in attachments],
        "mentions": [user_json(u) for u in message.mentions],
        "mention_roles": [str(role) for role in message.mention_roles],
        "mention_everyone": message.mention_everyone,
        "pinned": False,
        "tts": message.tts,
        "flags": message.flags,
        "timestamp": iso(message.created_at),
        "edited_timestamp": iso(message.edited_at) if message.edited_at else None,
        "reactions": _reactions_json(message, me),
    }
    payload.update(_optional_message_fields(message, referenced, me))
    return payload


def _optional_message_fields(message: Message, referenced: Message | None, me: int) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if message.webhook_id is not None:
        extra["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        extra["application_id"] = str(message.application_id)
    if message.interaction_metadata is not None:
        extra["interaction_metadata"] = message.interaction_metadata
    if message.interaction_legacy is not None:
        extra["interaction"] = message.interaction_legacy
    if message.reference is not None:
        extra["message_reference"] = message.reference
        extra["referenced_message"] = message_json(referenced, me=me) if referenced else None
    return extra


def _reactions_json(message: Message, me: int) -> list[dict[str, Any]]:
    return [
        {
            "emoji": emoji_json(emoji),
            "count": len(users),
            "count_details": {"burst": 0, "normal": len(users)},
            "me": me in users,
            "me_burst": False,
            "burst_colors": [],
        }
        for emoji, users in message.reactions.items()
        if users
    ]


def emoji_json(emoji: str) -> dict[str, Any]:
    """A partial emoji from ``"🎬"`` or ``"name:id"``."""
    name, _, emoji_id = emoji.partition(":")
    return {"id": emoji_id or None, "name": name, "animated": False}


def guild_create_json(
    guild: Guild, me: Member, members: list[Member], channel_payloads: list[dict[str, Any]]
) -> dict[str, Any]:
    """The GUILD_CREATE payload (everything discord.py's Guild, channels, roles and members read)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "unavailable": False,
        "owner_id": str(guild.owner_id),
        "preferred_locale": guild.preferred_locale,
        "premium_tier": guild.premium_tier,
        "premium_subscription_count": 0,
        "member_count": len(guild.members),
        "large": False,
        "features": [],
        "icon": None,
        "banner": None,
        "splash": None,
        "description": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "afk_timeout": 300,
        "afk_channel_id": None,
        "system_channel_id": None,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "application_id": None,
        "max_members": 500000,
        "joined_at": iso(me.joined_at),
        "roles": [role_json(r) for r in guild.roles.values()],
        "members": [member_json(m) for m in members],
        "channels": channel_payloads,
        "threads": [channel_json(thread) for thread in guild.threads.values()],  # the active ones
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)
