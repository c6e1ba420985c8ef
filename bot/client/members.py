"""What the bot knows of the member behind an interaction or a reaction, as plain ids for the core."""

from __future__ import annotations

import discord


def member_role_ids(user: discord.abc.User | None) -> frozenset[int]:
    """Return the ids of the roles ``user`` holds in the server (none outside one, @everyone left out).

    Discord sends a member's role ids with every interaction and reaction in a server; the role
    objects they name come from the server's cache (GUILD_CREATE, GUILD_ROLE_*), which the guilds
    intent keeps whole.
    """
    if not isinstance(user, discord.Member):
        return frozenset()
    return frozenset(role.id for role in user.roles if not role.is_default())
