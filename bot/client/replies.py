"""Answering a member privately: a reply, a refusal that says what to fix, an apology with an error id."""

from __future__ import annotations

import logging
import secrets

import discord

from bot.checks import OfferedRefusal, Refusal
from bot.client.literal_text import literal
from bot.client.texts import interaction_lang, text
from bot.i18n import Lang

log = logging.getLogger(__name__)

# Refusal parameters the bot writes as Discord markup itself (channel mentions). Any other text
# parameter may carry what a member typed or uploaded (a file's content type, say).
MARKUP_PARAMS = frozenset({"channel", "channels"})
# A refusal is one message (2000 characters); no parameter needs more than this once escaped.
PARAM_LIMIT = 300


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
    await reply_ephemeral(
        interaction, refusal_text(interaction.client, interaction_lang(interaction), refusal)
    )


def refusal_text(
    client: discord.Client, lang: Lang, refusal: Refusal, *, offer_key: str = "quota.offer.typed"
) -> str:
    """Return why ``refusal`` refused and, when a smaller job would fit, that job (``offer_key`` says how)."""
    message = text(client, lang, refusal.key, **shown_params(refusal.params))
    if isinstance(refusal, OfferedRefusal):
        message += "\n" + text(client, lang, offer_key, **refusal.offer_params)
    return message


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
