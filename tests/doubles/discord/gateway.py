"""Gateway v10 over websocket: HELLO, heartbeats, IDENTIFY/RESUME, replay, RECONNECT, INVALID_SESSION."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from .config import DoubleConfig
from .frames import encoder_for
from .gateway_payloads import guild_create_payloads, in_shard, members_chunk, ready_payload
from .gateway_session import Connection, ConnectionRecord, GatewayEvent, Session, is_live
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
__all__ = ["Connection", "ConnectionRecord", "GatewayEvent", "GatewayHub", "Session"]


class GatewayHub:
    """Accepts gateway connections and owns the sessions; the driver dispatches through it."""

    def __init__(self, state: DoubleState, config: DoubleConfig) -> None:
        self.state = state
        self.config = config
        self.resume_url = ""
        self.sessions: dict[str, Session] = {}
        # The session each shard id's events go to; all of one shard count (the latest IDENTIFY's).
        self.shard_sessions: dict[int, Session] = {}
        self.current: Session | None = None
        self.connections: list[ConnectionRecord] = []
        self.identify_count = 0
        self.resume_count = 0
        self.notifier = ChangeNotifier()
        self._open: set[Connection] = set()

    @property
    def connected(self) -> bool:
        """Whether every shard of the current shard count has a live, identified or resumed connection."""
        sessions = self.shard_sessions
        if not sessions:
            return False
        count = next(iter(sessions.values())).shard[1]
        return set(sessions) == set(range(count)) and all(map(is_live, sessions.values()))

    def shard_connected(self, shard_id: int) -> bool:
        """Whether shard ``shard_id`` has a live, identified or resumed connection."""
        session = self.shard_sessions.get(shard_id)
        return session is not None and is_live(session)

    @property
    def shard_count(self) -> int | None:
        """The shard count of the current sessions (None before any IDENTIFY)."""
        return next((s.shard[1] for s in self.shard_sessions.values()), None)

    def session_for(self, guild_id: int | None) -> Session | None:
        """The session whose shard receives ``guild_id``'s events (DMs, ``None``, go to shard 0)."""
        return next((s for s in self.shard_sessions.values() if in_shard(guild_id or 0, s.shard)), None)

    @property
    def intents(self) -> int:
        """The intents of the current session (0 when none)."""
        return self.current.intents if self.current else 0

    async def dispatch(
        self, name: str, build: PayloadBuilder, *, guild_id: int | None = None, intent: int | None = None
    ) -> GatewayEvent | None:
        """Dispatch to the session of ``guild_id``'s shard if its intents allow it; buffered while
        that shard is disconnected, dropped when no session holds the shard."""
        session = self.session_for(guild_id)
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
        if self._guilds_in(shard) > self.config.max_guilds_per_shard:
            await connection.close(4011, "Sharding required.")
            return
        await self._start_session(connection, intents, (shard[0], shard[1]))

    async def _start_session(self, connection: Connection, intents: int, shard: tuple[int, int]) -> None:
        session = Session(secrets.token_hex(16), intents, shard)
        self.sessions[session.id] = session
        self._make_current(session)
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

    def _guilds_in(self, shard: list[int]) -> int:
        return sum(1 for guild_id in self.state.guilds if in_shard(guild_id, (shard[0], shard[1])))

    def _make_current(self, session: Session) -> None:
        """Route ``session``'s shard to it; sessions of another shard count belong to an older layout."""
        shard_id, count = session.shard
        self.shard_sessions = {i: s for i, s in self.shard_sessions.items() if s.shard[1] == count}
        self.shard_sessions[shard_id] = session
        self.current = session

    async def _replay(self, connection: Connection, session: Session, seq: int) -> None:
        self._make_current(session)
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

    def _live(self, shard_id: int | None) -> Connection:
        session = self.current if shard_id is None else self.shard_sessions.get(shard_id)
        if session is None or session.connection is None:
            raise RuntimeError("no gateway connection: the bot is not connected to the double")
        return session.connection

    async def force_reconnect(self, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT (to the latest session, or shard ``shard_id``'s); later dispatches are
        buffered until the client RESUMEs."""
        connection = self._live(shard_id)
        self._detach(connection)
        await connection.send_op({"op": RECONNECT, "d": None})
        self.notifier.notify()

    async def invalidate_session(self, resumable: bool, shard_id: int | None = None) -> None:
        """Send op 9; with ``resumable=False`` the session is gone and the client must IDENTIFY."""
        connection = self._live(shard_id)
        self._detach(connection)
        session = connection.session
        if not resumable and session is not None:
            self.sessions.pop(session.id, None)
            if self.shard_sessions.get(session.shard[0]) is session:
                del self.shard_sessions[session.shard[0]]
            if self.current is session:
                self.current = None
        await connection.send_op({"op": INVALID, "d": resumable})
        self.notifier.notify()

    async def disconnect(self, code: int = 1001, shard_id: int | None = None) -> None:
        """Drop the live connection with ``code``; the client reconnects and RESUMEs."""
        connection = self._live(shard_id)
        self._detach(connection)
        await connection.close(code, "Closed by the double.")

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client is identified or resumed on a live connection."""
        await self.notifier.wait_for(lambda: self.connected, timeout, "a live gateway connection")

    async def wait_shards(self, shard_ids: set[int], count: int, timeout: float = 5.0) -> None:
        """Wait until each of ``shard_ids`` (of ``count`` shards) has a live connection."""
        await self.notifier.wait_for(
            lambda: self.shard_count == count and all(map(self.shard_connected, shard_ids)),
            timeout,
            f"live gateway connections for shards {sorted(shard_ids)} of {count}",
        )

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
