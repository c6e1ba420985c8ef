"""How the client and the cogs answer interactions: reaching the core services and speaking to users."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.checks import Refusal
from bot.client.literal_text import literal
from bot.i18n import Lang, resolve_locale

if TYPE_CHECKING:
    from bot.client.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord wants the first answer within 3 s of the event; this leaves a second for sending it.
PRE_RESPONSE_BUDGET = 2.0
# Pre-response work that ran past its budget: kept referenced until it ends, its outcome dropped.
_ABANDONED: set[asyncio.Task[Any]] = set()

REQUIRED_CHANNEL_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True, read_message_history=True
)
# Refusal parameters the bot writes as Discord markup itself (channel mentions). Any other text
# parameter may carry what a member typed or uploaded (a file's content type, say).
MARKUP_PARAMS = frozenset({"channel", "channels"})
# A refusal is one message (2000 characters); no parameter needs more than this once escaped.
PARAM_LIMIT = 300


def services_of(client: discord.Client) -> Services:
    """Return the core services of the running bot (a ``MotionBot``, whose module imports this one)."""
    services: Services = client.services  # type: ignore[attr-defined]
    return services


def interaction_lang(interaction: discord.Interaction) -> Lang:
    """Return the language to answer an interaction in (the user's client language)."""
    return resolve_locale(str(interaction.locale))


def text(client: discord.Client, lang: Lang, key: str, **params: object) -> str:
    """Return a catalogue message."""
    return services_of(client).catalogue.text(lang, key, **params)


def new_error_id() -> str:
    """Return a short id that links an apology shown to a user with the logged traceback."""
    return secrets.token_hex(4)


async def reply_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Answer an interaction privately, whether or not it was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not answer interaction %s privately", interaction.id, exc_info=True)


async def refuse(interaction: discord.Interaction, refusal: Refusal) -> None:
    """Tell the user privately why their request was refused and what to fix."""
    lang = interaction_lang(interaction)
    message = text(interaction.client, lang, refusal.key, **shown_params(refusal.params))
    await reply_ephemeral(interaction, message)


def shown_params(params: dict[str, object]) -> dict[str, object]:
    """Return message parameters with every text a member may have written made literal."""
    return {
        name: literal(value, PARAM_LIMIT) if isinstance(value, str) and name not in MARKUP_PARAMS else value
        for name, value in params.items()
    }


async def apologize(interaction: discord.Interaction, exc: BaseException, what: str) -> None:
    """Log an unexpected error with an id and show the user a short apology carrying that id."""
    error_id = new_error_id()
    log.error("unexpected error %s while %s", error_id, what, exc_info=exc, extra={"error_id": error_id})
    lang = interaction_lang(interaction)
    await reply_ephemeral(interaction, text(interaction.client, lang, "error.unexpected", error_id=error_id))


async def within_deadline(work: Coroutine[Any, Any, T], *, budget: float = PRE_RESPONSE_BUDGET) -> T:
    """Return what ``work`` (database reads before an interaction's first answer) gives within ``budget``.

    Past the budget, raise ``Refusal("error.busy")`` so the member hears "busy, try again" before
    Discord's deadline instead of "the application did not respond". The work runs in its own task
    and is abandoned (cancelled, not awaited), so not even a stuck read's clean-up delays the answer.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=budget)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    log.warning("pre-response work took over %g s; answered that the bot is busy", budget)
    task.cancel()
    _ABANDONED.add(task)
    task.add_done_callback(_forget)
    raise Refusal("error.busy")


def _forget(task: asyncio.Task[Any]) -> None:
    _ABANDONED.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("abandoned pre-response work failed", exc_info=task.exception())


def missing_channel_permissions(permissions: discord.Permissions) -> bool:
    """Return True when the bot cannot post cards and clips with ``permissions``."""
    return not permissions.is_superset(REQUIRED_CHANNEL_PERMISSIONS)
