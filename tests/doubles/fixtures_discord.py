"""Pytest fixtures for the Discord double, and a helper that runs a discord.py bot against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import pytest
import yarl
from discord.ext import commands

from tests.doubles.discord import DiscordDouble


@pytest.fixture
async def discord_double() -> AsyncIterator[DiscordDouble]:
    """A started Discord double; discord.py's two global endpoints are restored afterwards."""
    route_base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordDouble() as double:
        try:
            yield double
        finally:
            discord.http.Route.BASE = route_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def point_discord_py_at(api_base_url: str, gateway_url: str) -> None:
    """Apply ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` exactly as Motionbot does."""
    discord.http.Route.BASE = api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextlib.asynccontextmanager
async def running_bot(
    bot: commands.Bot, double: DiscordDouble, *, token: str | None = None, timeout: float = 5.0
) -> AsyncIterator[commands.Bot]:
    """Start ``bot`` against ``double``, wait for ``on_ready``, and close it on exit.

    If ``bot.start()`` dies (a payload discord.py cannot parse kills the whole client), that error is raised,
    chained to whatever the test itself raised.
    """
    point_discord_py_at(double.api_base_url, double.gateway_url)
    became_ready = asyncio.Event()

    async def on_ready() -> None:
        became_ready.set()

    bot.add_listener(on_ready, "on_ready")
    task = asyncio.create_task(bot.start(token or double.token))
    try:
        await _wait_until_ready(task, became_ready, timeout)
        yield bot
    except BaseException as error:
        crash = await _stop(bot, task)
        if crash is not None and crash is not error:
            raise crash from error
        raise
    crash = await _stop(bot, task)
    if crash is not None:
        raise crash


async def _wait_until_ready(task: asyncio.Task[None], became_ready: asyncio.Event, timeout: float) -> None:
    ready = asyncio.create_task(became_ready.wait())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if task in done:
        task.result()
        raise RuntimeError("bot.start() returned before the bot was ready")
    if ready not in done:
        raise TimeoutError(f"the bot was not ready within {timeout} s")


async def _stop(bot: commands.Bot, task: asyncio.Task[None]) -> BaseException | None:
    await bot.close()
    outcome = (await asyncio.gather(task, return_exceptions=True))[0]
    if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
        return outcome
    return None
