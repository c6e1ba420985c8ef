"""Gateway v10 over websocket: HELLO, heartbeats, IDENTIFY/RESUME, replay, RECONNECT, INVALID_SESSION."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .config import DoubleConfig
from .frames import FrameEncoder, encoder_for
from .gateway_payloads import guild_create_payloads, members_chunk, ready_payload
from .model import Intent
from .notify import ChangeNotifier
from .state import DoubleState

PRIVILEGED = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT
HELLO, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT, REQUEST_MEMBERS, INVALID, ACK = (
    10,
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    9,
    11,
)
PayloadBuilder = Callable[[int], dict[str, Any]]


@dataclass
class GatewayEvent:
    """One dispatch (op 0) of a session, kept for replay after a RESUME."""

    seq: int
    name: str
    data: dict[str, Any]
    sent_at: float | None = None

    def frame(self) -> dict[str, Any]:
        """The op 0 message."""
        return {"op": 0, "t": self.name, "s": self.seq, "d": self.data}


@dataclass
class ConnectionRecord:
    """What a test can check about one websocket connection."""

    path: str
    compression: str
    mode: str | None = None
    replayed: list[GatewayEvent] = field(default_factory=list)
    heartbeats: int = 0
    close_code: int | None = None
    closed_by_server: bool = False


@dataclass
class Session:
    """A gateway session: its intents and every dispatch so far."""

    id: str
    intents: int
    shard: tuple[int, int]
    events: list[GatewayEvent] = field(default_factory=list)
    connection: Connection | None = None

    def append(self, name: str, data: dict[str, Any]) -> GatewayEvent:
        """Add a dispatch with the next sequence number."""
        event = GatewayEvent(len(self.events) + 1, name, data)
        self.events.append(event)
        return event


class Connection:
    """One client websocket; sends are serialised so frames keep sequence order."""

    def __init__(self, ws: web.WebSocketResponse, encoder: FrameEncoder, record: ConnectionRecord) -> None:
        self.ws = ws
        self.encoder = encoder
        self.record = record
        self.session: Session | None = None
        self.next_index = 0
        self.established = False
        self._lock = asyncio.Lock()

    async def send_op(self, payload: dict[str, Any]) -> None:
        """Send a non-dispatch message."""
        async with self._lock:
            await self._write(payload)

    async def pump(self) -> None:
        """Send every dispatch of the session this connection has not sent yet, in order."""
        async with self._lock:
            session = self.session
            while (
                session is not None and session.connection is self and self.next_index < len(session.events)
            ):
                event = session.events[self.next_index]
                if event.sent_at is None:
                    event.sent_at = asyncio.get_running_loop().time()
                await self._write(event.frame())
                self.next_index += 1

    async def _write(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        frame = self.encoder.encode(json.dumps(payload, ensure_ascii=False))
        try:
            if isinstance(frame, str):
                await self.ws.send_str(frame)
            else:
                await self.ws.send_bytes(frame)
        except ConnectionResetError:
            # The client went away mid-send; the session keeps the event for a RESUME.
            return

    async def close(self, code: int, reason: str) -> None:
        """Close from the server side with a gateway close code."""
        self.record.closed_by_server = True
        self.record.close_code = code
        await self.ws.close(code=code, message=reason.encode())


class GatewayHub:
    """Accepts gateway connections and owns the sessions; the driver dispatches through it."""

    def __init__(self, state: DoubleState, config: DoubleConfig) -> None:
        self.state = state
        self.config = config
        self.resume_url = ""
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.connections: list[ConnectionRecord] = []
        self.identify_count = 0
        self.resume_count = 0
        self.notifier = ChangeNotifier()
        self._open: set[Connection] = set()

    @property
    def connected(self) -> bool:
        """Whether a client holds a live, identified or resumed connection."""
        session = self.current
        return session is not None and session.connection is not None and session.connection.established

    @property
    def intents(self) -> int:
        """The intents of the current session (0 when none)."""
        return self.current.intents if self.current else 0

    async def dispatch(
        self, name: str, build: PayloadBuilder, *, intent: int | None = None
    ) -> GatewayEvent | None:
        """Dispatch to the current session if its intents allow it; buffered while disconnected."""
        session = self.current
        if session is None or (intent is not None and not session.intents & intent):
            return None
        event = session.append(name, build(session.intents))
        if session.connection is not None:
            await session.connection.pump()
        return event

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The aiohttp websocket handler for ``/gateway`` and the resume URL."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        encoder = encoder_for(compress, honour_compression=self.config.honour_compression)
        connection = Connection(ws, encoder, ConnectionRecord(request.path, encoder.mode))
        self.connections.append(connection.record)
        self._open.add(connection)
        try:
            await self._serve(connection, request)
        finally:
            self._detach(connection)
            if not connection.record.closed_by_server:
                connection.record.close_code = ws.close_code
            self._open.discard(connection)
            self.notifier.notify()
        return ws

    async def _serve(self, connection: Connection, request: web.Request) -> None:
        if request.query.get("v") != "10":
            await connection.close(4012, "Invalid API version.")
            return
        if request.query.get("encoding", "json") != "json":
            await connection.close(4002, "Error while decoding payload.")
            return
        await connection.send_op(
            {"op": HELLO, "d": {"heartbeat_interval": self.config.heartbeat_interval_ms}}
        )
        async for message in connection.ws:
            if message.type is not WSMsgType.TEXT:
                await connection.close(4002, "Error while decoding payload.")
                return
            await self._on_message(connection, message.data)

    async def _on_message(self, connection: Connection, raw: str) -> None:
        try:
            payload = json.loads(raw)
            op, data = payload["op"], payload.get("d")
        except (ValueError, KeyError, TypeError):
            await connection.close(4002, "Error while decoding payload.")
            return
        if op == HEARTBEAT:
            connection.record.heartbeats += 1
            await connection.send_op({"op": ACK, "d": None})
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            await self._resume(connection, data or {})
        elif op in (PRESENCE, VOICE, REQUEST_MEMBERS):
            await self._authenticated_op(connection, op, data or {})
        else:
            await connection.close(4001, "Unknown opcode.")

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.config.token:
            await connection.close(4004, "Authentication failed.")
            return
        intents, shard = data.get("intents"), data.get("shard") or [0, 1]
        if not isinstance(intents, int) or intents < 0:
            await connection.close(4013, "Invalid intent(s).")
            return
        if intents & PRIVILEGED & ~self.state.portal.allowed_privileged_intents():
            await connection.close(4014, "Disallowed intent(s).")
            return
        if not _valid_shard(shard):
            await connection.close(4010, "Invalid shard.")
            return
        await self._start_session(connection, intents, (shard[0], shard[1]))

    async def _start_session(self, connection: Connection, intents: int, shard: tuple[int, int]) -> None:
        session = Session(secrets.token_hex(16), intents, shard)
        self.sessions[session.id] = session
        self.current = session
        self._attach(connection, session, next_index=0, mode="identify")
        self.identify_count += 1
        session.append("READY", ready_payload(self.state, session.id, shard, self.resume_url))
        for guild in guild_create_payloads(self.state, intents, shard):
            session.append("GUILD_CREATE", guild)
        await connection.pump()
        connection.established = True
        self.notifier.notify()

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.config.token:
            await connection.close(4004, "Authentication failed.")
            return
        session = self.sessions.get(str(data.get("session_id")))
        if session is None:
            await connection.send_op({"op": INVALID, "d": False})
            return
        seq = data.get("seq")
        if not isinstance(seq, int) or not 0 <= seq <= len(session.events):
            await connection.close(4007, "Invalid seq.")
            return
        await self._replay(connection, session, seq)

    async def _replay(self, connection: Connection, session: Session, seq: int) -> None:
        self.current = session
        self._attach(connection, session, next_index=seq, mode="resume")
        self.resume_count += 1
        connection.record.replayed = list(session.events[seq:])
        session.append("RESUMED", {})
        await connection.pump()
        connection.established = True
        self.notifier.notify()

    async def _authenticated_op(self, connection: Connection, op: int, data: dict[str, Any]) -> None:
        session = connection.session
        if session is None:
            await connection.close(4003, "Not authenticated.")
            return
        if op != REQUEST_MEMBERS:
            return
        wants_everyone = not data.get("query") and not data.get("user_ids")
        if wants_everyone and not session.intents & Intent.GUILD_MEMBERS:
            await connection.close(4013, "Invalid intent(s).")
            return
        session.append("GUILD_MEMBERS_CHUNK", members_chunk(self.state, data))
        await connection.pump()

    def _attach(self, connection: Connection, session: Session, *, next_index: int, mode: str) -> None:
        previous = session.connection
        if previous is not None and previous is not connection:
            previous.established = False
        session.connection = connection
        connection.session = session
        connection.next_index = next_index
        connection.record.mode = mode

    def _detach(self, connection: Connection) -> None:
        session = connection.session
        if session is not None and session.connection is connection:
            session.connection = None
        connection.established = False

    def _live(self) -> Connection:
        session = self.current
        if session is None or session.connection is None:
            raise RuntimeError("no gateway connection: the bot is not connected to the double")
        return session.connection

    async def force_reconnect(self) -> None:
        """Send op 7 RECONNECT; later dispatches are buffered until the client RESUMEs."""
        connection = self._live()
        self._detach(connection)
        await connection.send_op({"op": RECONNECT, "d": None})
        self.notifier.notify()

    async def invalidate_session(self, resumable: bool) -> None:
        """Send op 9; with ``resumable=False`` the session is gone and the client must IDENTIFY."""
        connection = self._live()
        self._detach(connection)
        if not resumable and connection.session is not None:
            self.sessions.pop(connection.session.id, None)
            self.current = None
        await connection.send_op({"op": INVALID, "d": resumable})
        self.notifier.notify()

    async def disconnect(self, code: int = 1001) -> None:
        """Drop the live connection with ``code``; the client reconnects and RESUMEs."""
        connection = self._live()
        self._detach(connection)
        await connection.close(code, "Closed by the double.")

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client is identified or resumed on a live connection."""
        await self.notifier.wait_for(lambda: self.connected, timeout, "a live gateway connection")

    async def wait_resumed(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` RESUMEs completed in total and the connection is live."""
        await self.notifier.wait_for(
            lambda: self.resume_count >= count and self.connected, timeout, f"{count} gateway RESUME(s)"
        )

    async def wait_identified(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` IDENTIFYs completed in total and the connection is live."""
        await self.notifier.wait_for(
            lambda: self.identify_count >= count and self.connected, timeout, f"{count} gateway IDENTIFY(s)"
        )

    async def wait_closed(self, timeout: float = 5.0) -> ConnectionRecord:
        """Wait until the most recent connection has closed and return its record."""
        return await self.notifier.wait_for(
            lambda: self.connections[-1] if self.connections and not self._open else None,
            timeout,
            "the gateway connection to close",
        )

    async def close_all(self) -> None:
        """Close every open connection (used when the double stops)."""
        for connection in list(self._open):
            self._detach(connection)
            await connection.close(1001, "The double is shutting down.")


def _valid_shard(shard: Any) -> bool:
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(x, int) for x in shard)
        and 0 <= shard[0] < shard[1]
    )
