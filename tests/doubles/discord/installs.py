"""Where the app is installed, and what that makes an interaction carry (user-installable apps).

An app is installed to a server (GUILD_INSTALL, 0: the bot joins it) or to a person (USER_INSTALL, 1:
no bot anywhere). Sources, each rule below naming its own:
- docs:developers/interactions/receiving-and-responding.mdx, "Interaction Structure" and "Interaction
  Context Types" (GUILD 0, BOT_DM 1, PRIVATE_CHANNEL 2; ``authorizing_integration_owners``);
- docs:developers/interactions/application-commands.mdx, ``integration_types`` and ``contexts``;
- docs:developers/tutorials/developing-a-user-installable-app.mdx (the sample interaction);
- discord-api-docs change log "User-Installed Apps General Availability" (2024-06-27, PR #6958): at
  most 5 follow-ups per interaction for an app installed to the user and not to the server.
"""

from __future__ import annotations

from typing import Any

from .model import Channel, Perm, User
from .state import DoubleState

GUILD_INSTALL, USER_INSTALL = 0, 1
GUILD_CONTEXT, BOT_DM_CONTEXT, PRIVATE_CHANNEL_CONTEXT = 0, 1, 2
# The tutorial's user-install sample carries "app_permissions": "442368": EMBED_LINKS | ATTACH_FILES |
# MENTION_EVERYONE | USE_EXTERNAL_EMOJIS, what an app installed only to the user may do there.
USER_INSTALL_PERMISSIONS = (
    Perm.EMBED_LINKS | Perm.ATTACH_FILES | Perm.MENTION_EVERYONE | Perm.USE_EXTERNAL_EMOJIS
)
# Change log 2024-06-27: "User-installed apps are now limited to creating a maximum of 5 follow-ups".
USER_INSTALL_MAX_FOLLOWUPS = 5


class CommandNotAvailableError(PermissionError):
    """The command is not offered to this user here: neither install it allows reaches this context.

    A Discord client does not show such a command; the driver raises this instead of sending it.
    """


def context_of(channel: Channel) -> int:
    """The interaction context of ``channel``: a server's, the bot's DM, or a group DM."""
    if channel.is_dm:
        return BOT_DM_CONTEXT
    if channel.is_group_dm:
        return PRIVATE_CHANNEL_CONTEXT
    return GUILD_CONTEXT


def command_installs(payload: dict[str, Any]) -> set[int]:
    """The installs a registered command allows (``integration_types``).

    application-commands.mdx: "Defaults to your app's configured contexts"; the double's app is
    configured for server installs, as a new app in the Developer Portal is.
    """
    if payload.get("guild_id") is not None:
        return {GUILD_INSTALL}  # "only for globally-scoped commands"
    return set(payload.get("integration_types") or [GUILD_INSTALL])


def command_contexts(payload: dict[str, Any]) -> set[int]:
    """The contexts a registered command allows (``contexts``; else the deprecated ``dm_permission``)."""
    if payload.get("guild_id") is not None:
        return {GUILD_CONTEXT}
    if payload.get("contexts"):
        return set(payload["contexts"])
    # dm_permission: "Indicates whether the command is available in DMs with the app".
    return {GUILD_CONTEXT, BOT_DM_CONTEXT} if payload.get("dm_permission", True) else {GUILD_CONTEXT}


def authorizing_owners(
    state: DoubleState, user: User, channel: Channel, installs: set[int] | None = None
) -> dict[str, str]:
    """``authorizing_integration_owners`` of an interaction ``user`` starts in ``channel``.

    Key "0" (GUILD_INSTALL): the server's id, or "0" in the bot's DM; key "1" (USER_INSTALL): the user's
    id. Only the installs the command allows (``installs``; every one for components) and that exist.
    """
    allowed = {GUILD_INSTALL, USER_INSTALL} if installs is None else installs
    owners: dict[str, str] = {}
    guild = state.guild_of(channel)
    if GUILD_INSTALL in allowed:
        if guild is not None and state.bot_in(guild):
            owners["0"] = str(guild.id)
        elif channel.is_dm:
            owners["0"] = "0"
    if USER_INSTALL in allowed and user.id in state.user_installs:
        owners["1"] = str(user.id)
    return owners


def check_available(
    state: DoubleState, user: User, channel: Channel, payload: dict[str, Any]
) -> dict[str, str]:
    """Return the command's authorizing owners for ``user`` in ``channel``; raise if it is not offered."""
    name = payload.get("name")
    context = context_of(channel)
    if context not in command_contexts(payload):
        raise CommandNotAvailableError(f"/{name} does not allow interaction context {context}")
    owners = authorizing_owners(state, user, channel, command_installs(payload))
    if not owners:
        raise CommandNotAvailableError(f"/{name} is installed neither here nor to {user.username}")
    return owners


def user_install_only(owners: dict[str, str]) -> bool:
    """Whether only the user's install authorizes the interaction (no server install: no bot there)."""
    return "1" in owners and "0" not in owners
