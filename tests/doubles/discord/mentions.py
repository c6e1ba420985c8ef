"""Whom a message mentions: the users, roles and @everyone its text names, as ``allowed_mentions`` allows.

docs:developers/resources/message.mdx, "Allowed Mentions Object":
- it decides "whether users will receive notifications when you include mentions in the message
  content, or the content of components attached to that message": in a Components V2 message the
  mentionable text is in its Text Display components (``content`` is empty there);
- defaults when the field is absent: "In regular messages, all mention types are parsed"; "In
  interactions and webhooks, only user mentions are parsed";
- "the ``parse`` field is mutually exclusive with the other fields": ``"users"`` in ``parse`` with a
  ``users`` list (or ``"roles"`` with ``roles``) is "an invalid configuration" (400);
- ids listed but not named in the text are "silently ignored"; ``replied_user``: "For replies,
  whether to mention the author of the message being replied to, defaults to false";
- roles and @everyone also need the role to be mentionable or the MENTION_EVERYONE permission (the
  double's roles are never mentionable, so the permission decides).
A mention the rules suppress is not in the message's ``mentions`` array (discord-api-docs issue
2126: "non-pinging mentions do not include the user data in the ``mentions`` array for the message").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import FormErrors
from .model import User, iter_components

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(?:everyone|here)\b")
TEXT_DISPLAY = 10
ALL_TYPES = frozenset({"users", "roles", "everyone"})
MAX_IDS = 100


@dataclass(frozen=True)
class MentionRules:
    """What one request lets its text mention (an ``allowed_mentions`` object, or the default)."""

    parse: frozenset[str]
    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    replied_user: bool = False

    @classmethod
    def default(cls, *, webhook: bool) -> MentionRules:
        """The rules when a body has no ``allowed_mentions``: users only for webhooks, else everything."""
        if webhook:
            return cls(frozenset({"users"}))
        # A regular reply without the field pings its author, as Discord's own client does.
        return cls(ALL_TYPES, replied_user=True)

    @classmethod
    def from_body(cls, spec: Any, *, webhook: bool, errors: FormErrors) -> MentionRules:
        """The rules of a request body's ``allowed_mentions`` (errors recorded under that key)."""
        if spec is None:
            return cls.default(webhook=webhook)
        if not isinstance(spec, dict):
            errors.add(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
            return cls(frozenset())
        parse = frozenset(str(kind) for kind in spec.get("parse") or () if kind in ALL_TYPES)
        users, roles = _ids(spec.get("users"), "users", errors), _ids(spec.get("roles"), "roles", errors)
        for kind, listed in (("users", users), ("roles", roles)):
            if kind in parse and listed:
                errors.add(
                    ("allowed_mentions",),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
        return cls(parse, users, roles, bool(spec.get("replied_user", False)))


@dataclass(frozen=True)
class Mentions:
    """What a message mentions once its rules are applied."""

    users: list[User]
    roles: list[int]
    everyone: bool


def mentionable_text(content: str, components: list[dict[str, Any]]) -> str:
    """The text mentions are read from: the content and every Text Display of the components."""
    texts = [c.get("content") or "" for c in iter_components(components) if c.get("type") == TEXT_DISPLAY]
    return "\n".join([content, *map(str, texts)])


def resolve_mentions(
    text: str,
    rules: MentionRules,
    *,
    known_users: dict[int, User],
    guild_roles: Collection[int],
    may_mention_everyone: bool,
    replied_author: User | None = None,
) -> Mentions:
    """Apply ``rules`` to the mentions written in ``text``."""
    named_users = _ordered(int(m) for m in USER_MENTION.findall(text))
    users = [known_users[i] for i in named_users if i in known_users and _allowed(rules, "users", i)]
    if replied_author is not None and rules.replied_user and replied_author not in users:
        users.append(replied_author)
    roles = [
        role
        for role in _ordered(int(m) for m in ROLE_MENTION.findall(text))
        if role in guild_roles and may_mention_everyone and _allowed(rules, "roles", role)
    ]
    everyone = bool(EVERYONE_MENTION.search(text)) and may_mention_everyone and "everyone" in rules.parse
    return Mentions(users, roles, everyone)


def _allowed(rules: MentionRules, kind: str, ident: int) -> bool:
    listed = rules.users if kind == "users" else rules.roles
    return kind in rules.parse or ident in listed


def _ordered(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _ids(value: Any, key: str, errors: FormErrors) -> frozenset[int]:
    if not value:
        return frozenset()
    if not isinstance(value, list) or len(value) > MAX_IDS:
        errors.add(("allowed_mentions", key), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_IDS} or fewer.")
        return frozenset()
    try:
        return frozenset(int(item) for item in value)
    except (TypeError, ValueError):
        errors.add(("allowed_mentions", key), "NUMBER_TYPE_COERCE", "Value is not snowflake.")
        return frozenset()
