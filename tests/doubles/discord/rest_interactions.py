"""Interaction callbacks and the interaction webhook (``@original`` and follow-ups)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .components import assign_component_ids
from .errors import (
    DiscordAPIError,
    FormErrors,
    already_acknowledged,
    invalid_webhook_token,
    too_many_followups,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from .installs import USER_INSTALL_MAX_FOLLOWUPS
from .interactions import CallbackRecord, InteractionHandle
from .limits import INTERACTION_FLAGS, validate_modal
from .messages import MessageOrigin
from .model import Message, MessageFlag
from .payloads import user_json
from .rest_common import RestContext, snowflake_param
from .wire import RequestBody, json_response, no_content, read_body

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
MESSAGE_TYPES = {1: 20, 2: 23, 3: 23}  # command type -> CHAT_INPUT_COMMAND / CONTEXT_MENU_COMMAND
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


class InteractionRoutes:
    """``POST /interactions/{id}/{token}/callback`` and ``/webhooks/{application_id}/{token}...``."""

    def __init__(self, ctx: RestContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def register(self, api: web.UrlDispatcher, prefix: str) -> None:
        """Add the routes under ``prefix`` (``@original`` before ``{message_id}``)."""
        webhook = f"{prefix}/webhooks/{{webhook_id}}/{{token}}"
        api.add_post(f"{prefix}/interactions/{{interaction_id}}/{{token}}/callback", self.callback)
        api.add_post(webhook, self.followup)
        for target in ("@original", "{message_id}"):
            api.add_get(f"{webhook}/messages/{target}", self.get_message)
            api.add_patch(f"{webhook}/messages/{target}", self.edit_message)
            api.add_delete(f"{webhook}/messages/{target}", self.delete_message)

    async def callback(self, request: web.Request) -> web.Response:
        """The initial response: 3 s deadline (10062), once only (40060), types per interaction type."""
        handle, latency = self._live_handle(request)
        body = await read_body(request, self.ctx.config.max_request_bytes)
        payload = body.as_dict()
        try:
            self._check_callback(handle, payload.get("type"), latency)
        except DiscordAPIError as error:
            self._record(handle, payload, body, latency, error.status, error.code)
            raise
        handle.responding = True  # claimed before any await, so a concurrent second answer gets 40060
        try:
            result = await self._respond(handle, payload, body)
        except DiscordAPIError as error:
            handle.responding = False
            self._record(handle, payload, body, latency, error.status, error.code)
            raise
        self._record(handle, payload, body, latency, 200, None)
        return json_response(result)

    def _live_handle(self, request: web.Request) -> tuple[InteractionHandle, float]:
        """The interaction a callback answers and the time since it was dispatched (404/10062 if none)."""
        handle = self.state.interactions.get(snowflake_param(request, "interaction_id"))
        if handle is None or handle.token != request.match_info["token"] or handle.dispatched_at is None:
            raise unknown_interaction()
        return handle, asyncio.get_running_loop().time() - handle.dispatched_at

    def record_refusal(self, request: web.Request, body: RequestBody, error: DiscordAPIError) -> None:
        """Record a callback refused before its handler ran (the spec check) as an attempt, like any other."""
        if request.match_info.handler != self.callback:
            return
        try:
            handle, latency = self._live_handle(request)
        except DiscordAPIError:
            return
        payload = body.payload if isinstance(body.payload, dict) else {}
        self._record(handle, payload, body, latency, error.status, error.code)

    def _check_callback(self, handle: InteractionHandle, kind: Any, latency: float) -> None:
        if handle.acknowledged or handle.responding:
            raise already_acknowledged()
        if latency > self.ctx.config.response_deadline:
            raise unknown_interaction()
        _check_callback_type(handle, kind)

    def _record(
        self,
        handle: InteractionHandle,
        payload: dict[str, Any],
        body: RequestBody,
        latency: float,
        status: int,
        code: int | None,
    ) -> None:
        kind = payload.get("type")
        record = CallbackRecord(
            kind if isinstance(kind, int) else None, payload, body.uploads, status, code, latency
        )
        handle.record_attempt(record)

    async def _respond(
        self, handle: InteractionHandle, payload: dict[str, Any], body: RequestBody
    ) -> dict[str, Any]:
        kind = payload.get("type")
        data = payload.get("data") or {}
        if kind == 4:
            return await self._reply(handle, data, body)
        if kind == 5:
            return await self._defer(handle, data)
        if kind == 7:
            return await self._update(handle, data, body)
        if kind == 9:
            return self._modal(handle, data)
        handle.original_message_id = handle.source_message.id if handle.source_message else None
        return {"interaction": self._interaction_json(handle), "resource": {"type": kind}}

    async def _reply(
        self, handle: InteractionHandle, data: dict[str, Any], body: RequestBody
    ) -> dict[str, Any]:
        message = self.ctx.messages.create(
            handle.channel,
            data,
            body.uploads,
            self._origin(handle, INTERACTION_FLAGS, 0),
            upload_limit=handle.attachment_size_limit,
            prefix=("data",),
        )
        handle.original_message_id = message.id
        await self.ctx.events.message_create(message)
        return self._message_result(handle, 4, message)

    async def _defer(self, handle: InteractionHandle, data: dict[str, Any]) -> dict[str, Any]:
        requested = data.get("flags")
        ephemeral = isinstance(requested, int) and bool(requested & MessageFlag.EPHEMERAL)
        flags = MessageFlag.LOADING | (MessageFlag.EPHEMERAL if ephemeral else 0)
        origin = self._origin(handle, 0, flags)
        message = Message(
            id=self.state.ids.next(),
            channel_id=handle.channel.id,
            guild_id=handle.channel.guild_id,
            author=self.state.bot_user,
            flags=flags,
            type=origin.type,
            webhook_id=origin.webhook_id,
            application_id=self.state.application_id,
            interaction_metadata=origin.interaction_metadata,
            interaction_legacy=origin.interaction_legacy,
        )
        self.state.add_message(handle.channel, message)
        handle.original_message_id = message.id
        handle.awaiting_deferred_followup = True
        await self.ctx.events.message_create(message)
        return {"interaction": self._interaction_json(handle), "resource": {"type": 5}}

    async def _update(
        self, handle: InteractionHandle, data: dict[str, Any], body: RequestBody
    ) -> dict[str, Any]:
        source = handle.source_message
        if source is None or source.deleted:
            raise unknown_message()
        self.ctx.messages.edit(
            source,
            data,
            body.uploads,
            upload_limit=handle.attachment_size_limit,
            prefix=("data",),
            webhook=True,
        )
        handle.original_message_id = source.id
        await self.ctx.events.message_update(source)
        return self._message_result(handle, 7, source)

    def _modal(self, handle: InteractionHandle, data: dict[str, Any]) -> dict[str, Any]:
        errors = FormErrors(("data",))
        validate_modal(data, errors)
        errors.raise_if_any()
        assign_component_ids(data["components"])  # as Discord does; a submit echoes them
        handle.modal = data
        return {"interaction": self._interaction_json(handle), "resource": {"type": 9}}

    def _message_result(self, handle: InteractionHandle, kind: int, message: Message) -> dict[str, Any]:
        rendered = self.ctx.messages.render(message, privileged=True)
        return {
            "interaction": self._interaction_json(handle),
            "resource": {"type": kind, "message": rendered},
        }

    def _interaction_json(self, handle: InteractionHandle) -> dict[str, Any]:
        result: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        message = handle.original_message
        if message is not None:
            result["response_message_id"] = str(message.id)
            result["response_message_loading"] = message.loading
            result["response_message_ephemeral"] = message.ephemeral
        return result

    def _origin(self, handle: InteractionHandle, allowed: int, forced: int) -> MessageOrigin:
        data = handle.data
        kind = MESSAGE_TYPES.get(int(data.get("type", 1)), 0) if handle.type == APPLICATION_COMMAND else 0
        return MessageOrigin(
            self.state.bot_user,
            type=kind,
            allowed_flags=allowed,
            forced_flags=forced,
            webhook_id=self.state.application_id,
            interaction_metadata=self._metadata(handle),
            interaction_legacy=self._legacy(handle),
        )

    def _metadata(self, handle: InteractionHandle) -> dict[str, Any]:
        data = handle.data
        meta: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "user": user_json(handle.user),
            "authorizing_integration_owners": handle.payload.get("authorizing_integration_owners", {}),
        }
        if handle.type == APPLICATION_COMMAND:
            meta.update(name=data.get("name"), command_type=data.get("type", 1))
            target = data.get("target_id")
            if target is not None and data.get("type") == 3:
                meta["target_message_id"] = target
            elif target is not None:
                meta["target_user"] = data["resolved"]["users"][target]
        elif handle.source_message is not None:
            meta["interacted_message_id"] = str(handle.source_message.id)
        if handle.original_message_id is not None:
            meta["original_response_message_id"] = str(handle.original_message_id)
        return meta

    def _legacy(self, handle: InteractionHandle) -> dict[str, Any] | None:
        if handle.type != APPLICATION_COMMAND:
            return None
        return {
            "id": str(handle.id),
            "type": handle.type,
            "name": handle.data.get("name", ""),
            "user": user_json(handle.user),
        }

    def _webhook_handle(self, request: web.Request) -> InteractionHandle:
        if snowflake_param(request, "webhook_id") != self.state.application_id:
            raise unknown_webhook()
        handle = self.state.interactions_by_token.get(request.match_info["token"])
        if handle is None:
            raise unknown_webhook()
        if self.state.age_of(handle) > self.ctx.config.token_lifetime:
            raise invalid_webhook_token()
        if not handle.acknowledged:
            raise unknown_webhook()
        return handle

    def _target(self, request: web.Request, handle: InteractionHandle) -> Message:
        if "message_id" in request.match_info:
            message_id = snowflake_param(request, "message_id")
            allowed = {handle.original_message_id, *handle.followup_ids}
            message = handle.channel.messages.get(message_id) if message_id in allowed else None
        else:
            message = handle.original_message
        if message is None or message.deleted:
            raise unknown_message()
        return message

    async def followup(self, request: web.Request) -> web.Response:
        """A follow-up; the first one after a type-5 defer fills in the loading message instead."""
        handle = self._webhook_handle(request)
        body = await read_body(request, self.ctx.config.max_request_bytes)
        message = await self._fill_or_create(handle, body)
        handle.changed()
        if request.query.get("wait", "false").lower() not in ("1", "true"):
            return no_content()
        return json_response(self.ctx.messages.render(message, privileged=True))

    async def _fill_or_create(self, handle: InteractionHandle, body: RequestBody) -> Message:
        original = handle.original_message
        if (
            handle.awaiting_deferred_followup
            and original is not None
            and original.loading
            and not original.deleted
        ):
            # Discord: the first follow-up after a type-5 defer edits the loading message; flags are ignored.
            # Once the bot deleted that message, a follow-up is a new message that keeps its flags.
            payload = {k: v for k, v in body.as_dict().items() if k != "flags"}
            self._edit(handle, original, payload, body)
            await self.ctx.events.message_update(original)
            return original
        if handle.user_install_only and len(handle.followup_ids) >= USER_INSTALL_MAX_FOLLOWUPS:
            raise too_many_followups()  # change log 2024-06-27, user-installed apps GA
        message = self.ctx.messages.create(
            handle.channel,
            body.as_dict(),
            body.uploads,
            self._origin(handle, INTERACTION_FLAGS, 0),
            upload_limit=handle.attachment_size_limit,
        )
        handle.followup_ids.append(message.id)
        await self.ctx.events.message_create(message)
        return message

    def _edit(
        self, handle: InteractionHandle, message: Message, payload: dict[str, Any], body: RequestBody
    ) -> Message:
        self.ctx.messages.edit(
            message, payload, body.uploads, upload_limit=handle.attachment_size_limit, webhook=True
        )
        if message.id == handle.original_message_id:
            handle.awaiting_deferred_followup = False
        handle.changed()
        return message

    async def get_message(self, request: web.Request) -> web.Response:
        """``GET`` the original response or a follow-up."""
        handle = self._webhook_handle(request)
        return json_response(self.ctx.messages.render(self._target(request, handle), privileged=True))

    async def edit_message(self, request: web.Request) -> web.Response:
        """``PATCH`` the original response or a follow-up (v10 attachment semantics)."""
        handle = self._webhook_handle(request)
        message = self._target(request, handle)
        body = await read_body(request, self.ctx.config.max_request_bytes)
        self._edit(handle, message, body.as_dict(), body)
        await self.ctx.events.message_update(message)
        return json_response(self.ctx.messages.render(message, privileged=True))

    async def delete_message(self, request: web.Request) -> web.Response:
        """``DELETE`` the original response or a follow-up."""
        handle = self._webhook_handle(request)
        message = self._target(request, handle)
        self.ctx.messages.delete(message)
        handle.changed()
        await self.ctx.events.message_delete(message)
        return no_content()


def _check_callback_type(handle: InteractionHandle, kind: Any) -> None:
    """Types 6 and 7 need a message to update; 8 is for autocomplete only; 9 never answers a modal."""
    allowed = ALLOWED_CALLBACKS.get(handle.type, set())
    if kind in allowed and (kind not in (6, 7) or handle.source_message is not None):
        return
    errors = FormErrors()
    errors.add(("type",), "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid interaction callback type")
    errors.raise_if_any()
