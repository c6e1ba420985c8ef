"""REST routes for application command permissions, and the admin's edit that fires the gateway event.

Source: discord-api-docs ``developers/interactions/application-commands.mdx``: "Get Guild
Application Command Permissions" (a bot token may read them: an array, empty when none are set),
"Get Application Command Permissions" (one object), "Edit Application Command Permissions" (PUT;
"Command permissions can only be updated using a Bearer token. Authenticating with a bot token will
result in an error", which Discord answers with 403/20001, as client libraries' issue trackers show;
it "Fires an Application Command Permissions Update Gateway event"). Error codes from
``developers/topics/opcodes-and-status-codes.mdx``: 10063 Unknown application command, 10066
Unknown application command permissions. The event needs no intent (``gateway.mdx``: events not
listed under an intent are always sent) and its payload is the permissions object
(``gateway-events.mdx``, "Application Command Permissions Update").
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .command_permissions import (
    bots_cannot_use,
    commands_in,
    unknown_command,
    unknown_command_permissions,
    validated,
)
from .errors import missing_access, missing_permissions, unauthorized, unknown_guild
from .events import GatewayEvents
from .model import Guild, User
from .rest_common import RestContext, snowflake_param
from .state import DoubleState
from .wire import json_response, read_body

EVENT = "APPLICATION_COMMAND_PERMISSIONS_UPDATE"


async def edit_permissions(
    state: DoubleState, events: GatewayEvents, guild: Guild, target_id: int, permissions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Overwrite one target's permissions, tell the bot's shard, and return the new object."""
    state.command_permissions.put(guild.id, target_id, permissions)
    payload = state.command_permissions.payload(state, guild.id, target_id)
    await events.hub.dispatch(EVENT, lambda _: payload, guild_id=guild.id)
    return payload


class CommandPermissionRoutes:
    """``/applications/{application_id}/guilds/{guild_id}/commands[/{command_id}]/permissions``."""

    def __init__(self, ctx: RestContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def register(self, api: web.UrlDispatcher, prefix: str) -> None:
        """Add the routes under ``prefix`` (the fixed path first: "permissions" is no command id)."""
        base = f"{prefix}/applications/{{application_id}}/guilds/{{guild_id}}/commands"
        api.add_get(f"{base}/permissions", self.get_guild_permissions)
        api.add_get(f"{base}/{{command_id}}/permissions", self.get_command_permissions)
        api.add_put(f"{base}/{{command_id}}/permissions", self.put_command_permissions)

    async def get_guild_permissions(self, request: web.Request) -> web.Response:
        """Every permissions object of this application in the server (``[]`` when none are set)."""
        guild = self._guild(request)
        return json_response(self.state.command_permissions.guild_payloads(self.state, guild.id))

    async def get_command_permissions(self, request: web.Request) -> web.Response:
        """One command's (or the application's) permissions object; 404/10066 when none are set."""
        guild = self._guild(request)
        target_id = self._target(request, guild)
        found = self.state.command_permissions.guild_payloads(self.state, guild.id)
        payload = next((p for p in found if p["id"] == str(target_id)), None)
        if payload is None:
            raise unknown_command_permissions()
        return json_response(payload)

    async def put_command_permissions(self, request: web.Request) -> web.Response:
        """Overwrite a command's permissions as a user with Manage Guild and Manage Roles."""
        user = self._bearer_user(request)
        guild = self._guild(request)
        target_id = self._target(request, guild)
        if not self.state.command_permissions.may_edit(self.state, guild, user):
            raise missing_permissions()
        body = await read_body(request, self.ctx.config.max_request_bytes)
        permissions = validated(body.payload)
        edited = await edit_permissions(self.state, self.ctx.events, guild, target_id, permissions)
        return json_response(edited)

    def _bearer_user(self, request: web.Request) -> User:
        """The user whose OAuth2 Bearer token authorises the edit (the middleware let it through)."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bot "):
            raise bots_cannot_use()
        user_id = self.state.command_permissions.bearer_tokens.get(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or user_id is None:
            raise unauthorized()
        return self.state.users[user_id]

    def _guild(self, request: web.Request) -> Guild:
        if snowflake_param(request, "application_id") != self.state.application_id:
            raise missing_access()
        guild = self.state.guilds.get(snowflake_param(request, "guild_id"))
        if guild is None:
            raise unknown_guild()
        return guild

    def _target(self, request: web.Request, guild: Guild) -> int:
        """The command id (or the application id, for the permissions of all commands)."""
        target_id = snowflake_param(request, "command_id")
        known = {self.state.application_id, *(c.id for c in commands_in(self.state, guild.id))}
        if target_id not in known:
            raise unknown_command()
        return target_id
