"""Gateway sessions and connections of the Discord double: dispatches kept for replay, ordered sends."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .frames import FrameEncoder


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


def is_live(session: Session) -> bool:
    """Whether ``session`` has an identified or resumed connection that is open."""
    return session.connection is not None and session.connection.established
