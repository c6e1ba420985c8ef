"""Answers held back: a request takes effect at once, but its answer waits until the test lets it go.

On the real network the effect of a request (a message edited, already shown to every client) can be
visible well before its answer reaches the client that sent it, and other members act in that window.
``double.holds.hold(route)`` opens such a window deterministically for one route.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable

from aiohttp import web

from .wire import route_key

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ResponseHolds:
    """The routes whose answers wait, and how many answers wait on each now."""

    def __init__(self) -> None:
        self._gates: dict[str, asyncio.Event] = {}
        self.waiting: collections.Counter[str] = collections.Counter()
        self._changed = asyncio.Condition()

    def hold(self, route: str) -> None:
        """Hold the answers of ``route`` ("METHOD /template") from now on, after the request took effect."""
        self._gates[route] = asyncio.Event()

    def release(self, route: str) -> None:
        """Let every held answer of ``route`` go, and stop holding it."""
        gate = self._gates.pop(route, None)
        if gate is not None:
            gate.set()

    def release_all(self) -> None:
        """Let every held answer go (a double that stops must not leave a request hanging)."""
        for route in list(self._gates):
            self.release(route)

    async def wait_held(self, route: str, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` answers of ``route`` are held."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.waiting[route] >= count), timeout)

    def middleware(self) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        """An aiohttp middleware: the handler runs, then the answer waits while its route is held."""

        @web.middleware
        async def hold_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
            response = await handler(request)
            route = route_key(request)
            gate = self._gates.get(route) if route is not None else None
            if route is None or gate is None:
                return response
            await self._count(route, 1)
            try:
                await gate.wait()
            finally:
                await self._count(route, -1)
            return response

        return hold_answer

    async def _count(self, route: str, change: int) -> None:
        async with self._changed:
            self.waiting[route] += change
            self._changed.notify_all()
