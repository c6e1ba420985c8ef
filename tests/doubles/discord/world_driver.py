"""Driver methods that shape the world and act as users: members, permissions, posts, reactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .events import GatewayEvents
from .mentions import MentionRules
from .model import Channel, Guild, Member, Message, Role, StoredFile, User
from .options import FileSpec
from .state import DoubleState
from .world import DefaultWorld, build_default_world

REPLY = 19


class WorldDriver:
    """The default world (``guild``, ``general``, ``media``, ``alice``, ``bob``, ``mod``, ``admin``)
    plus helpers to change it; changes are dispatched when the bot is connected."""

    def __init__(
        self, state: DoubleState, events: GatewayEvents, *, preferred_locale: str, premium_tier: int
    ) -> None:
        self.state = state
        self.events = events
        self.world: DefaultWorld = build_default_world(
            state, preferred_locale=preferred_locale, premium_tier=premium_tier
        )
        self.guild: Guild = self.world.guild
        self.general: Channel = self.world.general
        self.media: Channel = self.world.media
        self.owner, self.alice, self.bob = self.world.owner, self.world.alice, self.world.bob
        self.mod, self.admin = self.world.mod, self.world.admin

    @property
    def bot_user(self) -> User:
        """The bot's user."""
        return self.state.bot_user

    def member(self, user: User, guild: Guild | None = None) -> Member:
        """The membership of ``user`` in ``guild`` (default guild when omitted)."""
        return (guild or self.guild).members[user.id]

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and ``user``."""
        return self.state.dm_channel(user)

    async def add_user(
        self, username: str, *, permissions: int | None = None, guild: Guild | None = None
    ) -> User:
        """Create a user who joins ``guild``; ``permissions`` gives them a personal role."""
        guild = guild or self.guild
        user = self.state.add_user(username)
        member = self.state.add_member(guild, user)
        await self.events.member(member, added=True)
        if permissions is not None:
            await self.set_permissions(user, permissions, guild=guild)
        return user

    async def add_guild(
        self,
        name: str,
        *,
        channels: Sequence[str] = ("general",),
        shard: tuple[int, int] | None = None,
        members: Sequence[User] = (),
        with_bot: bool = True,
    ) -> Guild:
        """The bot joins another guild (owned by a new user) with text ``channels`` (GUILD_CREATE).

        ``shard`` (id, count) gives it an id on that shard; ``members`` join it too. ``with_bot=False``:
        a server that never installed the app (no GUILD_CREATE; the bot's token reaches nothing there).
        """
        owner = self.state.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = self.state.add_guild(
            name,
            owner=owner,
            preferred_locale=self.guild.preferred_locale,
            premium_tier=0,
            shard=shard,
            with_bot=with_bot,
        )
        for channel in channels:
            self.state.add_channel(guild, channel)
        for user in members:
            self.state.add_member(guild, user)
        if with_bot:
            await self.events.guild_create(guild)
        return guild

    def add_group_dm(self, owner: User, members: Sequence[User]) -> Channel:
        """A group DM of ``owner`` and ``members``; the bot is never in one (not async: no event)."""
        return self.state.add_group_dm(owner, list(members))

    def install_for_user(self, user: User) -> None:
        """``user`` adds the app to their account (the "Add to My Apps" install link; no event)."""
        self.state.user_installs.add(user.id)

    async def set_permissions(self, user: User, permissions: int, *, guild: Guild | None = None) -> Role:
        """Give ``user`` exactly ``permissions`` on top of @everyone, through a personal role."""
        guild = guild or self.guild
        member = guild.members[user.id]
        name = f"{user.username}-permissions"
        role = next((guild.roles[r] for r in member.role_ids if guild.roles[r].name == name), None)
        if role is None:
            role = self.state.add_role(guild, name, permissions)
            member.role_ids.append(role.id)
            await self.events.role(guild, role, created=True)
            await self.events.member(member, added=False)
        else:
            role.permissions = permissions
            await self.events.role(guild, role, created=False)
        return role

    async def leave_guild(self, user: User, *, guild: Guild | None = None) -> None:
        """``user`` leaves a server: Get Guild Member answers 404/10007 for them from now on."""
        guild = guild or self.guild
        del guild.members[user.id]
        await self.events.member_removed(guild.id, user)

    async def set_preferred_locale(self, locale: str, guild: Guild | None = None) -> None:
        """Change a guild's preferred locale (GUILD_UPDATE, and later interactions' ``guild_locale``)."""
        guild = guild or self.guild
        guild.preferred_locale = locale
        await self.events.guild_update(guild)

    async def add_channel(self, name: str, *, guild: Guild | None = None) -> Channel:
        """Create a text channel."""
        channel = self.state.add_channel(guild or self.guild, name)
        await self.events.channel(channel, created=True)
        return channel

    async def add_thread(
        self, parent: Channel, name: str, *, owner: User, private: bool = False, members: Sequence[User] = ()
    ) -> Channel:
        """``owner`` starts a thread in ``parent``; ``members`` join it (THREAD_CREATE)."""
        thread = self.state.add_thread(parent, name, owner=owner, private=private, members=members)
        await self.events.thread_create(thread)
        return thread

    async def set_bot_permissions(self, channel: Channel, *, allow: int = 0, deny: int = 0) -> None:
        """Overwrite the bot's permissions in ``channel`` (e.g. ``deny=Perm.SEND_MESSAGES``)."""
        self.state.set_bot_overwrite(channel, allow=allow, deny=deny)
        await self.events.channel(channel, created=False)

    async def set_channel_permissions(
        self, channel: Channel, user: User, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Overwrite a member's permissions in ``channel`` (e.g. ``deny=Perm.VIEW_CHANNEL``)."""
        self.state.set_member_overwrite(channel, user, allow=allow, deny=deny)
        await self.events.channel(channel, created=False)

    async def post_message(
        self,
        user: User,
        channel: Channel,
        content: str = "",
        *,
        attachments: Sequence[FileSpec] = (),
        embeds: Sequence[dict[str, Any]] = (),
        reply_to: Message | None = None,
    ) -> Message:
        """``user`` posts a message (MESSAGE_CREATE, content hidden without the MESSAGE_CONTENT intent)."""
        message = Message(
            id=self.state.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=user,
            content=content,
            embeds=list(embeds),
            attachments=[self._store(channel, spec) for spec in attachments],
        )
        if reply_to is not None:
            message.type = REPLY
            message.reference = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
            }
        # A member's message has no allowed_mentions: everything it names is mentioned.
        self.state.apply_mentions(message, MentionRules.default(webhook=False))
        self.state.add_message(channel, message)
        await self.events.message_create(message)
        return message

    def _store(self, channel: Channel, spec: FileSpec) -> StoredFile:
        content_type = spec[2] if len(spec) == 3 else None
        return self.state.store_file(channel.id, spec[0], spec[1], content_type)

    async def add_reaction(self, user: User, message: Message, emoji: str) -> None:
        """``user`` reacts with ``emoji`` (MESSAGE_REACTION_ADD only with the reactions intent)."""
        users = message.reactions.setdefault(emoji, [])
        if user.id not in users:
            users.append(user.id)
            self.state.notifier.notify()
            await self.events.reaction(message, user, emoji, added=True)

    async def remove_reaction(self, user: User, message: Message, emoji: str) -> None:
        """``user`` removes their ``emoji`` reaction."""
        users = message.reactions.get(emoji, [])
        if user.id in users:
            users.remove(user.id)
            self.state.notifier.notify()
            await self.events.reaction(message, user, emoji, added=False)

    async def delete_messages(self, messages: Sequence[Message]) -> None:
        """A moderator deletes several messages of one channel at once (MESSAGE_DELETE_BULK)."""
        if len({message.channel_id for message in messages}) != 1:
            raise ValueError("a bulk delete removes messages of one channel")
        for message in messages:
            message.deleted = True
        self.state.notifier.notify()
        await self.events.message_delete_bulk([m for m in messages if not m.ephemeral])

    async def delete_message(self, message: Message) -> None:
        """A moderator deletes ``message`` (MESSAGE_DELETE); later edits or replies to it get 404/10008."""
        message.deleted = True
        self.state.notifier.notify()
        await self.events.message_delete(message)
