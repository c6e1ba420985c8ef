"""Application command permissions in the double: what Server Settings → Integrations keeps.

Source: discord-api-docs ``developers/interactions/application-commands.mdx`` ("Permissions",
"Application Command Permissions Object", "Get Guild Application Command Permissions", "Get /
Edit Application Command Permissions") and ``developers/change-log.mdx`` (Permissions v2, Apr 2022;
"Upcoming Application Command Permission Changes", Nov 2022). Stored per server and target: a
command id, or the application id for the entry that "applies to all commands that do not contain
explicit overwrites". ``usable`` is the double's own reading of the documented evaluation (kept
apart from the bot's ``bot.access.command_permissions`` so that each checks the other), used to refuse
commands a member may not use there, as Discord does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DiscordAPIError, FormErrors
from .model import Channel, Guild, Perm, RegisteredCommand, Role, User

if TYPE_CHECKING:
    from .state import DoubleState

ROLE, USER, CHANNEL = 1, 2, 3  # Application Command Permission Type
MAX_PERMISSIONS = 100  # "You can add up to 100 permission overwrites for a command."
MANAGE_ROLES = 1 << 28
ALLOWED, CHANNEL_OFF, MEMBER_DENIED = "allowed", "channel", "member"


class CommandNotPermittedError(PermissionError):
    """A member tried a command the server's permissions refuse them there.

    Discord hides such a command from the picker and does not run it; the driver raises this
    instead of sending an interaction no Discord client could send.
    """


def unknown_command() -> DiscordAPIError:
    """404 Unknown application command (10063)."""
    return DiscordAPIError(404, 10063, "Unknown application command")


def unknown_command_permissions() -> DiscordAPIError:
    """404 Unknown application command permissions (10066): none are set for that command."""
    return DiscordAPIError(404, 10066, "Unknown application command permissions")


def bots_cannot_use() -> DiscordAPIError:
    """403 Bots cannot use this endpoint (20001): editing permissions needs a user's Bearer token."""
    return DiscordAPIError(403, 20001, "Bots cannot use this endpoint")


def entry(target: Role | User | Channel, allowed: bool) -> dict[str, Any]:
    """One permission for a role (the guild's own id: @everyone), a user or a channel."""
    kind = ROLE if isinstance(target, Role) else USER if isinstance(target, User) else CHANNEL
    return {"id": str(target.id), "type": kind, "permission": allowed}


def all_channels(guild: Guild, allowed: bool) -> dict[str, Any]:
    """The "All Channels" constant (``guild_id - 1``)."""
    return {"id": str(guild.id - 1), "type": CHANNEL, "permission": allowed}


def everyone(guild: Guild, allowed: bool) -> dict[str, Any]:
    """The "@everyone" constant (``guild_id``, a role)."""
    return {"id": str(guild.id), "type": ROLE, "permission": allowed}


def validated(body: Any) -> list[dict[str, Any]]:
    """Return Edit Application Command Permissions' ``permissions``, normalised; 400/50035 otherwise."""
    errors = FormErrors()
    if not isinstance(body, dict) or not isinstance(body.get("permissions"), list):
        errors.add(("permissions",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any()
    permissions = body["permissions"]
    if len(permissions) > MAX_PERMISSIONS:
        errors.add(("permissions",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_PERMISSIONS} or fewer in length.")
    for index, item in enumerate(permissions):
        _check_entry(item, ("permissions", index), errors)
    errors.raise_if_any()
    return [
        {"id": str(item["id"]), "type": item["type"], "permission": item["permission"]}
        for item in permissions
    ]


def _check_entry(item: Any, path: tuple[str | int, ...], errors: FormErrors) -> None:
    if not isinstance(item, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    if not str(item.get("id", "")).isdigit():
        errors.add((*path, "id"), "NUMBER_TYPE_COERCE", f'Value "{item.get("id")}" is not snowflake.')
    if item.get("type") not in (ROLE, USER, CHANNEL):
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
    if not isinstance(item.get("permission"), bool):
        errors.add((*path, "permission"), "BASE_TYPE_BOOLEAN", "Must be either true or false.")


@dataclass
class CommandPermissionBook:
    """Every server's command permissions, and the Bearer tokens users authorised (OAuth2 stand-ins)."""

    entries: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    bearer_tokens: dict[str, int] = field(default_factory=dict)

    def put(self, guild_id: int, target_id: int, permissions: list[dict[str, Any]]) -> None:
        """Overwrite ``target_id``'s permissions in a server (an empty list removes them)."""
        if permissions:
            self.entries[(guild_id, target_id)] = permissions
        else:
            self.entries.pop((guild_id, target_id), None)

    def payload(self, state: DoubleState, guild_id: int, target_id: int) -> dict[str, Any]:
        """The Guild Application Command Permissions object for one target."""
        return {
            "id": str(target_id),
            "application_id": str(state.application_id),
            "guild_id": str(guild_id),
            "permissions": list(self.entries.get((guild_id, target_id), [])),
        }

    def guild_payloads(self, state: DoubleState, guild_id: int) -> list[dict[str, Any]]:
        """Every target with permissions in a server (a deleted command's went with it)."""
        live = {state.application_id, *(c.id for c in commands_in(state, guild_id))}
        return [
            self.payload(state, guild, target)
            for guild, target in self.entries
            if guild == guild_id and target in live
        ]

    def check_usable(self, state: DoubleState, user: User, channel: Channel, command_id: int) -> None:
        """Raise ``CommandNotPermittedError`` if ``user`` may not run the command in ``channel``."""
        guild = state.guild_of(channel)
        command = next((c for c in commands_in(state, channel.guild_id) if c.id == command_id), None)
        if guild is None or command is None:
            return
        verdict = self.usable(state, guild, user, channel, command)
        if verdict != ALLOWED:
            where = f"/{command.name} in #{channel.name}"
            raise CommandNotPermittedError(f"{user.username} may not use {where}: {verdict}")

    def usable(
        self, state: DoubleState, guild: Guild, user: User, channel: Channel, command: RegisteredCommand
    ) -> str:
        """``ALLOWED``, ``CHANNEL_OFF`` or ``MEMBER_DENIED``, by the documented evaluation."""
        permissions = state.permissions_in(channel, user)
        # "Members with the Administrator permission can use all commands."
        if permissions & Perm.ADMINISTRATOR:
            return ALLOWED
        layers = [self._layer(guild.id, command.id), self._layer(guild.id, state.application_id)]
        if not _where(layers, guild, channel):
            return CHANNEL_OFF
        command_word = _who(layers[0], guild, state.member_of(guild, user).role_ids, user)
        if command_word is not None:  # command-level overrides app-level and default permissions
            return ALLOWED if command_word else MEMBER_DENIED
        if _who(layers[1], guild, state.member_of(guild, user).role_ids, user) is False:
            return MEMBER_DENIED
        required = command.payload.get("default_member_permissions")
        if required is None:
            return ALLOWED
        bits = int(required)  # "0": nobody but admins, unless a command-level overwrite says so
        return ALLOWED if bits and permissions & bits == bits else MEMBER_DENIED

    def _layer(self, guild_id: int, target_id: int) -> dict[tuple[int, int], bool]:
        entries = self.entries.get((guild_id, target_id), [])
        return {(int(e["id"]), e["type"]): e["permission"] for e in entries}

    def may_edit(self, state: DoubleState, guild: Guild, user: User) -> bool:
        """Whether ``user`` may edit command permissions: Manage Guild and Manage Roles (docs)."""
        member = guild.members.get(user.id)
        if member is None:
            return False
        needed = Perm.MANAGE_GUILD | MANAGE_ROLES
        return guild.base_permissions(member) & needed == needed


def _where(layers: Sequence[dict[tuple[int, int], bool]], guild: Guild, channel: Channel) -> bool:
    """The channel's own entry, else All Channels; command layer first, then the application's."""
    for layer in layers:
        for key in ((channel.id, CHANNEL), (guild.id - 1, CHANNEL)):
            if key in layer:
                return layer[key]
    return True


def _who(layer: dict[tuple[int, int], bool], guild: Guild, role_ids: list[int], user: User) -> bool | None:
    """The user's entry, else their roles' (any allow), else @everyone's; None if the layer is silent."""
    if (user.id, USER) in layer:
        return layer[(user.id, USER)]
    said = [layer[(role, ROLE)] for role in role_ids if (role, ROLE) in layer and role != guild.id]
    if said:
        return any(said)
    return layer.get((guild.id, ROLE))


def commands_in(state: DoubleState, guild_id: int | None) -> Iterator[RegisteredCommand]:
    """The commands members of ``guild_id`` see: the server's, then the global ones."""
    if guild_id is not None:
        yield from state.command_scope(guild_id).commands.values()
    yield from state.global_commands.commands.values()
