"""REST routes for channels, channel messages and the bot's own reactions."""

from __future__ import annotations

from aiohttp import web

from .errors import DiscordAPIError, missing_access, missing_permissions, unknown_member
from .messages import MessageOrigin
from .model import MIB, Channel, Message, Perm
from .payloads import channel_json
from .rest_common import RestContext, channel_or_404, message_or_404, snowflake_param
from .snowflake import iso, utcnow
from .wire import json_response, no_content, read_body

DM_UPLOAD_LIMIT = 10 * MIB


class MessageRoutes:
    """``/channels/{channel_id}`` and its messages and reactions."""

    def __init__(self, ctx: RestContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def register(self, api: web.UrlDispatcher, prefix: str) -> None:
        """Add the routes under ``prefix``."""
        channel = f"{prefix}/channels/{{channel_id}}"
        message = f"{channel}/messages/{{message_id}}"
        api.add_get(channel, self.get_channel)
        api.add_get(f"{channel}/thread-members/{{user_id}}", self.get_thread_member)
        api.add_post(f"{channel}/typing", self.typing)
        api.add_get(f"{channel}/messages", self.list_messages)
        api.add_post(f"{channel}/messages", self.create_message)
        api.add_get(message, self.get_message)
        api.add_patch(message, self.edit_message)
        api.add_delete(message, self.delete_message)
        api.add_put(f"{message}/reactions/{{emoji}}/@me", self.add_reaction)
        api.add_delete(f"{message}/reactions/{{emoji}}/@me", self.remove_reaction)

    def _require(self, channel: Channel, *needed: int) -> None:
        granted = self.state.bot_permissions(channel)
        if not granted & Perm.VIEW_CHANNEL:
            raise missing_access()
        if any(not granted & bit for bit in needed):
            raise missing_permissions()

    def _privileged(self) -> bool:
        return self.state.portal.message_content

    async def get_channel(self, request: web.Request) -> web.Response:
        """A channel object."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel)
        return json_response(channel_json(channel))

    async def get_thread_member(self, request: web.Request) -> web.Response:
        """A thread member object, or 404 for a user not in the thread (docs: resources/channel.mdx,
        "Get Thread Member")."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel)
        user_id = snowflake_param(request, "user_id")
        if not channel.is_thread or user_id not in channel.thread_member_ids:
            raise unknown_member()
        member = {"id": str(channel.id), "user_id": str(user_id), "join_timestamp": iso(utcnow()), "flags": 0}
        return json_response(member)

    async def typing(self, request: web.Request) -> web.Response:
        """Trigger the typing indicator."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel, Perm.SEND_MESSAGES)
        return no_content()

    async def list_messages(self, request: web.Request) -> web.Response:
        """Messages newest first, honouring ``limit``, ``before`` and ``after``."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel, Perm.READ_MESSAGE_HISTORY)
        limit = _query_int(request, "limit", 50)
        if not 1 <= limit <= 100:
            raise DiscordAPIError(400, 50035, "Invalid Form Body", errors=_limit_error())
        visible = [m for m in channel.messages.values() if not m.deleted and not m.ephemeral]
        page = _page(visible, limit, *(_query_int(request, k, 0) for k in ("before", "after", "around")))
        return json_response(
            [self.ctx.messages.render(m, privileged=self._privileged()) for m in reversed(page)]
        )

    async def get_message(self, request: web.Request) -> web.Response:
        """One message; other users' content is hidden unless the portal toggle is on."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel, Perm.READ_MESSAGE_HISTORY)
        message = message_or_404(channel, snowflake_param(request, "message_id"))
        return json_response(self.ctx.messages.render(message, privileged=self._privileged()))

    async def create_message(self, request: web.Request) -> web.Response:
        """Send a message (JSON or multipart), with replies through ``message_reference``."""
        channel = channel_or_404(self.ctx, request)
        body = await read_body(request, self.ctx.config.max_request_bytes)
        self._check_can_send(channel, bool(body.uploads))
        message = self.ctx.messages.create(
            channel,
            body.as_dict(),
            body.uploads,
            MessageOrigin(self.state.bot_user),
            upload_limit=self._upload_limit(channel),
        )
        await self.ctx.events.message_create(message)
        return json_response(self.ctx.messages.render(message, privileged=True))

    def _check_can_send(self, channel: Channel, has_files: bool) -> None:
        if channel.is_dm:
            if channel.recipient is None or not channel.recipient.dms_open:
                raise DiscordAPIError(403, 50007, "Cannot send messages to this user")
            return
        self._require(channel, Perm.SEND_MESSAGES, *((Perm.ATTACH_FILES,) if has_files else ()))

    def _upload_limit(self, channel: Channel) -> int:
        guild = self.state.guild_of(channel)
        return guild.upload_limit if guild else DM_UPLOAD_LIMIT

    async def edit_message(self, request: web.Request) -> web.Response:
        """Edit one of the bot's messages (others' only to suppress embeds, with Manage Messages)."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel)
        message = message_or_404(channel, snowflake_param(request, "message_id"))
        body = await read_body(request, self.ctx.config.max_request_bytes)
        payload = body.as_dict()
        if message.author.id != self.state.bot_user.id:
            self._check_foreign_edit(channel, payload)
        self.ctx.messages.edit(message, payload, body.uploads, upload_limit=self._upload_limit(channel))
        await self.ctx.events.message_update(message)
        return json_response(self.ctx.messages.render(message, privileged=True))

    def _check_foreign_edit(self, channel: Channel, payload: dict[str, object]) -> None:
        if set(payload) - {"flags"}:
            raise DiscordAPIError(403, 50005, "Cannot edit a message authored by another user")
        self._require(channel, Perm.MANAGE_MESSAGES)

    async def delete_message(self, request: web.Request) -> web.Response:
        """Delete the bot's message, or anyone's with Manage Messages."""
        channel = channel_or_404(self.ctx, request)
        self._require(channel)
        message = message_or_404(channel, snowflake_param(request, "message_id"))
        if message.author.id != self.state.bot_user.id and not channel.is_dm:
            self._require(channel, Perm.MANAGE_MESSAGES)
        self.ctx.messages.delete(message)
        await self.ctx.events.message_delete(message)
        return no_content()

    def _reaction_target(self, request: web.Request) -> tuple[Channel, Message, str]:
        channel = channel_or_404(self.ctx, request)
        self._require(channel, Perm.READ_MESSAGE_HISTORY)
        message = message_or_404(channel, snowflake_param(request, "message_id"))
        emoji = request.match_info["emoji"]
        if ":" in emoji:
            # The double's guilds have no custom emojis.
            raise DiscordAPIError(400, 10014, "Unknown Emoji")
        return channel, message, emoji

    async def add_reaction(self, request: web.Request) -> web.Response:
        """The bot reacts (Add Reactions is needed only to start a new reaction)."""
        channel, message, emoji = self._reaction_target(request)
        users = message.reactions.setdefault(emoji, [])
        if not users:
            self._require(channel, Perm.ADD_REACTIONS)
        if self.state.bot_user.id not in users:
            users.append(self.state.bot_user.id)
            self.state.notifier.notify()
            await self.ctx.events.reaction(message, self.state.bot_user, emoji, added=True)
        return no_content()

    async def remove_reaction(self, request: web.Request) -> web.Response:
        """The bot removes its reaction."""
        _, message, emoji = self._reaction_target(request)
        users = message.reactions.get(emoji, [])
        if self.state.bot_user.id in users:
            users.remove(self.state.bot_user.id)
            self.state.notifier.notify()
            await self.ctx.events.reaction(message, self.state.bot_user, emoji, added=False)
        return no_content()


def _page(oldest_first: list[Message], limit: int, before: int, after: int, around: int) -> list[Message]:
    """Discord's paging: ``after`` takes the nearest newer messages, otherwise the nearest older ones."""
    if around:
        newer = [m for m in oldest_first if m.id >= around][: (limit + 1) // 2]
        older = [m for m in oldest_first if m.id < around]
        return older[max(0, len(older) - (limit - len(newer))) :] + newer
    window = [m for m in oldest_first if m.id > after and (not before or m.id < before)]
    return window[:limit] if after and not before else window[-limit:]


def _query_int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        errors = {
            name: {"_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{raw}" is not int.'}]}
        }
        raise DiscordAPIError(400, 50035, "Invalid Form Body", errors=errors)
    return int(raw)


def _limit_error() -> dict[str, object]:
    return {
        "limit": {
            "_errors": [{"code": "NUMBER_TYPE_MAX", "message": "int value should be between 1 and 100."}]
        }
    }
