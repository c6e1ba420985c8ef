"""Gateway dispatches for what happens in the double's world, filtered by the session's intents."""

from __future__ import annotations

from typing import Any

from .gateway import GatewayEvent, GatewayHub
from .gateway_payloads import guild_create_payload
from .messages import MessageService
from .model import Channel, Guild, Intent, Member, Message, Role, User
from .payloads import channel_json, emoji_json, guild_create_json, member_json, role_json, user_json
from .state import DoubleState

# Keys only GUILD_CREATE carries; GUILD_UPDATE sends the guild object without them.
GUILD_CREATE_ONLY = (
    "unavailable",
    "member_count",
    "large",
    "joined_at",
    "members",
    "channels",
    "threads",
    "voice_states",
    "presences",
    "stage_instances",
    "guild_scheduled_events",
    "soundboard_sounds",
)


class GatewayEvents:
    """Builds and dispatches MESSAGE_*, MESSAGE_REACTION_*, INTERACTION_CREATE and guild updates."""

    def __init__(self, hub: GatewayHub, state: DoubleState, messages: MessageService) -> None:
        self.hub = hub
        self.state = state
        self.messages = messages

    def _message_intent(self, message: Message) -> int:
        channel = self.state.channels[message.channel_id]
        return Intent.DIRECT_MESSAGES if channel.is_dm else Intent.GUILD_MESSAGES

    def _reaction_intent(self, message: Message) -> int:
        channel = self.state.channels[message.channel_id]
        return Intent.DIRECT_MESSAGE_REACTIONS if channel.is_dm else Intent.GUILD_MESSAGE_REACTIONS

    def _message_payload(self, message: Message, intents: int) -> dict[str, Any]:
        payload = self.messages.render(message, privileged=bool(intents & Intent.MESSAGE_CONTENT))
        if message.guild_id is not None:
            payload["guild_id"] = str(message.guild_id)
            member = self.state.guilds[message.guild_id].members.get(message.author.id)
            if member is not None and message.webhook_id is None:
                payload["member"] = member_json(member, with_user=False)
        return payload

    def _unseen(self, message: Message) -> bool:
        """Whether the bot gets no event for ``message``: ephemeral, or where the bot is not a member.

        A server that never installed the app sends its bot nothing, and bots are never in group DMs
        (docs: events/gateway.mdx, guild events go to the guilds a bot is in).
        """
        channel = self.state.channels.get(message.channel_id)
        guild = self.state.guilds.get(message.guild_id) if message.guild_id is not None else None
        outside = (guild is not None and not self.state.bot_in(guild)) or bool(
            channel and channel.is_group_dm
        )
        return message.ephemeral or outside

    async def message_create(self, message: Message) -> GatewayEvent | None:
        """MESSAGE_CREATE (never for ephemeral messages; needs GUILD_MESSAGES or DIRECT_MESSAGES)."""
        if self._unseen(message):
            return None
        return await self.hub.dispatch(
            "MESSAGE_CREATE",
            lambda intents: self._message_payload(message, intents),
            guild_id=message.guild_id,
            intent=self._message_intent(message),
        )

    async def message_update(self, message: Message) -> GatewayEvent | None:
        """MESSAGE_UPDATE with the full message."""
        if self._unseen(message):
            return None
        return await self.hub.dispatch(
            "MESSAGE_UPDATE",
            lambda intents: self._message_payload(message, intents),
            guild_id=message.guild_id,
            intent=self._message_intent(message),
        )

    async def message_delete(self, message: Message) -> GatewayEvent | None:
        """MESSAGE_DELETE."""
        if self._unseen(message):
            return None
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        return await self.hub.dispatch(
            "MESSAGE_DELETE", lambda _: data, guild_id=message.guild_id, intent=self._message_intent(message)
        )

    async def message_delete_bulk(self, messages: list[Message]) -> GatewayEvent | None:
        """MESSAGE_DELETE_BULK: ``ids``, ``channel_id``, ``guild_id`` (docs: gateway-events.mdx,
        "Message Delete Bulk"); one channel's messages, under the same intent as MESSAGE_DELETE."""
        first = messages[0]
        if self._unseen(first):
            return None
        data: dict[str, Any] = {
            "ids": [str(message.id) for message in messages],
            "channel_id": str(first.channel_id),
        }
        if first.guild_id is not None:
            data["guild_id"] = str(first.guild_id)
        return await self.hub.dispatch(
            "MESSAGE_DELETE_BULK", lambda _: data, guild_id=first.guild_id, intent=self._message_intent(first)
        )

    async def reaction(self, message: Message, user: User, emoji: str, *, added: bool) -> GatewayEvent | None:
        """MESSAGE_REACTION_ADD / _REMOVE (only with the reactions intent for that channel kind)."""
        if self._unseen(message) and not message.ephemeral:
            return None
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": emoji_json(emoji),
            "burst": False,
            "type": 0,
        }
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        if added:
            data.update(self._reaction_extras(message, user))
        name = "MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE"
        return await self.hub.dispatch(
            name, lambda _: data, guild_id=message.guild_id, intent=self._reaction_intent(message)
        )

    def _reaction_extras(self, message: Message, user: User) -> dict[str, Any]:
        extras: dict[str, Any] = {"message_author_id": str(message.author.id), "burst_colors": []}
        if message.guild_id is not None:
            member = self.state.guilds[message.guild_id].members[user.id]
            extras["member"] = member_json(member)
        return extras

    async def interaction_create(self, payload: dict[str, Any]) -> GatewayEvent | None:
        """INTERACTION_CREATE (needs no intent), over the connection of its guild's shard."""
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        return await self.hub.dispatch("INTERACTION_CREATE", lambda _: payload, guild_id=guild_id)

    async def role(self, guild: Guild, role: Role, *, created: bool) -> None:
        """GUILD_ROLE_CREATE / _UPDATE (GUILDS intent)."""
        name = "GUILD_ROLE_CREATE" if created else "GUILD_ROLE_UPDATE"
        data = {"guild_id": str(guild.id), "role": role_json(role)}
        await self.hub.dispatch(name, lambda _: data, guild_id=guild.id, intent=Intent.GUILDS)

    async def channel(self, channel: Channel, *, created: bool) -> None:
        """CHANNEL_CREATE / _UPDATE for guild channels (GUILDS intent)."""
        name = "CHANNEL_CREATE" if created else "CHANNEL_UPDATE"
        data = channel_json(channel)
        await self.hub.dispatch(name, lambda _: data, guild_id=channel.guild_id, intent=Intent.GUILDS)

    async def thread_create(self, thread: Channel) -> None:
        """THREAD_CREATE with the new thread's channel object (GUILDS intent; gateway-events.mdx)."""
        data = {**channel_json(thread), "newly_created": True}
        guild_id = thread.guild_id
        await self.hub.dispatch("THREAD_CREATE", lambda _: data, guild_id=guild_id, intent=Intent.GUILDS)

    async def member(self, member: Member, *, added: bool) -> None:
        """GUILD_MEMBER_ADD / _UPDATE (GUILD_MEMBERS intent)."""
        name = "GUILD_MEMBER_ADD" if added else "GUILD_MEMBER_UPDATE"
        data = {**member_json(member), "guild_id": str(member.guild_id)}
        await self.hub.dispatch(name, lambda _: data, guild_id=member.guild_id, intent=Intent.GUILD_MEMBERS)

    async def member_removed(self, guild_id: int, user: User) -> None:
        """GUILD_MEMBER_REMOVE: ``guild_id`` and the ``user`` who left (GUILD_MEMBERS intent; gateway
        events docs, "Guild Member Remove")."""
        data = {"guild_id": str(guild_id), "user": user_json(user)}
        await self.hub.dispatch(
            "GUILD_MEMBER_REMOVE", lambda _: data, guild_id=guild_id, intent=Intent.GUILD_MEMBERS
        )

    async def guild_create(self, guild: Guild) -> None:
        """GUILD_CREATE for a guild the bot just joined (GUILDS intent)."""
        await self.hub.dispatch(
            "GUILD_CREATE",
            lambda intents: guild_create_payload(self.state, guild, intents),
            guild_id=guild.id,
            intent=Intent.GUILDS,
        )

    async def guild_update(self, guild: Guild) -> None:
        """GUILD_UPDATE with the guild object, e.g. after its preferred locale changed (GUILDS intent)."""
        data = guild_create_json(guild, guild.members[self.state.bot_user.id], [], [])
        for key in GUILD_CREATE_ONLY:
            data.pop(key, None)
        await self.hub.dispatch("GUILD_UPDATE", lambda _: data, guild_id=guild.id, intent=Intent.GUILDS)
