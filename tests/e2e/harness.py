"""End-to-end harness: the real Motionbot (its composition root, setup_hook, cogs and tracker)
running against the Discord double and the CometAPI double, both on 127.0.0.1.

The bot is reached only through its settings (DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL,
COMETAPI_BASE_URL); nothing in the bot is patched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yarl import URL

from bot.__main__ import open_services
from bot.client import MotionBot
from bot.models import Job, JobStatus
from bot.settings import Settings, read_settings
from bot.store import JobStore, open_store
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Message, iter_components
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes

TEST_BOT_OPTIONS: dict[str, Any] = {"guild_ready_timeout": 0.1}
DEFERRED = 5  # interaction callback type DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
StoreOpener = Callable[[Settings], Awaitable[JobStore]]


async def final_answer(handle: Any) -> str:
    """Return the text the bot finally answered an interaction with.

    A settings change is answered with a deferral first and saved after; its answer is final (and the
    change stored) once the follow-up fills the deferred message in.
    """
    response = await handle.wait_response()
    if response.type == DEFERRED:
        return str((await handle.wait_original(lambda m: not m.loading)).content or "")
    return str(response.data.get("content") or "")


def cdn_http_host(discord: DiscordDouble) -> str:
    """Return the Discord double's ``host:port``: its CDN (``/cdn``) stands in for Discord's image hosts."""
    url = URL(discord.base_url)
    return f"{url.host}:{url.port}"


# Settings a test sets below what an admin may (a job timing out in a fraction of a second rather than
# a minute): applied after validation.
BELOW_ADMIN_RANGE = ("job_timeout_minutes", "consent_timeout_minutes")
# The operator's money budgets (issue 21) are off unless a test sets them: many tests and benchmarks run
# more videos than a person's or a server's default daily budget pays for; the budgets' own tests set
# them (tests/e2e/test_ledger_e2e.py).
NO_BUDGETS: dict[str, Any] = {
    f"budget_{scope}_{period}": None for scope in ("person", "server", "bot") for period in ("day", "month")
}
# The operator's budgets at their defaults (what .env.example shows), for the tests of the budgets.
DEFAULT_BUDGETS: dict[str, Any] = {name: Settings.model_fields[name].default for name in NO_BUDGETS}


def settings_for(discord: DiscordDouble, comet: CometAPIDouble, folder: Path, **overrides: Any) -> Settings:
    """Return settings pointing the bot at both doubles, with a database in ``folder``.

    ``database_url=<a postgres_url>`` among the overrides runs the bot on PostgreSQL instead.
    """
    values: dict[str, Any] = {
        "discord_token": discord.token,
        "cometapi_key": TEST_API_KEY,
        "cometapi_base_url": comet.base_url,
        "discord_api_base_url": discord.api_base_url,
        "discord_gateway_url": discord.gateway_url,
        "database_path": folder / "motionbot.sqlite3",
        "poll_interval_seconds": 0.05,
        "provider_timeout_seconds": 2,
        "provider_max_retries": 3,
        "card_edit_interval_seconds": 0.2,
        "image_http_hosts": cdn_http_host(discord),
        **NO_BUDGETS,
    }
    values.update(overrides)
    below_floor = {name: values.pop(name) for name in BELOW_ADMIN_RANGE if name in values}
    return read_settings(None, **values).model_copy(update=below_floor)


@dataclass
class World:
    """Both doubles and the running bot, with helpers to act and to wait."""

    discord: DiscordDouble
    comet: CometAPIDouble
    settings: Settings
    bot: MotionBot

    @property
    def store(self) -> JobStore:
        """The bot's own job store."""
        return self.bot.services.store

    async def animate(self, user: Any = None, image: bytes | None = None, **options: Any) -> Any:
        """Run /animate as ``user`` (alice by default) with a PNG attachment; return the handle.

        ``channel=`` runs it elsewhere than #general (a server on another shard, say).
        """
        locale = options.pop("locale", "en-US")
        channel = options.pop("channel", None)
        filename = options.pop("filename", "cat.png")
        content_type = options.pop("content_type", "image/png")
        attachment = (filename, png_bytes(width=256, height=256) if image is None else image, content_type)
        return await self.discord.slash(
            user or self.discord.alice,
            "animate",
            options,
            attachment=attachment,
            locale=locale,
            channel=channel,
        )

    async def wait_job(self, predicate: Callable[[Job], bool], timeout: float = 10.0) -> Job:
        """Wait until some stored job matches ``predicate``.

        The store has no change feed, so this re-reads it on a short tick until the deadline.
        """
        async with asyncio.timeout(timeout):
            while True:
                for job in await self.store.all_jobs():
                    if predicate(job):
                        return job
                await asyncio.sleep(0.02)

    async def wait_card(self, predicate: Callable[[Message], bool], timeout: float = 10.0) -> Message:
        """Wait for a bot message (new or edited) matching ``predicate``."""
        bot_id = self.discord.bot_user.id
        return await self.discord.wait_for_message(lambda m: m.author.id == bot_id and predicate(m), timeout)

    async def wait_delivered(self, job_id: int, timeout: float = 10.0) -> Job:
        """Wait until the job is stored as delivered."""
        return await self.wait_job(
            lambda job: job.id == job_id and job.status is JobStatus.DELIVERED, timeout
        )

    def hold_jobs(self) -> None:
        """Keep new jobs "sent, waiting" at the provider (nothing visible changes) until ``release``."""
        self.comet.default_plan = TaskPlan(duration=60, initial_fraction=0.5)

    def release(self, job: Job) -> None:
        """Have the provider finish ``job``'s task now."""
        assert job.provider_task_id is not None, "the job was not submitted yet"
        self.comet.finish(job.provider_task_id)


@contextlib.asynccontextmanager
async def running_motionbot(
    settings: Settings, discord: DiscordDouble, *, store_opener: StoreOpener = open_store
) -> AsyncIterator[MotionBot]:
    """Run Motionbot as its entry point does (services, bot, start) until the block exits."""
    services_opened = open_services(settings, store_opener=store_opener)
    async with services_opened as services, MotionBot(services, **TEST_BOT_OPTIONS) as bot:
        task = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        try:
            waiter = asyncio.create_task(wait_gateway(discord, settings))
            done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()
                raise RuntimeError("the bot stopped before the gateway was ready")
            await waiter
            await bot.wait_until_ready()
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def wait_gateway(discord: DiscordDouble, settings: Settings, timeout: float = 10.0) -> None:
    """Wait until the bot's shards are connected: its ``SHARD_IDS``, else every shard.

    The default allows for discord.py's 5 s pause before each IDENTIFY after the first.
    """
    if settings.shard_ids and settings.shard_count is not None:
        await discord.wait_shards(set(settings.shard_ids), settings.shard_count, timeout)
    else:
        await discord.wait_ready(timeout)


def budgeted_world(folder: Path, **overrides: Any) -> contextlib.AbstractAsyncContextManager[World]:
    """Return ``make_world`` with the operator's money budgets at their defaults (or as overridden)."""
    return make_world(folder, **{**DEFAULT_BUDGETS, **overrides})


@contextlib.asynccontextmanager
async def make_world(
    folder: Path, *, message_content: bool = True, store_opener: StoreOpener = open_store, **overrides: Any
) -> AsyncIterator[World]:
    """Start both doubles and the bot (on the store ``store_opener`` opens); stop everything on exit."""
    async with (
        DiscordDouble(message_content=message_content) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3)
        settings = settings_for(discord, comet, folder, **overrides)
        async with running_motionbot(settings, discord, store_opener=store_opener) as bot:
            yield World(discord=discord, comet=comet, settings=settings, bot=bot)


# -- reading a Components V2 card ---------------------------------------------------------------

TEXT_DISPLAY, MEDIA_GALLERY = 10, 12
CARD_PART_IDS = {
    "ready": 1,
    "title": 2,
    "state": 3,
    "fields": 4,
    "notes": 5,
    "extension": 6,
}  # cogs/cards/_layout.py


@dataclass(frozen=True)
class CardParts:
    """The parts of a job card (a V2 message), read back from its text displays by their ids."""

    ready: str
    title: str
    state: str
    fields: dict[str, str]
    notes: str
    extension: str


def _texts(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in iter_components(components) if c.get("type") == TEXT_DISPLAY]


def card_text(message: Any) -> str:
    """Return all the text of a V2 message (its text displays, in order), or a classic one's content."""
    components, content = _components_and_content(message)
    return "\n".join([content, *(str(c.get("content") or "") for c in _texts(components))]).strip()


def card_parts(message: Any) -> CardParts:
    """Return the ready line, title, state, fields (label -> value) and notes of a job card."""
    components, _ = _components_and_content(message)
    by_id = {c.get("id"): str(c.get("content") or "") for c in _texts(components)}
    part = {name: by_id.get(ident, "") for name, ident in CARD_PART_IDS.items()}
    notes = "\n".join(line.removeprefix("-# ") for line in part["notes"].splitlines())
    return CardParts(
        part["ready"],
        part["title"].removeprefix("### "),
        part["state"],
        _fields(part["fields"]),
        notes,
        part["extension"],
    )


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith("**") and ":** " in line:
            name, value = line[2:].split(":** ", 1)
            fields[name] = value
        elif name:  # a prompt's next line
            fields[name] += f"\n{line}"
    return fields


def gallery_files(message: Any) -> list[str]:
    """Return the attachment names a V2 message's media galleries show (``attachment://`` URLs)."""
    components, _ = _components_and_content(message)
    urls = [
        str(item.get("media", {}).get("url", ""))
        for gallery in iter_components(components)
        if gallery.get("type") == MEDIA_GALLERY
        for item in gallery.get("items", [])
    ]
    return [url.removeprefix("attachment://") for url in urls]


def _components_and_content(message: Any) -> tuple[list[dict[str, Any]], str]:
    """A stored message or one of its revisions, or a message JSON (an interaction response's ``data``)."""
    if isinstance(message, dict):
        return list(message.get("components") or []), str(message.get("content") or "")
    return list(message.components or []), str(message.content or "")


def uploads_per_file(discord: DiscordDouble) -> Counter[str]:
    """How many times the bot uploaded each file name (a file an edit keeps counts once)."""
    seen: set[int] = set()
    counts: Counter[str] = Counter()
    for message in discord.bot_messages():
        for revision in message.history:
            fresh = [stored for stored in revision.attachments if stored.id not in seen]
            seen.update(stored.id for stored in fresh)
            counts.update(stored.filename for stored in fresh)
    return counts
