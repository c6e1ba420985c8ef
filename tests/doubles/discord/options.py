"""Turning a test's ``options={...}`` into command interaction data, the way a Discord client would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Channel, Role, User
from .payloads import attachment_json, channel_json, member_json, role_json, user_json
from .state import DoubleState

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
FileSpec = tuple[str, bytes] | tuple[str, bytes, str]


@dataclass
class Resolver:
    """Collects ``data.resolved`` for USER, CHANNEL, ROLE, MENTIONABLE and ATTACHMENT options."""

    state: DoubleState
    channel: Channel
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def attachment(self, spec: FileSpec) -> str:
        """Upload ``spec`` as an ephemeral attachment and return its id."""
        filename, data = spec[0], spec[1]
        content_type = spec[2] if len(spec) == 3 else None
        stored = self.state.store_file(self.channel.id, filename, data, content_type, ephemeral=True)
        self.resolved.setdefault("attachments", {})[str(stored.id)] = attachment_json(stored)
        return str(stored.id)

    def user(self, user: User) -> str:
        """Resolve a user (and their membership in the channel's guild)."""
        self.resolved.setdefault("users", {})[str(user.id)] = user_json(user)
        guild = self.state.guild_of(self.channel)
        if guild is not None and user.id in guild.members:
            member = member_json(
                guild.members[user.id],
                with_user=False,
                permissions=self.state.permissions_in(self.channel, user),
            )
            self.resolved.setdefault("members", {})[str(user.id)] = member
        return str(user.id)

    def channel_value(self, channel: Channel) -> str:
        """Resolve a channel."""
        payload = channel_json(channel, permissions=self.state.bot_permissions(channel))
        self.resolved.setdefault("channels", {})[str(channel.id)] = payload
        return str(channel.id)

    def role(self, role: Role) -> str:
        """Resolve a role."""
        self.resolved.setdefault("roles", {})[str(role.id)] = role_json(role)
        return str(role.id)


def build_options(
    definitions: list[dict[str, Any]], path: list[str], given: Mapping[str, Any], resolver: Resolver
) -> list[dict[str, Any]]:
    """The ``data.options`` list, nesting sub-command groups and sub-commands named in ``path``."""
    if path:
        definition = _definition(definitions, path[0])
        if definition["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise ValueError(f"{path[0]!r} is not a sub-command")
        inner = build_options(definition.get("options") or [], path[1:], given, resolver)
        return [{"type": definition["type"], "name": definition["name"], "options": inner}]
    if any(d["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in definitions):
        raise ValueError("this command needs a sub-command: name it, e.g. slash(user, 'cmd sub', ...)")
    missing = [d["name"] for d in definitions if d.get("required") and d["name"] not in given]
    if missing:
        raise ValueError(f"required option(s) missing: {missing}")
    return [_option(_definition(definitions, name), value, resolver) for name, value in given.items()]


def first_attachment_option(definitions: list[dict[str, Any]], path: list[str]) -> str:
    """The name of the first ATTACHMENT option of the (sub-)command named by ``path``."""
    for name in path:
        definitions = _definition(definitions, name).get("options") or []
    for definition in definitions:
        if definition["type"] == ATTACHMENT:
            return str(definition["name"])
    raise ValueError("the command has no attachment option")


def _definition(definitions: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for definition in definitions:
        if definition["name"] == name:
            return definition
    raise ValueError(f"unknown option {name!r}; registered: {[d['name'] for d in definitions]}")


def _option(definition: dict[str, Any], value: Any, resolver: Resolver) -> dict[str, Any]:
    kind = definition["type"]
    return {"type": kind, "name": definition["name"], "value": _value(definition, kind, value, resolver)}


def _value(definition: dict[str, Any], kind: int, value: Any, resolver: Resolver) -> Any:
    if kind == ATTACHMENT:
        return resolver.attachment(value)
    if kind in (USER, MENTIONABLE) and isinstance(value, User):
        return resolver.user(value)
    if kind in (ROLE, MENTIONABLE) and isinstance(value, Role):
        return resolver.role(value)
    if kind == CHANNEL and isinstance(value, Channel):
        return resolver.channel_value(value)
    if kind in (STRING, INTEGER, NUMBER, BOOLEAN):
        return _scalar(definition, kind, value)
    raise TypeError(f"option {definition['name']!r} of type {kind} cannot take {value!r}")


def _scalar(definition: dict[str, Any], kind: int, value: Any) -> Any:
    expected: dict[int, type | tuple[type, ...]] = {
        STRING: str,
        INTEGER: int,
        NUMBER: (int, float),
        BOOLEAN: bool,
    }
    if not isinstance(value, expected[kind]) or (kind != BOOLEAN and isinstance(value, bool)):
        raise TypeError(f"option {definition['name']!r} needs {expected[kind]}, got {value!r}")
    choices = [c["value"] for c in definition.get("choices") or []]
    if choices and value not in choices:
        raise ValueError(f"{value!r} is not one of the registered choices {choices}")
    _check_bounds(definition, kind, value)
    return value


def _check_bounds(definition: dict[str, Any], kind: int, value: Any) -> None:
    size = len(value) if kind == STRING else value
    low_key, high_key = ("min_length", "max_length") if kind == STRING else ("min_value", "max_value")
    low, high = definition.get(low_key), definition.get(high_key)
    if (low is not None and size < low) or (high is not None and size > high):
        raise ValueError(f"{value!r} is outside the bounds of option {definition['name']!r}")
