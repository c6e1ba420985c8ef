"""Entities the double keeps: users, guilds, roles, members, channels, files and messages."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .cdn_links import CdnLinks
from .snowflake import utcnow

MIB = 1024 * 1024


class Perm:
    """Discord permission bits used by the double."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1
    # What Discord gives @everyone in a new server.
    EVERYONE_DEFAULT = 2248473465835073
    # What an invite link for a media bot typically asks for.
    BOT_DEFAULT = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | SEND_MESSAGES_IN_THREADS
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
    )


class Intent:
    """Gateway intent bits the double enforces."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    MESSAGE_CONTENT = 1 << 15


class ChannelType:
    """Channel types the double models."""

    GUILD_TEXT = 0
    DM = 1
    GROUP_DM = 3  # docs:developers/resources/channel.mdx "Channel Types"
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12


class MessageFlag:
    """Message flag bits the double interprets."""

    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_VOICE_MESSAGE = 1 << 13
    IS_COMPONENTS_V2 = 1 << 15


@dataclass
class PortalSettings:
    """The privileged-intent toggles of the Developer Portal (they also govern REST content)."""

    message_content: bool = False
    members: bool = False
    presences: bool = False

    def allowed_privileged_intents(self) -> int:
        """The privileged intent bits an IDENTIFY may ask for."""
        allowed = Intent.MESSAGE_CONTENT if self.message_content else 0
        allowed |= Intent.GUILD_MEMBERS if self.members else 0
        return allowed | (Intent.GUILD_PRESENCES if self.presences else 0)


@dataclass
class User:
    """A Discord user (a human or the bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention string."""
        return f"<@{self.id}>"


@dataclass
class Role:
    """A guild role; the role whose id is the guild id is @everyone."""

    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False


@dataclass
class Member:
    """A user's membership in one guild."""

    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    joined_at: datetime.datetime = field(default_factory=utcnow)
    nick: str | None = None

    @property
    def id(self) -> int:
        """The member's user id."""
        return self.user.id


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild text channel, a thread of one (``parent_id``) or a DM channel; it owns its messages."""

    id: int
    name: str
    type: int = ChannelType.GUILD_TEXT
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    recipient: User | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    parent_id: int | None = None  # a thread's text channel
    owner_id: int | None = None  # who started a thread
    thread_member_ids: set[int] = field(default_factory=set)
    recipients: list[User] = field(default_factory=list)  # a group DM's members

    @property
    def is_group_dm(self) -> bool:
        """Whether this is a group DM (the bot is never in one: bots cannot join group DMs)."""
        return self.type == ChannelType.GROUP_DM

    @property
    def is_dm(self) -> bool:
        """Whether this is a DM channel."""
        return self.type == ChannelType.DM

    @property
    def is_thread(self) -> bool:
        """Whether this is a public or private thread."""
        return self.type in (ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD)

    @property
    def last_message_id(self) -> int | None:
        """The id of the newest message, if any."""
        return next(reversed(self.messages), None)


@dataclass
class Guild:
    """A guild with its roles, members and channels."""

    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    premium_tier: int = 0
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    threads: dict[int, Channel] = field(default_factory=dict)

    @property
    def upload_limit(self) -> int:
        """The per-file upload limit for the guild's boost tier."""
        return {2: 50 * MIB, 3: 100 * MIB}.get(self.premium_tier, 10 * MIB)

    def base_permissions(self, member: Member) -> int:
        """Guild-wide permissions of ``member`` (owner and Administrator get everything)."""
        if member.id == self.owner_id:
            return Perm.ALL
        value = self.roles[self.id].permissions
        for role_id in member.role_ids:
            value |= self.roles[role_id].permissions
        return Perm.ALL if value & Perm.ADMINISTRATOR else value

    def channel_permissions(self, member: Member, channel: Channel) -> int:
        """Permissions of ``member`` in ``channel`` after overwrites, in Discord's order.

        A thread has no overwrites of its own: it takes its parent's (docs: topics/threads.mdx,
        "Permissions"). Who may see a private thread at all is the thread's members list.
        """
        if channel.parent_id is not None:
            channel = self.channels[channel.parent_id]
        value = self.base_permissions(member)
        if value & Perm.ADMINISTRATOR:
            return value
        for role_id in (self.id, *member.role_ids):
            value = _apply(value, channel.overwrites.get(role_id))
        return _apply(value, channel.overwrites.get(member.id))


def _apply(value: int, overwrite: Overwrite | None) -> int:
    if overwrite is None:
        return value
    return (value & ~overwrite.deny) | overwrite.allow


@dataclass
class StoredFile:
    """An uploaded file, served by the double's CDN route."""

    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str
    base_url: str  # without the signed query; ``url`` adds one issued now
    ephemeral: bool = False
    description: str | None = None
    # Fault knob: when set, the CDN answers this file with a 302 to this Location instead of its bytes.
    redirect_to: str | None = None
    links: CdnLinks | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The file's URL as Discord gives it at this moment: signed, valid 24 hours (``cdn_links``)."""
        return self.links.sign(self.id, self.base_url) if self.links is not None else self.base_url

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class MessageRevision:
    """One state of a message: the original, then one per edit."""

    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[StoredFile]
    flags: int
    at: datetime.datetime
    mentions: list[User] = field(default_factory=list)


@dataclass
class Message:
    """A message in a channel, with its full edit history."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredFile] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    created_at: datetime.datetime = field(default_factory=utcnow)
    edited_at: datetime.datetime | None = None
    reference: dict[str, Any] | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    interaction_legacy: dict[str, Any] | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)
    deleted: bool = False
    history: list[MessageRevision] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user can see the message."""
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a type-5 "thinking" message that nothing has filled in yet."""
        return bool(self.flags & MessageFlag.LOADING)

    @property
    def files(self) -> list[StoredFile]:
        """The current attachments (alias of ``attachments``)."""
        return self.attachments

    @property
    def edits(self) -> list[MessageRevision]:
        """The revisions after the original, oldest first."""
        return self.history[1:]

    def snapshot(self) -> None:
        """Append the current state to the history."""
        self.history.append(
            MessageRevision(
                content=self.content,
                embeds=list(self.embeds),
                components=list(self.components),
                attachments=list(self.attachments),
                flags=self.flags,
                at=self.edited_at or self.created_at,
                mentions=list(self.mentions),
            )
        )

    def iter_components(self) -> Iterator[dict[str, Any]]:
        """Every component of the message, depth first."""
        return iter_components(self.components)

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component whose ``custom_id`` is ``custom_id``, if any."""
        return next((c for c in self.iter_components() if c.get("custom_id") == custom_id), None)

    @property
    def custom_ids(self) -> list[str]:
        """The custom ids of all interactive components, in order."""
        return [c["custom_id"] for c in self.iter_components() if "custom_id" in c]


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Walk a component tree (rows, sections, containers, labels) depth first."""
    for component in components:
        yield component
        yield from iter_components(component.get("components") or [])
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from iter_components([child])


@dataclass
class RegisteredCommand:
    """An application command as stored after a bulk overwrite."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        """The default (non-localized) name."""
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        """1 CHAT_INPUT, 2 USER, 3 MESSAGE."""
        return int(self.payload.get("type", 1))
