"""A Discord that does not answer: a port that accepts and stays mute, and a gateway that goes quiet.

What an operator meets behind a firewall that lets the connection open and then drops everything, a
proxy that accepts and never forwards, or an outage on Discord's side: the connection opens and then
nothing comes back. Nothing here is a rule of Discord's: each server breaks one of its rules on
purpose, and the docstrings name the rule broken.

- ``MuteServer``: a TCP port on 127.0.0.1 that accepts, reads and never sends a byte. As
  ``DISCORD_API_BASE_URL`` the REST login hangs; as ``DISCORD_GATEWAY_URL`` the websocket upgrade
  does; as a ``DATABASE_URL`` host, the PostgreSQL start-up does.
- ``QuietGateway``: a websocket gateway that accepts the upgrade, then sends nothing (``hello=False``),
  or sends HELLO, acknowledges heartbeats and never READY (``hello=True``).

The REST double's own ``holds`` (``double.holds.hold("GET /users/@me")``) make one REST route hang
while the rest of the double answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Self

from aiohttp import WSMsgType, web

from .notify import ChangeNotifier

OP_HEARTBEAT, OP_IDENTIFY, OP_HELLO, OP_HEARTBEAT_ACK = 1, 2, 10, 11
HEARTBEAT_INTERVAL_MS = 41_250


class MuteServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts them for tests to wait on."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._changed = ChangeNotifier()

    def url(self, scheme: str = "http", path: str = "") -> str:
        """Return ``scheme://127.0.0.1:PORT`` followed by ``path``."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def wait_accepted(self, count: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``count`` connections were accepted in all."""
        await self._changed.wait_for(lambda: self.accepted >= count, timeout, f"{count} connections")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.accepted += 1
        self._changed.notify()
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):  # whatever comes is read, and never answered
                pass
        self._writers.discard(writer)
        writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None


class QuietGateway:
    """A gateway that accepts the websocket and then keeps quiet.

    Discord sends HELLO (op 10) as soon as the connection opens, and READY after a valid IDENTIFY
    (discord-api-docs, events/gateway.mdx, "Connecting" and "Identifying"); ``hello=False`` breaks the
    first, ``hello=True`` the second. Heartbeats are acknowledged (op 11) as Discord does ("Sending
    Heartbeats"), so only the missing READY is wrong. Frames are sent as text, which discord.py reads
    whatever compression it asked for.
    """

    def __init__(self, *, hello: bool) -> None:
        self.hello = hello
        self.port = 0
        self.connections = 0
        self.identifies = 0
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = ChangeNotifier()

    @property
    def url(self) -> str:
        """The value for ``DISCORD_GATEWAY_URL``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def wait_connected(self, count: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``count`` websockets were opened in all."""
        await self._changed.wait_for(lambda: self.connections >= count, timeout, f"{count} websockets")

    async def wait_identified(self, count: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``count`` IDENTIFYs arrived in all."""
        await self._changed.wait_for(lambda: self.identifies >= count, timeout, f"{count} IDENTIFYs")

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        self.connections += 1
        self._changed.notify()
        try:
            if self.hello:
                await socket.send_str(
                    json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
                )
            async for message in socket:
                if message.type is WSMsgType.TEXT:
                    await self._received(socket, json.loads(message.data))
        finally:
            self._sockets.discard(socket)
        return socket

    async def _received(self, socket: web.WebSocketResponse, payload: dict[str, object]) -> None:
        if not self.hello:
            return  # not even a heartbeat is answered before HELLO
        if payload.get("op") == OP_HEARTBEAT:
            await socket.send_str(json.dumps({"op": OP_HEARTBEAT_ACK}))
        elif payload.get("op") == OP_IDENTIFY:
            self.identifies += 1
            self._changed.notify()

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/gateway", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is None:
            return
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"The double is shutting down.")
        await self._runner.cleanup()
        self._runner = None
