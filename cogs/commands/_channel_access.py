"""Moved to ``cogs.channel_access`` (the "Post to channel" button needs it too); kept for ``_delete``."""

from cogs.channel_access import member_access

__all__ = ["member_access"]
