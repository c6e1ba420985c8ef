"""The test driver: act as Discord users, control the gateway, and observe what the bot did."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .config import DoubleConfig
from .events import GatewayEvents
from .gateway import GatewayHub
from .installs import check_available
from .interaction_builder import InteractionBuilder
from .interactions import InteractionHandle
from .messages import MessageService
from .modals import ModalValue, submitted_components
from .model import Channel, Message, PortalSettings, RegisteredCommand, User
from .notify import ChangeNotifier
from .options import FileSpec, Resolver, build_options, first_attachment_option
from .ratelimit import RateLimiter
from .state import DoubleState
from .wire import RequestRecord
from .world_driver import WorldDriver

APPLICATION_COMMAND, COMPONENT, MODAL_SUBMIT = 2, 3, 5
BUTTON = 2
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
Age = datetime.timedelta | float | None


class Driver(WorldDriver):
    """Async test API: ``slash``, ``click``, ``post_message``, ``force_reconnect``, ``wait_for_message``..."""

    def __init__(
        self,
        state: DoubleState,
        hub: GatewayHub,
        events: GatewayEvents,
        messages: MessageService,
        limiter: RateLimiter,
        config: DoubleConfig,
        *,
        preferred_locale: str,
        premium_tier: int,
    ) -> None:
        super().__init__(state, events, preferred_locale=preferred_locale, premium_tier=premium_tier)
        self.hub = hub
        self.messages = messages
        self.limiter = limiter
        self.config = config
        self.requests: list[RequestRecord] = []
        self._requests_changed = ChangeNotifier()
        self._builder = InteractionBuilder(state, messages)

    # -- interactions ------------------------------------------------------------------------------

    async def slash(
        self,
        user: User,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        attachment: FileSpec | None = None,
        channel: Channel | None = None,
        locale: str = "en-US",
        age: Age = None,
        attachment_size_limit: int | None = None,
    ) -> InteractionHandle:
        """Invoke slash command ``name`` (``"cmd sub"`` for sub-commands) as ``user``; returns its handle."""
        channel = channel or self.general
        command_name, *path = name.split()
        command = self._command(command_name, CHAT_INPUT, channel)
        given = dict(options or {})
        if attachment is not None:
            given[first_attachment_option(command.payload.get("options") or [], path)] = attachment
        data = self._chat_input_data(command, path, given, channel)
        return await self._dispatch(
            APPLICATION_COMMAND, user, channel, data, locale=locale, age=age, size_limit=attachment_size_limit
        )

    def _chat_input_data(
        self, command: RegisteredCommand, path: list[str], given: dict[str, Any], channel: Channel
    ) -> dict[str, Any]:
        resolver = Resolver(self.state, channel)
        data: dict[str, Any] = {"id": str(command.id), "name": command.name, "type": CHAT_INPUT}
        built = build_options(command.payload.get("options") or [], path, given, resolver)
        if built:
            data["options"] = built
        return self._finish(data, command, resolver)

    async def message_command(
        self,
        user: User,
        name: str,
        target: Message,
        *,
        locale: str = "en-US",
        age: Age = None,
        attachment_size_limit: int | None = None,
    ) -> InteractionHandle:
        """Invoke message context-menu command ``name`` on ``target`` (content always included)."""
        channel = self.state.channels[target.channel_id]
        command = self._command(name, MESSAGE_COMMAND, channel)
        resolved = {"messages": {str(target.id): self.messages.render(target, privileged=True)}}
        data = {
            "id": str(command.id),
            "name": command.name,
            "type": MESSAGE_COMMAND,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        return await self._dispatch(
            APPLICATION_COMMAND,
            user,
            channel,
            self._finish(data, command, None),
            locale=locale,
            age=age,
            size_limit=attachment_size_limit,
        )

    async def user_command(
        self,
        user: User,
        name: str,
        target: User,
        *,
        channel: Channel | None = None,
        locale: str = "en-US",
        age: Age = None,
    ) -> InteractionHandle:
        """Invoke user context-menu command ``name`` on ``target``."""
        channel = channel or self.general
        command = self._command(name, USER_COMMAND, channel)
        resolver = Resolver(self.state, channel)
        data = {
            "id": str(command.id),
            "name": command.name,
            "type": USER_COMMAND,
            "target_id": resolver.user(target),
        }
        return await self._dispatch(
            APPLICATION_COMMAND,
            user,
            channel,
            self._finish(data, command, resolver),
            locale=locale,
            age=age,
            size_limit=None,
        )

    async def click(
        self,
        user: User,
        message: Message,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
        age: Age = None,
    ) -> InteractionHandle:
        """Click a button (or choose ``values`` in a select) on ``message``, echoing its components."""
        if message.deleted:
            raise LookupError(f"message {message.id} was deleted: nobody can click {custom_id!r} on it")
        component = message.find_component(custom_id)
        if component is None:
            raise LookupError(f"no component {custom_id!r} on message {message.id}: {message.custom_ids}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord users cannot use it")
        if (component["type"] != BUTTON) != (values is not None):
            raise ValueError("pass values= for a select menu, and only for a select menu")
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": component["type"],
            "id": component["id"],
        }
        if values is not None:
            data["values"] = list(values)
        channel = self.state.channels[message.channel_id]
        return await self._dispatch(
            COMPONENT, user, channel, data, locale=locale, age=age, size_limit=None, message=message
        )

    async def submit_modal(
        self,
        user: User,
        opened_by: InteractionHandle,
        values: Mapping[str, ModalValue] | None = None,
        *,
        files: Mapping[str, Sequence[FileSpec]] | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the modal the bot opened in answer to ``opened_by``, filled in by custom_id.

        ``values`` gives text inputs their text and selects their chosen values (prefills and
        default options otherwise); ``files`` uploads files into File Upload components: they go to
        the double's CDN and ``data.resolved.attachments``, as slash-command attachments do.
        """
        modal = opened_by.modal
        if modal is None:
            raise LookupError(f"the bot opened no modal for interaction {opened_by.id}")
        if user.id != opened_by.user.id:
            raise ValueError("only the member who opened a modal can submit it (Discord shows it to them)")
        resolver = Resolver(self.state, opened_by.channel)
        components = submitted_components(modal, values or {}, files or {}, resolver)
        data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": components}
        if resolver.resolved:
            data["resolved"] = resolver.resolved
        return await self._dispatch(
            MODAL_SUBMIT,
            user,
            opened_by.channel,
            data,
            locale=locale,
            age=None,
            size_limit=None,
            message=opened_by.source_message,
        )

    async def submit_stale_modal(
        self, user: User, custom_id: str, *, channel: Channel | None = None, locale: str = "en-US"
    ) -> InteractionHandle:
        """Submit a form by ``custom_id`` alone, with no answers, as only a forged client would.

        For a form the running bot never opened (one from before a restart) or one it has open.
        """
        data = {"custom_id": custom_id, "components": []}
        return await self._dispatch(
            MODAL_SUBMIT, user, channel or self.general, data, locale=locale, age=None, size_limit=None
        )

    def expire_interaction(self, interaction: InteractionHandle | str) -> None:
        """Back-date a token past its 15-minute lifetime: webhook calls now get 401/50027."""
        handle = (
            self.state.interactions_by_token[interaction] if isinstance(interaction, str) else interaction
        )
        handle.created_at -= self.config.token_lifetime + datetime.timedelta(seconds=1)

    def _registered(self, command_id: int) -> RegisteredCommand:
        scopes = [self.state.global_commands, *self.state.guild_commands.values()]
        return next(c for scope in scopes for c in scope.commands.values() if c.id == command_id)

    def _command(self, name: str, kind: int, channel: Channel) -> RegisteredCommand:
        command = self.state.find_command(name, kind, channel.guild_id)
        if command is None:
            raise LookupError(f"the bot registered no type-{kind} command named {name!r}")
        return command

    @staticmethod
    def _finish(
        data: dict[str, Any], command: RegisteredCommand, resolver: Resolver | None
    ) -> dict[str, Any]:
        if resolver is not None and resolver.resolved:
            data["resolved"] = {**data.get("resolved", {}), **resolver.resolved}
        if command.guild_id is not None:
            data["guild_id"] = str(command.guild_id)
        return data

    async def _dispatch(
        self,
        kind: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        *,
        locale: str,
        age: Age,
        size_limit: int | None,
        message: Message | None = None,
    ) -> InteractionHandle:
        if self.hub.session_for(channel.guild_id) is None:
            raise RuntimeError("no gateway session holds this guild's shard; await double.wait_ready() first")
        owners = None
        if kind == APPLICATION_COMMAND:
            # A client offers a command only where one of its installs reaches (installs.py), and
            # runs none the server's permissions refuse (a server that installed the app only).
            command = self._registered(int(data["id"])).payload
            if self.config.check_command_contexts:
                owners = check_available(self.state, user, channel, command)
            if (owners is None or "0" in owners) and not channel.is_dm:
                self.state.command_permissions.check_usable(self.state, user, channel, int(data["id"]))
        delta = datetime.timedelta(seconds=age) if isinstance(age, int | float) else age
        handle = self._builder.build(
            kind,
            user,
            channel,
            data,
            locale=locale,
            age=delta,
            size_limit=size_limit,
            message=message,
            owners=owners,
        )
        handle.event = await self.events.interaction_create(handle.payload)
        return handle

    # -- gateway control ---------------------------------------------------------------------------

    @property
    def gateway_connected(self) -> bool:
        """Whether every shard holds a live, identified or resumed gateway connection."""
        return self.hub.connected

    async def wait_ready(self, timeout: float = 5.0) -> None:
        """Wait until the bot is connected (READY or RESUMED sent)."""
        await self.hub.wait_connected(timeout)

    async def wait_resumed(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` RESUMEs happened in total."""
        await self.hub.wait_resumed(count, timeout)

    async def wait_identified(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` IDENTIFYs happened in total."""
        await self.hub.wait_identified(count, timeout)

    async def wait_shards(self, shard_ids: set[int], count: int, timeout: float = 5.0) -> None:
        """Wait until each of ``shard_ids`` (of ``count`` shards) holds a live gateway connection."""
        await self.hub.wait_shards(shard_ids, count, timeout)

    async def force_reconnect(self, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT (to the latest session, or shard ``shard_id``'s); dispatches are
        buffered and replayed after the client RESUMEs."""
        await self.hub.force_reconnect(shard_id)

    async def invalidate_session(self, resumable: bool, shard_id: int | None = None) -> None:
        """Send op 9 INVALID_SESSION with ``d = resumable``."""
        await self.hub.invalidate_session(resumable, shard_id)

    async def disconnect(self, code: int = 1001, shard_id: int | None = None) -> None:
        """Close the bot's websocket from the server side; it reconnects and RESUMEs."""
        await self.hub.disconnect(code, shard_id)

    # -- observation -------------------------------------------------------------------------------

    @property
    def portal(self) -> PortalSettings:
        """The Developer Portal toggles (privileged intents); change them at any time."""
        return self.state.portal

    @property
    def rate_limited_count(self) -> int:
        """How many 429s were served."""
        return self.limiter.rate_limited_count

    @property
    def route_counts(self) -> Counter[str]:
        """Requests per route key, e.g. ``"POST /channels/{channel_id}/messages"``."""
        return self.limiter.route_counts

    def inject_fault(
        self,
        route: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` requests on ``route`` with a 429 (with ``Via``) or a 5xx."""
        self.limiter.inject(route, status=status, times=times, retry_after=retry_after, is_global=is_global)

    def set_rate_limit(self, route: str, limit: int, per: float) -> None:
        """Configure the bucket of ``route``."""
        self.limiter.set_rule(route, limit, per)

    def record_request(self, record: RequestRecord) -> None:
        """Append to the request log (called by the middleware)."""
        self.requests.append(record)
        self._requests_changed.notify()

    def requests_to(self, route: str) -> list[RequestRecord]:
        """Logged requests whose route key is ``route``."""
        return [r for r in self.requests if r.route == route]

    async def wait_for_request(
        self, predicate: Callable[[RequestRecord], bool], timeout: float = 5.0
    ) -> RequestRecord:
        """Wait for a logged request matching ``predicate``."""
        return await self._requests_changed.wait_for(
            lambda: next((r for r in self.requests if predicate(r)), None), timeout, "a matching request"
        )

    async def wait_for_message(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        """Wait until any message (new or edited) matches ``predicate``; returns it."""
        return await self.state.notifier.wait_for(
            lambda: next((m for m in list(self.state.messages.values()) if predicate(m)), None),
            timeout,
            "a matching message",
        )

    def bot_messages(self, channel: Channel | None = None) -> list[Message]:
        """Messages the bot authored (ephemeral and deleted ones included), oldest first."""
        found = [m for m in self.state.messages.values() if m.author.id == self.state.bot_user.id]
        return [m for m in found if channel is None or m.channel_id == channel.id]
