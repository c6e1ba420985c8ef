"""The server command permissions Motionbot follows, cached per server and kept current from Discord.

``CommandGate`` reads each server's command permissions once (Get Guild Application Command
Permissions, through the ``fetch_server`` callable the Discord side gives it), keeps them in memory,
and applies each APPLICATION_COMMAND_PERMISSIONS_UPDATE the gateway delivers, so an admin's change
takes effect at the next click without a restart and without polling. A read is bounded by the
caller's budget: past it, or when Discord answers with an error, the answer is ``Access.UNKNOWN``
and the caller decides (Motionbot refuses: see ``docs/architecture.md``). The read itself goes on
in the background, owned here, so the next use finds the permissions.

Knows nothing of discord.py: ids, JSON-shaped payloads and ``bot.access.command_permissions`` records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from bot.access.command_permissions import (
    Access,
    Caller,
    CommandRef,
    Overwrites,
    ServerPermissions,
    evaluate,
    parse_server_permissions,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
FetchServer = Callable[[int], Awaitable[Sequence[Mapping[str, Any]]]]
FetchCommand = Callable[[], Awaitable[CommandRef]]


class CommandGate:
    """Answers "may this member use the governing command here?" from cached server permissions."""

    def __init__(self, application_id: int, fetch_server: FetchServer, fetch_command: FetchCommand) -> None:
        self.application_id = application_id
        self._fetch_server = fetch_server
        self._fetch_command = fetch_command
        self._servers: dict[int, ServerPermissions] = {}
        self._loading: dict[int, asyncio.Task[ServerPermissions]] = {}
        # Updates that arrived while a server's permissions were being read, applied over the answer.
        self._pending: dict[int, list[tuple[int, Overwrites]]] = {}
        self._command: CommandRef | None = None
        self._command_task: asyncio.Task[CommandRef] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def access(self, guild_id: int, caller: Caller, *, budget: float) -> Access:
        """Return what Discord's permissions say of ``caller`` here, reading them within ``budget`` s."""
        try:
            async with asyncio.timeout(budget):
                command = await self._command_ref()
                server = await self._server(guild_id)
        except TimeoutError:
            log.warning("command permissions of server %s not read within %g s", guild_id, budget)
            return Access.UNKNOWN
        except Exception as exc:
            log.warning("could not read the command permissions of server %s: %s", guild_id, exc)
            return Access.UNKNOWN
        return evaluate(server, command, caller)

    def updated(self, guild_id: int, target_id: int, overwrites: Overwrites) -> None:
        """Apply an APPLICATION_COMMAND_PERMISSIONS_UPDATE: ``target_id``'s overwrites are now these."""
        if guild_id in self._loading:
            self._pending.setdefault(guild_id, []).append((target_id, overwrites))
        known = self._servers.get(guild_id)
        if known is not None:
            self._servers[guild_id] = known.replaced(target_id, overwrites)

    def forget(self, which: Callable[[int], bool] = lambda _: True) -> None:
        """Drop what is known of the servers ``which`` picks (all by default); they are read again.

        For servers whose updates may have been missed (a new gateway session) or that were left.
        """
        for guild_id in [g for g in {*self._servers, *self._loading} if which(g)]:
            self._servers.pop(guild_id, None)
            self._loading.pop(guild_id, None)  # a read under way finishes without storing its answer
            self._pending.pop(guild_id, None)

    async def close(self) -> None:
        """Stop the reads under way and wait for them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _command_ref(self) -> CommandRef:
        if self._command is not None:
            return self._command
        if self._command_task is None or self._command_task.done():
            self._command_task = self._own(self._read_command())
        return await asyncio.shield(self._command_task)

    async def _read_command(self) -> CommandRef:
        self._command = await self._fetch_command()
        return self._command

    async def _server(self, guild_id: int) -> ServerPermissions:
        known = self._servers.get(guild_id)
        if known is not None:
            return known
        task = self._loading.get(guild_id)
        if task is None:
            task = self._own(self._read_server(guild_id))
            self._loading[guild_id] = task
        return await asyncio.shield(task)

    async def _read_server(self, guild_id: int) -> ServerPermissions:
        me = asyncio.current_task()
        try:
            payload = await self._fetch_server(guild_id)
            server = parse_server_permissions(guild_id, self.application_id, payload)
        finally:
            # Forgotten meanwhile (``forget``): the answer may predate missed updates, so it is not kept.
            current = self._loading.get(guild_id) is me
            if current:
                del self._loading[guild_id]
            late = self._pending.pop(guild_id, []) if current else []
        if current:
            for target_id, overwrites in late:
                server = server.replaced(target_id, overwrites)
            self._servers[guild_id] = server
        return server

    def _own(self, work: Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("a command permissions read failed", exc_info=task.exception())
