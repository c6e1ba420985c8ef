"""The double's world: the bot, users, guilds, channels, files, commands and interactions."""

from __future__ import annotations

import datetime
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from .cdn_links import CdnLinks
from .command_permissions import CommandPermissionBook
from .interactions import InteractionHandle
from .mentions import MentionRules, mentionable_text, resolve_mentions
from .model import (
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Overwrite,
    Perm,
    PortalSettings,
    RegisteredCommand,
    Role,
    StoredFile,
    User,
)
from .notify import ChangeNotifier
from .snowflake import SnowflakeFactory, utcnow

CommandKey = tuple[int, str]


@dataclass
class CommandScope:
    """The commands of one scope (global, or one guild), keyed by (type, name)."""

    commands: dict[CommandKey, RegisteredCommand] = field(default_factory=dict)


class DoubleState:
    """Everything the double knows; REST handlers, the gateway and the driver all share it."""

    def __init__(self, *, portal: PortalSettings, bot_name: str) -> None:
        self.ids = SnowflakeFactory()
        self.notifier = ChangeNotifier()
        self.portal = portal
        self.cdn_base = ""
        self.cdn_links = CdnLinks()
        self.bot_user = User(self.ids.next(), bot_name.lower(), None, bot=True)
        self.owner_user = User(self.ids.next(), "app-owner", "App Owner")
        self.users: dict[int, User] = {u.id: u for u in (self.bot_user, self.owner_user)}
        # Set by ``transfer_to_team``: the application then belongs to a team and its owner is this user.
        self.team_id: int | None = None
        self.team_owner: User | None = None
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.files: dict[int, StoredFile] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self.interactions_by_token: dict[str, InteractionHandle] = {}
        self.global_commands = CommandScope()
        self.guild_commands: dict[int, CommandScope] = {}
        self.command_permissions = CommandPermissionBook()
        # Users who installed the app to their account (docs: resources/application.mdx, USER_INSTALL).
        self.user_installs: set[int] = set()

    @property
    def application_id(self) -> int:
        """The application id (equal to the bot user's id, as on Discord)."""
        return self.bot_user.id

    def transfer_to_team(self, owner: User) -> None:
        """Make the application belong to a team owned by ``owner`` (as the developer portal can)."""
        self.team_id = self.team_id or self.ids.next()
        self.team_owner = owner

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        """Create a user known to the double."""
        user = User(self.ids.next(), username, global_name or username.title(), bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: User,
        preferred_locale: str,
        premium_tier: int,
        shard: tuple[int, int] | None = None,
        with_bot: bool = True,
    ) -> Guild:
        """Create a guild with @everyone and the bot's managed role, the bot and the owner as members.

        ``shard`` (id, count) picks an id that Discord's formula routes to that shard. ``with_bot=False``:
        a server that never installed the app (no bot member, no managed role), reachable only by
        members who installed it to their account.
        """
        guild_id = self.ids.next() if shard is None else self.ids.next_in_shard(*shard)
        guild = Guild(guild_id, name, owner.id, preferred_locale, premium_tier)
        guild.roles[guild.id] = Role(guild.id, "@everyone", Perm.EVERYONE_DEFAULT)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        if not with_bot:
            return guild
        bot_role = Role(self.ids.next(), self.bot_user.username, Perm.BOT_DEFAULT, position=1, managed=True)
        guild.roles[bot_role.id] = bot_role
        self.add_member(guild, self.bot_user, role_ids=[bot_role.id])
        return guild

    def bot_in(self, guild: Guild) -> bool:
        """Whether the bot is a member of ``guild`` (the app is installed there)."""
        return self.bot_user.id in guild.members

    def add_group_dm(self, owner: User, members: list[User]) -> Channel:
        """A group DM of ``owner`` and ``members`` (no bot: bots cannot be added to group DMs)."""
        channel = Channel(self.ids.next(), "", type=ChannelType.GROUP_DM, recipients=[owner, *members])
        channel.owner_id = owner.id
        self.channels[channel.id] = channel
        return channel

    def add_role(self, guild: Guild, name: str, permissions: int) -> Role:
        """Create a role in ``guild``."""
        role = Role(self.ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, *, role_ids: list[int] | None = None) -> Member:
        """Add ``user`` to ``guild``."""
        member = Member(user, guild.id, list(role_ids or []))
        guild.members[user.id] = member
        return member

    def add_channel(self, guild: Guild, name: str, *, topic: str | None = None) -> Channel:
        """Create a text channel in ``guild``."""
        channel = Channel(self.ids.next(), name, guild_id=guild.id, position=len(guild.channels), topic=topic)
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self, parent: Channel, name: str, *, owner: User, private: bool, members: Sequence[User] = ()
    ) -> Channel:
        """Start a thread in ``parent`` (its owner and ``members`` have joined it)."""
        assert parent.guild_id is not None, "threads live in guild channels"
        kind = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        thread = Channel(self.ids.next(), name, type=kind, guild_id=parent.guild_id, parent_id=parent.id)
        thread.owner_id = owner.id
        thread.thread_member_ids = {owner.id, *(user.id for user in members)}
        self.guilds[parent.guild_id].threads[thread.id] = thread
        self.channels[thread.id] = thread
        return thread

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        for channel in self.channels.values():
            if channel.is_dm and channel.recipient is user:
                return channel
        channel = Channel(self.ids.next(), "", type=ChannelType.DM, recipient=user)
        self.channels[channel.id] = channel
        return channel

    def set_bot_overwrite(self, channel: Channel, *, allow: int = 0, deny: int = 0) -> None:
        """Set the bot member's permission overwrite in ``channel``."""
        self.set_member_overwrite(channel, self.bot_user, allow=allow, deny=deny)

    def set_member_overwrite(self, channel: Channel, user: User, *, allow: int = 0, deny: int = 0) -> None:
        """Set a member's permission overwrite (type 1) in ``channel``."""
        channel.overwrites[user.id] = Overwrite(user.id, 1, allow, deny)

    def guild_of(self, channel: Channel) -> Guild | None:
        """The guild ``channel`` belongs to (None for DMs)."""
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    def member_of(self, guild: Guild, user: User) -> Member:
        """The membership of ``user`` in ``guild`` (KeyError if not a member)."""
        return guild.members[user.id]

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in ``channel`` (DMs allow everything a DM can do)."""
        return self.permissions_in(channel, self.bot_user)

    def permissions_in(self, channel: Channel, user: User) -> int:
        """Permissions of ``user`` in ``channel``."""
        guild = self.guild_of(channel)
        if channel.is_group_dm:
            return Perm.BOT_DEFAULT if user in channel.recipients else 0
        if guild is None:
            return Perm.BOT_DEFAULT
        member = guild.members.get(user.id)
        # Not a member (the bot in a server that never installed it): no access at all (403/50001).
        return 0 if member is None else guild.channel_permissions(member, channel)

    def store_file(
        self,
        channel_id: int,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        ephemeral: bool = False,
        description: str | None = None,
    ) -> StoredFile:
        """Keep uploaded bytes and give them a CDN URL on the double (signed at each read, ``cdn_links``)."""
        file_id = self.ids.next()
        guessed = mimetypes.guess_type(filename)[0]
        stored = StoredFile(
            file_id,
            channel_id,
            filename,
            data,
            guessed or content_type or "application/octet-stream",
            self._cdn_url(channel_id, file_id, filename, ephemeral=ephemeral),
            ephemeral=ephemeral,
            description=description,
            links=self.cdn_links,
        )
        self.files[file_id] = stored
        return stored

    def _cdn_url(self, channel_id: int, file_id: int, filename: str, *, ephemeral: bool) -> str:
        kind = "ephemeral-attachments" if ephemeral else "attachments"
        return f"{self.cdn_base}/{kind}/{channel_id}/{file_id}/{quote(filename)}"

    def add_message(self, channel: Channel, message: Message) -> Message:
        """Store a new message (its mentions already applied, see ``apply_mentions``) and wake waiters."""
        message.snapshot()
        channel.messages[message.id] = message
        self.messages[message.id] = message
        self.notifier.notify()
        return message

    def apply_mentions(self, message: Message, rules: MentionRules) -> None:
        """Set whom ``message`` mentions: its content and text displays under ``rules`` (``mentions``)."""
        channel = self.channels[message.channel_id]
        guild = self.guild_of(channel)
        author_may = bool(self.permissions_in(channel, message.author) & Perm.MENTION_EVERYONE)
        replied = None
        if message.reference is not None:
            target = self.messages.get(int(message.reference["message_id"]))
            replied = target.author if target is not None else None
        found = resolve_mentions(
            mentionable_text(message.content, message.components),
            rules,
            known_users=self.users,
            guild_roles=set(guild.roles) - {guild.id} if guild is not None else set(),
            may_mention_everyone=guild is not None and author_may,
            replied_author=replied,
        )
        message.mentions, message.mention_roles = found.users, found.roles
        message.mention_everyone = found.everyone

    def content_visible(self, message: Message, *, privileged: bool) -> bool:
        """Whether the bot may see the message's content (MESSAGE_CONTENT rules and exemptions)."""
        if privileged or message.author.id == self.bot_user.id:
            return True
        channel = self.channels.get(message.channel_id)
        return (channel is not None and channel.is_dm) or self.bot_user in message.mentions

    def command_scope(self, guild_id: int | None) -> CommandScope:
        """The command scope for ``guild_id`` (global when None)."""
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(guild_id, CommandScope())

    def commands_seen_in(self, guild_id: int) -> list[tuple[int, str]]:
        """The (type, name) of every command a member of ``guild_id`` sees: the server's, then global.

        Discord lists both scopes side by side, so a name in both shows twice in the picker.
        """
        scopes = (self.command_scope(guild_id), self.global_commands)
        return [key for scope in scopes for key in scope.commands]

    def find_command(self, name: str, kind: int, guild_id: int | None) -> RegisteredCommand | None:
        """A command by default name and type: the guild's first, then global (as Discord resolves)."""
        if guild_id is not None:
            found = self.command_scope(guild_id).commands.get((kind, name))
            if found is not None:
                return found
        return self.global_commands.commands.get((kind, name))

    def add_interaction(self, handle: InteractionHandle) -> None:
        """Remember an interaction by id and by token."""
        self.interactions[handle.id] = handle
        self.interactions_by_token[handle.token] = handle

    def age_of(self, handle: InteractionHandle) -> datetime.timedelta:
        """How old an interaction's token is."""
        return utcnow() - handle.created_at
