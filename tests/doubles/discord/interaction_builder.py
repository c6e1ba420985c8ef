"""INTERACTION_CREATE payloads with every key discord.py 2.7.1 requires."""

from __future__ import annotations

import base64
import datetime
import secrets
from typing import Any

from .installs import (
    USER_INSTALL_PERMISSIONS,
    authorizing_owners,
    context_of,
    user_install_only,
)
from .interactions import InteractionHandle
from .messages import MessageService
from .model import Channel, Message, User
from .payloads import channel_json, member_json, user_json
from .snowflake import utcnow
from .state import DoubleState


class InteractionBuilder:
    """Creates interaction handles: time-based ids (optionally back-dated), tokens, full payloads."""

    def __init__(self, state: DoubleState, messages: MessageService) -> None:
        self.state = state
        self.messages = messages

    def build(
        self,
        kind: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        *,
        locale: str,
        age: datetime.timedelta | None,
        size_limit: int | None,
        message: Message | None = None,
        owners: dict[str, str] | None = None,
    ) -> InteractionHandle:
        """A handle whose payload is ready to dispatch (``owners``: its authorizing installs)."""
        created = utcnow() - (age or datetime.timedelta())
        ident = self.state.ids.next(at=created if age else None)
        token = base64.urlsafe_b64encode(f"interaction:{ident}:{secrets.token_hex(24)}".encode()).decode()
        limit = size_limit or self._default_limit(channel)
        owners = owners if owners is not None else authorizing_owners(self.state, user, channel)
        payload = self._payload(kind, ident, token, user, channel, data, locale, limit)
        payload.update(self._where(user, channel, owners))
        if message is not None:
            payload["message"] = self.messages.render(message, privileged=True)
        handle = InteractionHandle(
            ident, token, kind, user, channel, payload, created, limit, source_message=message
        )
        handle.user_install_only = user_install_only(owners)
        self.state.add_interaction(handle)
        return handle

    def _default_limit(self, channel: Channel) -> int:
        guild = self.state.guild_of(channel)
        return guild.upload_limit if guild else 10 * 1024 * 1024

    def _payload(
        self,
        kind: int,
        ident: int,
        token: str,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        locale: str,
        limit: int,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(ident),
            "application_id": str(self.state.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel_json(channel, permissions=self.state.permissions_in(channel, user)),
            "locale": locale,
            "app_permissions": str(self.state.bot_permissions(channel)),
            "entitlements": [],
            "attachment_size_limit": limit,
        }
        return payload

    def _where(self, user: User, channel: Channel, owners: dict[str, str]) -> dict[str, Any]:
        where: dict[str, Any] = {"context": context_of(channel), "authorizing_integration_owners": owners}
        if user_install_only(owners):
            # What an app installed only to the user may do there (the tutorial's sample value).
            where["app_permissions"] = str(USER_INSTALL_PERMISSIONS)
        guild = self.state.guild_of(channel)
        if guild is None:
            return {**where, "user": user_json(user)}
        permissions = self.state.permissions_in(channel, user)
        return {
            **where,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
            "member": member_json(guild.members[user.id], permissions=permissions),
            "guild_locale": guild.preferred_locale,
        }
