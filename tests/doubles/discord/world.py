"""The default world every double starts with: one guild, two channels, five people."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Channel, Guild, Perm, Role, User
from .state import DoubleState


@dataclass
class DefaultWorld:
    """Handles to the default guild, its channels, roles and members."""

    guild: Guild
    general: Channel
    media: Channel
    owner: User
    alice: User
    bob: User
    mod: User
    admin: User
    mod_role: Role
    admin_role: Role


def build_default_world(state: DoubleState, *, preferred_locale: str, premium_tier: int) -> DefaultWorld:
    """Create "Motionbot Test" with #general and #media; alice and bob are regular members,
    mod has Manage Messages, admin has Manage Guild, owner owns the guild."""
    owner = state.add_user("owner", global_name="Server Owner")
    guild = state.add_guild(
        "Motionbot Test", owner=owner, preferred_locale=preferred_locale, premium_tier=premium_tier
    )
    general = state.add_channel(guild, "general", topic="General chat")
    media = state.add_channel(guild, "media", topic="Images and clips")
    mod_role = state.add_role(guild, "Moderators", Perm.MANAGE_MESSAGES)
    admin_role = state.add_role(guild, "Admins", Perm.MANAGE_GUILD)
    people = {name: state.add_user(name) for name in ("alice", "bob", "mod", "admin")}
    for name, user in people.items():
        roles = {"mod": [mod_role.id], "admin": [admin_role.id]}.get(name, [])
        state.add_member(guild, user, role_ids=roles)
    return DefaultWorld(
        guild,
        general,
        media,
        owner,
        people["alice"],
        people["bob"],
        people["mod"],
        people["admin"],
        mod_role,
        admin_role,
    )
