"""The permissions the bot needs in a channel to post a job's card and clips there."""

from __future__ import annotations

import discord

REQUIRED_CHANNEL_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True, read_message_history=True
)


def missing_channel_permissions(permissions: discord.Permissions) -> bool:
    """Return True when the bot cannot post cards and clips with ``permissions``."""
    return not permissions.is_superset(REQUIRED_CHANNEL_PERMISSIONS)
