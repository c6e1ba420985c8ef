"""Helpers for the command-line, health and log tests: a tiny Discord REST app and settings via env vars.

``FakeDiscordAPI`` answers the two read-only endpoints the command line uses (``/users/@me`` and
``/oauth2/applications/@me``) on 127.0.0.1, with ``Content-Type: application/json`` exactly, and 401
for any other token. Bind the fixtures in a test module (``cli_env = cli_support.cli_env``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.ops.logs import NOISY_LOGGERS
from bot.settings import Settings
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY

DISCORD_TOKEN = "MTIz.discord-test-token.0123456789abcdefghij"
APP_ID = 1234567890123456789
BOT_USER_ID = 1234567890123456780
MESSAGE_CONTENT = 1 << 18
MESSAGE_CONTENT_LIMITED = 1 << 19
SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields)


class FakeDiscordAPI:
    """A Discord REST stand-in for ``GET /users/@me`` and ``GET /oauth2/applications/@me``."""

    def __init__(self, token: str = DISCORD_TOKEN, *, flags: int = MESSAGE_CONTENT) -> None:
        self.token = token
        self.flags = flags
        self.requests: list[tuple[str, str]] = []
        self.base_url = ""
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        self._runner = web.AppRunner(app, access_log=None)

    @classmethod
    @contextlib.asynccontextmanager
    async def serve(cls, **kwargs: Any) -> AsyncIterator[FakeDiscordAPI]:
        """Listen on 127.0.0.1 (random port) for the duration of the ``async with``."""
        api = cls(**kwargs)
        await api._runner.setup()
        await web.TCPSite(api._runner, "127.0.0.1", 0).start()
        host, port = api._runner.addresses[0][:2]
        api.base_url = f"http://{host}:{port}/api/v10"
        try:
            yield api
        finally:
            await api._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        self.requests.append((request.path, header))
        return header == f"Bot {self.token}"

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json({"id": str(BOT_USER_ID), "username": "Motionbot", "discriminator": "0", "bot": True})

    async def _application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json({"id": str(APP_ID), "name": "Motionbot", "flags": self.flags, "bot_public": True})


def _json(payload: object, *, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(payload).encode(), status=status, headers={"Content-Type": "application/json"}
    )


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscordAPI]:
    """A started ``FakeDiscordAPI`` that accepts ``DISCORD_TOKEN`` and grants Message Content."""
    async with FakeDiscordAPI.serve() as api:
        yield api


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo what ``configure_logging`` (called by ``main``) does to the root and discord loggers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cometapi_double: CometAPIDouble,
    fake_discord: FakeDiscordAPI,
    restore_logging: None,
) -> Path:
    """Point every setting at the doubles and a fresh database; return an empty ``--env-file``."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", DISCORD_TOKEN)
    monkeypatch.setenv("COMETAPI_KEY", TEST_API_KEY)
    monkeypatch.setenv("COMETAPI_BASE_URL", cometapi_double.base_url)
    monkeypatch.setenv("DISCORD_API_BASE_URL", fake_discord.base_url)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "motionbot.sqlite3"))
    env_file = tmp_path / "settings.env"
    env_file.touch()
    return env_file
