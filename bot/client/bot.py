"""The Discord client: MotionBot owns the core services and loads the cogs in ``setup_hook``."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.cli import GATEWAY_FIX, REST_FIX, START_GAVE_UP, START_WAIT_WARNING
from bot.client import command_scopes
from bot.client.services import Services
from bot.client.translator import CatalogueTranslator
from bot.client.tree import MotionTree
from bot.ops import WaitWatch, trace_waits
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.command_access",
    "cogs.triggers",
    "cogs.cards",
    "cogs.buttons",
    "cogs.commands",
    "cogs.alerts",
)
EXTENSION_PACKAGE = "cogs"  # every extension lives under it
COMMAND_HASH_KEY = "command_hash"


def forget_imported_extensions() -> None:
    """Drop the extensions' modules this process imported before the bot loads them.

    ``load_extension`` makes a fresh module for the extension itself but reuses any of its
    submodules already imported, so code imported earlier (a test, a host embedding the bot, a bot
    started before in the same process) would mix with the fresh modules: one extension's check
    ``isinstance(cog, CommandAccess)`` would test against another copy of the class than the cog's.
    With nothing imported before, as when ``python -m bot`` runs, there is nothing to drop.
    """
    for name in [name for name in sys.modules if name.startswith(f"{EXTENSION_PACKAGE}.")]:
        del sys.modules[name]


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST and gateway URLs (a proxy, or the test doubles).

    discord.py reads both from class attributes and offers no constructor option for them.
    """
    discord.http.Route.BASE = str(settings.discord_api_base_url).rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def build_intents(settings: Settings) -> discord.Intents:
    """Return the gateway intents the bot needs, none of them privileged but message content.

    Guild messages (not privileged) bring MESSAGE_DELETE, so a job card a moderator deleted is
    remembered (``/show``); message content only for the reaction trigger.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_reactions = True
    intents.guild_messages = True
    intents.message_content = settings.reactions_enabled
    return intents


class MotionBot(commands.AutoShardedBot):
    """Motionbot's Discord client, sharded.

    ``SHARD_COUNT`` shards in all (Discord's recommendation, fetched at each start, when empty), of
    which this process runs ``SHARD_IDS`` (all when empty).
    """

    def __init__(
        self, services: Services, *, sync_commands: bool = True, start_tracker: bool = True, **options: Any
    ) -> None:
        configure_discord_endpoints(services.settings)
        options.setdefault("chunk_guilds_at_startup", False)
        settings = services.settings
        # Every answer start-up waits for, watched (``bot.ops.waits.watched`` runs it) until the first READY.
        self.start_watch = WaitWatch(
            settings.discord_start_timeout_seconds, warning=START_WAIT_WARNING, gave_up=START_GAVE_UP
        )
        options["http_trace"] = trace_waits(self.start_watch, _describe_rest_request, REST_FIX)
        if settings.shard_ids:
            options["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            shard_count=settings.shard_count,
            command_prefix=commands.when_mentioned,
            intents=build_intents(services.settings),
            help_command=None,
            tree_cls=MotionTree,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, replied_user=False),
            **options,
        )
        self.services = services
        self._sync_commands = sync_commands
        self._start_tracker = start_tracker

    async def launch_shards(self) -> None:
        """Connect this process's shards, asking Discord for its recommended count when none is set.

        discord.py would also take Discord's gateway URL from that answer, bypassing
        ``DISCORD_GATEWAY_URL`` (a gateway proxy, or the test double); with the count known it uses it.
        """
        if self.services.settings.shard_count is None:
            self.shard_count, _, _ = await self.http.get_bot_gateway()
            log.info(
                "Discord recommends %d %s", self.shard_count, "shard" if self.shard_count == 1 else "shards"
            )
        await super().launch_shards()

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        """Connect one shard (discord.py retries until it gets HELLO), watched until its READY comes."""
        where = f"the gateway at {gateway} (shard {shard_id})"
        self.start_watch.begin(("gateway", shard_id), f"HELLO from {where}", GATEWAY_FIX)
        await super().launch_shard(gateway, shard_id, initial=initial)
        self.start_watch.begin(("gateway", shard_id), f"READY from {where}", GATEWAY_FIX)

    async def on_shard_connect(self, shard_id: int) -> None:
        """End the wait for the shard's READY (discord.py dispatches ``shard_connect`` on it)."""
        self.start_watch.end(("gateway", shard_id))

    async def setup_hook(self) -> None:
        """Load the cogs, sync commands if they changed, and start the tracker."""
        await self.tree.set_translator(CatalogueTranslator(self.services.catalogue))
        forget_imported_extensions()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self._sync_commands:
            await self.sync_commands_if_changed()
        if self._start_tracker:
            await self.services.tracker.start()

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Push command definitions to Discord when their hash differs from the stored one.

        The hash covers the application id and the scope, so a new token or a changed ``DEV_GUILD_ID``
        always syncs; server copies an earlier sync left elsewhere are then emptied.
        """
        guild = self._dev_guild()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        application_id = self._application_id()
        digest = await self._command_digest(guild, application_id)
        store = self.services.store
        if not force and await store.get_meta(COMMAND_HASH_KEY) == digest:
            log.info("application commands unchanged; not syncing")
            return False
        previous = await command_scopes.synced_guilds(store, application_id)
        wanted = {guild.id} if guild is not None else set()
        # Remembered before the PUT, so a crash right after it still knows where the copies are.
        await command_scopes.remember_guilds(store, application_id, previous | wanted)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d application commands", len(synced))
        left = await self._clear_guilds(application_id, previous - wanted)
        await command_scopes.remember_guilds(store, application_id, wanted | left)
        if not left:
            await store.set_meta(COMMAND_HASH_KEY, digest)
        return True

    async def _clear_guilds(self, application_id: int, guild_ids: set[int]) -> set[int]:
        """Empty this application's commands in ``guild_ids``; return the servers to retry next time."""
        left: set[int] = set()
        for guild_id in sorted(guild_ids):
            try:
                await self.http.bulk_upsert_guild_commands(application_id, guild_id, [])
            except (discord.Forbidden, discord.NotFound) as exc:
                log.warning(
                    "could not remove the commands from server %d (%s); the bot has left it", guild_id, exc
                )
            except discord.HTTPException as exc:
                log.warning(
                    "could not remove the commands from server %d (%s); retrying at next start", guild_id, exc
                )
                left.add(guild_id)
            else:
                log.info("removed the commands registered earlier in server %d", guild_id)
        return left

    def _application_id(self) -> int:
        application_id = self.application_id
        if application_id is None:  # discord.py sets it at login, before setup_hook
            raise RuntimeError("the application id is unknown before login")
        return application_id

    async def _command_digest(self, guild: discord.Object | None, application_id: int) -> str:
        translator = self.tree.translator
        payload: list[dict[str, Any]] = []
        for command in self.tree.get_commands(guild=guild):
            if translator is not None:
                payload.append(await command.get_translated_payload(self.tree, translator))
            else:
                payload.append(command.to_dict(self.tree))
        scope = f"guild:{guild.id}" if guild else "global"
        text = json.dumps([str(application_id), scope, payload], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def _dev_guild(self) -> discord.Object | None:
        guild_id = self.services.settings.dev_guild_id
        return discord.Object(id=guild_id) if guild_id else None

    async def on_ready(self) -> None:
        """Log who the bot is, how many servers it is in and its shards, once all shards are ready."""
        self.start_watch.finish()
        count = len(self.guilds)
        log.info(
            "ready as %s in %d %s on %s",
            self.user,
            count,
            "server" if count == 1 else "servers",
            describe_shards(sorted(self.shards), self.shard_count),
        )

    async def close(self) -> None:
        """Stop taking jobs and let the tracker finish its writes, then disconnect."""
        await self.services.tracker.stop()
        await super().close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Log listener errors instead of printing them."""
        log.exception("error in event handler %s", event_method)


def _describe_rest_request(method: str, url: yarl.URL) -> str | None:
    """Name a REST request for the start-up watch; None for the gateway's websocket (watched per shard)."""
    if url.scheme in ("ws", "wss"):
        return None
    base = discord.http.Route.BASE
    path = str(url.with_query(None)).removeprefix(base)
    return f"an answer to {method} {path} from the REST API at {base}"


def describe_shards(shard_ids: list[int], shard_count: int | None) -> str:
    """Return "shard 0 of 1" / "shards 0, 1 of 2" for log lines."""
    noun = "shard" if len(shard_ids) == 1 else "shards"
    return f"{noun} {', '.join(map(str, shard_ids))} of {shard_count}"
