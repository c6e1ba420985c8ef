"""Who may use an application command where: Discord's command permissions, evaluated (pure).

Admins restrict commands in Server Settings → Integrations; Discord keeps those choices as
*overwrites* (discord-api-docs ``developers/interactions/application-commands.mdx``, "Permissions"
and "Application Command Permissions Object") and enforces them only for the commands themselves.
Motionbot's other entry points (the 🎬 reaction, the job buttons) follow the same rules through
``evaluate``. The evaluation is Discord's documented one:

- Members with the Administrator permission can use every command (server owners have it).
- Two layers of overwrites: the command's own, and the application's (the entry whose id is the
  application id: it "applies to all commands that do not contain explicit overwrites"). The
  command's layer overrides the application's wherever it says something about the same context;
  where it says nothing, the application's layer decides (change log, "Upcoming Application Command
  Permission Changes", Nov 2022: "If a command-level configuration does not exist for the given
  context, the system will fall back to looking at the app-level configuration").
- Where, then who, and both must allow. Where: an entry for the channel itself, else the "All
  Channels" constant (``guild_id - 1``); a thread follows its parent channel ("any command
  permissions for a channel will apply to the threads it contains"). Who: an entry for the member,
  else entries for their roles (one allowing role is enough, as with channel overwrites), else the
  ``@everyone`` constant (the role whose id is ``guild_id``).
- ``default_member_permissions``: the permissions a member must hold, ``"0"`` meaning nobody but
  admins. A command-level allow overrides it; an application-level allow does not ("if a user is
  granted access via an app-level permission configuration, they will still be restricted to the
  default_member_permissions").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

ADMINISTRATOR = 1 << 3


class TargetType(IntEnum):
    """What an overwrite names (Application Command Permission Type)."""

    ROLE = 1
    USER = 2
    CHANNEL = 3


class Access(StrEnum):
    """The answer for one member in one channel."""

    ALLOWED = "allowed"
    CHANNEL_DISABLED = "channel_disabled"  # the command is off in this channel
    MEMBER_DENIED = "member_denied"  # this member may not use it (overwrite or default permissions)
    UNKNOWN = "unknown"  # the permissions could not be read from Discord


@dataclass(frozen=True, slots=True)
class Overwrite:
    """One Application Command Permissions entry: allow or deny one role, user or channel."""

    target_id: int
    type: TargetType
    allowed: bool


Overwrites = tuple[Overwrite, ...]


@dataclass(frozen=True, slots=True)
class CommandRef:
    """The command that governs an entry point, as Discord has it.

    ``command_id`` is None when it is not registered there; ``default_member_permissions`` is the
    bit set a member must hold (None: everyone).
    """

    command_id: int | None
    default_member_permissions: int | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """A member about to use a command: who they are and where.

    ``permissions`` is the member's permission bit set in the channel; ``parent_id`` is set when the
    channel is a thread (which follows its parent channel).
    """

    user_id: int
    role_ids: frozenset[int]
    permissions: int
    channel_id: int
    parent_id: int | None = None

    @property
    def permission_channel_id(self) -> int:
        """The channel whose command permissions apply here."""
        return self.parent_id if self.parent_id is not None else self.channel_id


@dataclass(frozen=True, slots=True)
class ServerPermissions:
    """Every command permission overwrite of one application in one server, by command id.

    The application's own entry (for all commands without their own) is under ``application_id``.
    """

    guild_id: int
    application_id: int
    by_target: Mapping[int, Overwrites] = field(default_factory=dict)

    def replaced(self, target_id: int, overwrites: Overwrites) -> ServerPermissions:
        """Return these permissions with ``target_id``'s overwrites replaced (none: removed)."""
        changed = {**self.by_target, target_id: overwrites}
        return ServerPermissions(self.guild_id, self.application_id, {k: v for k, v in changed.items() if v})


def evaluate(server: ServerPermissions, command: CommandRef, caller: Caller) -> Access:
    """Return whether ``caller`` may use ``command`` in their channel, as Discord decides it."""
    if caller.permissions & ADMINISTRATOR:
        return Access.ALLOWED
    command_layer = server.by_target.get(command.command_id, ()) if command.command_id is not None else ()
    app_layer = server.by_target.get(server.application_id, ())
    if not _channel_allows(server.guild_id, caller.permission_channel_id, command_layer, app_layer):
        return Access.CHANNEL_DISABLED
    decided = _member_decision(server.guild_id, caller, command_layer)
    if decided is not None:
        return Access.ALLOWED if decided else Access.MEMBER_DENIED
    if _member_decision(server.guild_id, caller, app_layer) is False:
        return Access.MEMBER_DENIED
    return Access.ALLOWED if _meets_defaults(command, caller) else Access.MEMBER_DENIED


def _channel_allows(guild_id: int, channel_id: int, *layers: Overwrites) -> bool:
    """Return the word of the first layer naming this channel, or else all channels (none: allowed)."""
    all_channels = guild_id - 1
    for layer in layers:
        for target in (channel_id, all_channels):
            found = _find(layer, TargetType.CHANNEL, target)
            if found is not None:
                return found.allowed
    return True


def _member_decision(guild_id: int, caller: Caller, layer: Overwrites) -> bool | None:
    """Return the layer's word on this member (None when it names none of them).

    Their own entry, else their roles' (one allowing role is enough), else @everyone's.
    """
    own = _find(layer, TargetType.USER, caller.user_id)
    if own is not None:
        return own.allowed
    roles = [o for o in layer if o.type is TargetType.ROLE and o.target_id in caller.role_ids - {guild_id}]
    if roles:
        return any(o.allowed for o in roles)
    everyone = _find(layer, TargetType.ROLE, guild_id)
    return None if everyone is None else everyone.allowed


def _meets_defaults(command: CommandRef, caller: Caller) -> bool:
    required = command.default_member_permissions
    if required is None:
        return True
    # "0" prohibits everyone but admins (who were let through before).
    return required != 0 and caller.permissions & required == required


def _find(layer: Overwrites, kind: TargetType, target_id: int) -> Overwrite | None:
    return next((o for o in layer if o.type is kind and o.target_id == target_id), None)


# -- Discord's JSON ------------------------------------------------------------------------------


def parse_overwrites(entries: Sequence[Mapping[str, Any]]) -> Overwrites:
    """Return the overwrites of an Application Command Permissions list (ids as strings or numbers).

    An entry of a type this code does not know is skipped: Discord may add types, and an unknown
    one cannot name a role, user or channel this evaluation understands.
    """
    parsed: list[Overwrite] = []
    for entry in entries:
        kind = int(entry["type"])
        if kind not in TargetType._value2member_map_:
            continue
        allowed = entry["permission"]
        if not isinstance(allowed, bool):
            raise ValueError(f"permission is not a boolean: {allowed!r}")
        parsed.append(Overwrite(int(entry["id"]), TargetType(kind), allowed))
    return tuple(parsed)


def parse_server_permissions(
    guild_id: int, application_id: int, payload: Sequence[Mapping[str, Any]]
) -> ServerPermissions:
    """Return a server's permissions from Get Guild Application Command Permissions' answer.

    Raises ``ValueError`` (or ``KeyError``/``TypeError``) for an answer not of the documented shape.
    """
    by_target: dict[int, Overwrites] = {}
    for item in payload:
        if int(item["guild_id"]) != guild_id or int(item["application_id"]) != application_id:
            continue
        overwrites = parse_overwrites(item["permissions"])
        if overwrites:
            by_target[int(item["id"])] = overwrites
    return ServerPermissions(guild_id, application_id, by_target)
