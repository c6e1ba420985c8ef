"""Driver methods for command permissions: an admin in Server Settings → Integrations, and roles."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from .command_permissions import commands_in
from .commands import CHAT_INPUT
from .events import GatewayEvents
from .model import Guild, Role, User
from .rest_command_permissions import edit_permissions
from .state import DoubleState


class CommandPermissionsDriver:
    """Mixed into ``DiscordDouble``: change command permissions the way an admin does."""

    state: DoubleState
    events: GatewayEvents
    guild: Guild

    async def set_command_permissions(
        self,
        command: str | None,
        permissions: Sequence[dict[str, Any]],
        *,
        kind: int = CHAT_INPUT,
        guild: Guild | None = None,
    ) -> dict[str, Any]:
        """Overwrite the permissions of command ``command`` (of type ``kind``) in a server, as an admin
        does in Server Settings → Integrations; ``None`` edits the application's own (all commands).

        Build ``permissions`` with ``entry(role|user|channel, allowed)``, ``everyone(guild, allowed)``
        and ``all_channels(guild, allowed)``; ``[]`` removes them. Fires the gateway event.
        """
        guild = guild or self.guild
        target_id = self.state.application_id
        if command is not None:
            scope = commands_in(self.state, guild.id)
            found = next((c for c in scope if (c.type, c.name) == (kind, command)), None)
            if found is None:
                raise LookupError(f"the bot registered no type-{kind} command named {command!r}")
            target_id = found.id
        return await edit_permissions(self.state, self.events, guild, target_id, list(permissions))

    def bearer_token(self, user: User) -> str:
        """An OAuth2 access token of ``user`` with ``applications.commands.permissions.update``."""
        token = secrets.token_urlsafe(24)
        self.state.command_permissions.bearer_tokens[token] = user.id
        return token

    async def add_role(
        self, name: str, *, members: Sequence[User] = (), permissions: int = 0, guild: Guild | None = None
    ) -> Role:
        """Create a role (GUILD_ROLE_CREATE) and give it to ``members``."""
        guild = guild or self.guild
        role = self.state.add_role(guild, name, permissions)
        await self.events.role(guild, role, created=True)
        for user in members:
            member = guild.members[user.id]
            member.role_ids.append(role.id)
            await self.events.member(member, added=False)
        return role
