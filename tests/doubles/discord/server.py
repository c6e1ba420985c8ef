"""The Discord double: an aiohttp app on 127.0.0.1 serving REST v10, the gateway and a CDN."""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from .command_permissions_driver import CommandPermissionsDriver
from .config import DoubleConfig
from .driver import Driver
from .events import GatewayEvents
from .gateway import GatewayHub
from .holds import ResponseHolds
from .media_proxy import ROUTE as MEDIA_PROXY_ROUTE
from .media_proxy import MediaProxy
from .messages import MessageService
from .model import MIB, PortalSettings
from .ratelimit import RateLimiter
from .rest_app import AppRoutes
from .rest_command_permissions import CommandPermissionRoutes
from .rest_common import RestContext
from .rest_interactions import InteractionRoutes
from .rest_messages import MessageRoutes
from .spec import SpecGuard
from .state import DoubleState
from .wire import API_PREFIX, make_middleware

CLIENT_MAX_SIZE = 64 * MIB


class DiscordDouble(CommandPermissionsDriver, Driver):
    """A protocol-level Discord that the real discord.py connects to; also the test driver.

    Use ``async with DiscordDouble() as double:`` (or ``await start()`` / ``await stop()``), then point
    discord.py at ``double.api_base_url`` and ``double.gateway_url``.
    """

    def __init__(
        self,
        config: DoubleConfig | None = None,
        *,
        message_content: bool | None = None,
        members: bool | None = None,
        presences: bool | None = None,
        preferred_locale: str = "en-US",
        premium_tier: int = 0,
    ) -> None:
        config = config or DoubleConfig()
        config.portal = _portal(config.portal, message_content, members, presences)
        state = DoubleState(portal=config.portal, bot_name=config.bot_name)
        hub = GatewayHub(state, config)
        messages = MessageService(state)
        events = GatewayEvents(hub, state, messages)
        super().__init__(
            state,
            hub,
            events,
            messages,
            RateLimiter(),
            config,
            preferred_locale=preferred_locale,
            premium_tier=premium_tier,
        )
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.media_proxy = MediaProxy()
        self.spec = SpecGuard()
        self.holds = ResponseHolds()

    @property
    def token(self) -> str:
        """The only bot token the double accepts."""
        return self.config.token

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def proxied(self, original: str) -> str:
        """Return the media proxy URL Discord gives an embed image at ``original`` (see media_proxy)."""
        return self.media_proxy.url_for(original)

    def expire_attachment_links(self, hours: int = 25) -> None:
        """Move the CDN's link clock on (a day by default): every attachment URL handed out so far
        expires; a message read again carries fresh ones (``cdn_links``)."""
        self.state.cdn_links.advance(hours * 60 * 60)

    @property
    def api_base_url(self) -> str:
        """The value for ``DISCORD_API_BASE_URL`` / ``discord.http.Route.BASE``."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The value for ``DISCORD_GATEWAY_URL`` / ``DiscordWebSocket.DEFAULT_GATEWAY``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _build_app(self) -> web.Application:
        clock = asyncio.get_running_loop().time
        middleware = make_middleware(self.limiter, lambda: self.config.token, self.record_request, clock)
        # The spec check runs inside the outer middleware: after auth and rate limits, as on Discord.
        check_body = self.spec.middleware(lambda: self.config.max_request_bytes)
        middlewares = [middleware, check_body, self.holds.middleware()]
        app = web.Application(client_max_size=CLIENT_MAX_SIZE, middlewares=middlewares)
        ctx = RestContext(self.state, self.config, self.messages, self.events)
        interactions = InteractionRoutes(ctx)
        self.spec.on_refusal = interactions.record_refusal
        for group in (AppRoutes(ctx), MessageRoutes(ctx), interactions, CommandPermissionRoutes(ctx)):
            group.register(app.router, API_PREFIX)
        app.router.add_get(MEDIA_PROXY_ROUTE, self.media_proxy.handle)
        app.router.add_get("/gateway", self.hub.handle)
        app.router.add_get("/gateway/resume", self.hub.handle)
        return app

    async def start(self) -> None:
        """Listen on a random port of 127.0.0.1."""
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.state.cdn_base = f"{self.base_url}/cdn"
        self.media_proxy.base_url = self.base_url
        self.hub.resume_url = f"ws://127.0.0.1:{self.port}/gateway/resume"

    async def stop(self) -> None:
        """Close gateway connections and stop listening; then fail on any spec violation no test took."""
        if self._runner is None:
            return
        self.holds.release_all()
        await self.hub.close_all()
        await self._runner.cleanup()
        self._runner = None
        self.spec.raise_if_violated()

    async def __aenter__(self) -> DiscordDouble:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def _portal(
    base: PortalSettings, message_content: bool | None, members: bool | None, presences: bool | None
) -> PortalSettings:
    return PortalSettings(
        message_content=base.message_content if message_content is None else message_content,
        members=base.members if members is None else members,
        presences=base.presences if presences is None else presences,
    )
