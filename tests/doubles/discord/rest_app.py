"""REST routes for the bot user, the application, commands, guild members, DMs and the CDN."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from .cdn_links import NO_LONGER_AVAILABLE
from .commands import CHAT_INPUT, validate_commands
from .errors import missing_access, unknown_guild, unknown_member, unknown_user
from .gateway_payloads import application_flags
from .model import Guild, RegisteredCommand
from .payloads import channel_json, member_json, role_json, user_json
from .rest_common import RestContext, snowflake_param
from .wire import json_response, read_body

TEAM_USER_FLAG = 1 << 10  # the owner of a team-owned application is a pseudo-user with this flag


class AppRoutes:
    """``/users``, ``/oauth2/applications/@me``, ``/applications/.../commands``, ``/guilds``, CDN."""

    def __init__(self, ctx: RestContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def register(self, api: web.UrlDispatcher, prefix: str) -> None:
        """Add the routes under ``prefix``."""
        commands = f"{prefix}/applications/{{application_id}}/commands"
        guild_commands = f"{prefix}/applications/{{application_id}}/guilds/{{guild_id}}/commands"
        api.add_get(f"{prefix}/users/@me", self.me)
        api.add_post(f"{prefix}/users/@me/channels", self.create_dm)
        api.add_get(f"{prefix}/users/{{user_id}}", self.user)
        api.add_get(f"{prefix}/oauth2/applications/@me", self.application)
        api.add_get(f"{prefix}/gateway", self.gateway)
        api.add_get(f"{prefix}/gateway/bot", self.gateway_bot)
        api.add_put(commands, self.put_global_commands)
        api.add_get(commands, self.get_global_commands)
        api.add_put(guild_commands, self.put_guild_commands)
        api.add_get(guild_commands, self.get_guild_commands)
        api.add_get(f"{prefix}/guilds/{{guild_id}}", self.guild)
        api.add_get(f"{prefix}/guilds/{{guild_id}}/members/{{user_id}}", self.member)
        api.add_get("/cdn/{kind}/{channel_id}/{file_id}/{filename}", self.cdn)

    async def me(self, request: web.Request) -> web.Response:
        """The bot user (the middleware already answered 401 for a wrong token)."""
        return json_response(
            {**user_json(self.state.bot_user), "verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def user(self, request: web.Request) -> web.Response:
        """Any known user."""
        user = self.state.users.get(snowflake_param(request, "user_id"))
        if user is None:
            raise unknown_user()
        return json_response(user_json(user))

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or reuse) the DM channel with ``recipient_id``."""
        body = (await read_body(request, self.ctx.config.max_request_bytes)).as_dict()
        user = self.state.users.get(int(body.get("recipient_id") or 0))
        if user is None or user.bot:
            raise unknown_user()
        return json_response(channel_json(self.state.dm_channel(user)))

    async def application(self, request: web.Request) -> web.Response:
        """Every key discord.py's AppInfo reads; no interactions endpoint URL (gateway delivery)."""
        return json_response(self._application_json())

    def _application_json(self) -> dict[str, Any]:
        bot = self.state.bot_user
        return {
            "id": str(self.state.application_id),
            "name": self.ctx.config.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": user_json(bot),
            **self._ownership_json(),
            "verify_key": "0" * 64,
            "flags": application_flags(self.state),
            "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "custom_install_url": None,
            "redirect_uris": [],
            "approximate_guild_count": len(self.state.guilds),
            "integration_types_config": {"0": {}},
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "role_connections_verification_url": None,
            "hook": True,
            "is_monetized": False,
        }

    def _ownership_json(self) -> dict[str, Any]:
        """``owner`` and ``team``: for a team-owned application, ``owner`` is the team's pseudo-user."""
        team_id, team_owner = self.state.team_id, self.state.team_owner
        if team_id is None or team_owner is None:
            return {"owner": user_json(self.state.owner_user), "team": None}
        pseudo_user = {
            "id": str(team_id),
            "username": f"team{team_id}",
            "discriminator": "0000",
            "global_name": None,
            "avatar": None,
            "flags": TEAM_USER_FLAG,
            "public_flags": TEAM_USER_FLAG,
        }
        member = {
            "membership_state": 2,  # accepted
            "team_id": str(team_id),
            "user": user_json(team_owner),
            "role": "admin",
            "permissions": ["*"],
        }
        team = {
            "id": str(team_id),
            "icon": None,
            "name": f"{self.ctx.config.bot_name} Team",
            "owner_user_id": str(team_owner.id),
            "members": [member],
        }
        return {"owner": pseudo_user, "team": team}

    async def gateway(self, request: web.Request) -> web.Response:
        """``GET /gateway`` (only AutoSharded clients ask)."""
        return json_response({"url": self._gateway_url(request)})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        """``GET /gateway/bot`` with the documented session start limit."""
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        shards = self.ctx.config.recommended_shards or max(1, math.ceil(len(self.state.guilds) / 1000))
        return json_response(
            {"url": self._gateway_url(request), "shards": shards, "session_start_limit": limit}
        )

    def _gateway_url(self, request: web.Request) -> str:
        return f"ws://{request.host}/gateway"

    async def put_global_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite global commands."""
        return await self._overwrite(request, None)

    async def put_guild_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite a guild's commands."""
        return await self._overwrite(request, self._guild(request).id)

    async def get_global_commands(self, request: web.Request) -> web.Response:
        """List global commands."""
        self._check_application(request)
        return json_response([c.payload for c in self.state.command_scope(None).commands.values()])

    async def get_guild_commands(self, request: web.Request) -> web.Response:
        """List a guild's commands."""
        self._check_application(request)
        guild = self._guild(request)
        return json_response([c.payload for c in self.state.command_scope(guild.id).commands.values()])

    async def _overwrite(self, request: web.Request, guild_id: int | None) -> web.Response:
        self._check_application(request)
        body = await read_body(request, self.ctx.config.max_request_bytes)
        commands = validate_commands(body.payload)
        scope = self.state.command_scope(guild_id)
        previous = scope.commands
        scope.commands = {}
        for command in commands:
            stored = self._register(command, guild_id, previous)
            scope.commands[(stored.type, stored.name)] = stored
        return json_response([c.payload for c in scope.commands.values()])

    def _register(
        self,
        command: dict[str, Any],
        guild_id: int | None,
        previous: dict[tuple[int, str], RegisteredCommand],
    ) -> RegisteredCommand:
        kind = int(command.get("type", CHAT_INPUT))
        old = previous.get((kind, command["name"]))
        ident = old.id if old else self.state.ids.next()
        payload = {
            **command,
            "id": str(ident),
            "application_id": str(self.state.application_id),
            "version": str(self.state.ids.next()),
            "type": kind,
            "description": command.get("description") or "",
            "default_member_permissions": command.get("default_member_permissions"),
            "nsfw": bool(command.get("nsfw")),
        }
        if guild_id is None:
            payload["dm_permission"] = command.get("dm_permission", True) is not False
        else:
            payload["guild_id"] = str(guild_id)
            payload.pop("dm_permission", None)
        return RegisteredCommand(ident, self.state.application_id, guild_id, int(payload["version"]), payload)

    def _check_application(self, request: web.Request) -> None:
        if snowflake_param(request, "application_id") != self.state.application_id:
            raise missing_access()

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(snowflake_param(request, "guild_id"))
        if guild is None:
            raise unknown_guild()
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        """A guild object with its roles."""
        guild = self._guild(request)
        return json_response(
            {
                "id": str(guild.id),
                "name": guild.name,
                "owner_id": str(guild.owner_id),
                "icon": None,
                "preferred_locale": guild.preferred_locale,
                "premium_tier": guild.premium_tier,
                "features": [],
                "roles": [role_json(r) for r in guild.roles.values()],
                "emojis": [],
                "stickers": [],
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "mfa_level": 0,
                "nsfw_level": 0,
                "afk_timeout": 300,
                "system_channel_flags": 0,
            }
        )

    async def member(self, request: web.Request) -> web.Response:
        """A guild member (404/10007 if the user is not in the guild)."""
        guild = self._guild(request)
        member = guild.members.get(snowflake_param(request, "user_id"))
        if member is None:
            raise unknown_member()
        return json_response(member_json(member))

    async def cdn(self, request: web.Request) -> web.Response:
        """Attachment bytes, for files users posted and files the bot uploaded (or a redirect, see README)."""
        info = request.match_info
        stored = self.state.files.get(int(info["file_id"])) if info["file_id"].isdigit() else None
        expected_kind = "ephemeral-attachments" if stored and stored.ephemeral else "attachments"
        if stored is None or str(stored.channel_id) != info["channel_id"] or info["kind"] != expected_kind:
            raise web.HTTPNotFound(text="Not Found")
        if not self.state.cdn_links.valid(stored.id, request.query):
            # An unsigned, forged or expired link (reference.mdx, "Signed Attachment CDN URLs").
            raise web.HTTPNotFound(text=NO_LONGER_AVAILABLE)
        if stored.redirect_to is not None:
            raise web.HTTPFound(stored.redirect_to)
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})
