"""The button under a budget refusal that starts the smaller job which still fits.

The refusal is private, so only the member who was refused sees the button; it still checks who
presses it, as every button does. The button carries a random token; the request waits in the
intake's ``OfferBook`` (this process, ten minutes). A press after a restart or too late is told the
offer expired and what to type instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol, runtime_checkable

import discord
from discord.ext import commands

from bot.checks import JobRequest, OfferedRefusal
from bot.client import interaction_lang, refusal_text, reply_ephemeral, text
from bot.intake import OfferBook
from cogs.cards import OFFER_TEMPLATE, offer_id

log = logging.getLogger(__name__)

Launch = Callable[[discord.Interaction, JobRequest], Awaitable[None]]

Item = discord.ui.Button[discord.ui.View]


class OfferButton(discord.ui.DynamicItem[Item], template=OFFER_TEMPLATE):
    """The "Make N clips at Q · price" button: takes the offer filed under its token, for its member."""

    def __init__(self, token: str, label: str = "Make it smaller") -> None:
        button: Item = discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.primary, emoji="🎬", custom_id=offer_id(token)
        )
        super().__init__(button)
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str]
    ) -> OfferButton:
        """Rebuild the button from a press."""
        return cls(match["offer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the cog that launches jobs (the Animate cog)."""
        taker = offer_taker(interaction.client)
        if taker is None:
            lang = interaction_lang(interaction)
            await reply_ephemeral(interaction, text(interaction.client, lang, "quota.offer.expired"))
            return
        await taker.offer_pressed(interaction, self.token)


@runtime_checkable
class OfferTaker(Protocol):
    """The cog that starts offered jobs (``Animate``)."""

    async def offer_pressed(self, interaction: discord.Interaction, token: str) -> None:
        """Start the offer filed under ``token`` for the member who pressed, if it is theirs."""


def offer_taker(client: discord.Client) -> OfferTaker | None:
    """Return the loaded cog that takes offers, or None (its extension is unloaded)."""
    cog = client.get_cog("Animate") if isinstance(client, commands.bot.BotBase) else None
    return cog if isinstance(cog, OfferTaker) else None


async def take_offer(interaction: discord.Interaction, token: str, book: OfferBook, launch: Launch) -> None:
    """Start the offered job through ``launch`` for its member; say so when it is gone or not theirs."""
    lang = interaction_lang(interaction)
    refusal = book.find(token)
    if refusal is None:
        await reply_ephemeral(interaction, text(interaction.client, lang, "quota.offer.expired"))
        return
    if interaction.user.id != refusal.smaller.requester_id:
        await reply_ephemeral(interaction, text(interaction.client, lang, "quota.offer.not_yours"))
        return
    book.take(token)
    # The press is the interaction that now answers with the card and follows the job.
    request = replace(
        refusal.smaller,
        locale=str(interaction.locale),
        interaction_token=interaction.token,
        token_expires_at=interaction.expires_at,
        attachment_size_limit=interaction.filesize_limit,
    )
    await launch(interaction, request)


async def offer_smaller(interaction: discord.Interaction, refusal: OfferedRefusal, book: OfferBook) -> None:
    """Refuse privately, with a button that starts the smaller job that fits."""
    lang = interaction_lang(interaction)
    message = refusal_text(interaction.client, lang, refusal, offer_key="quota.offer.button")
    label = text(interaction.client, lang, "quota.offer.label", **refusal.offer_params)
    token = book.keep(refusal)
    view = discord.ui.View(timeout=None)
    view.add_item(OfferButton(token, label))
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, view=view)
        else:
            await interaction.response.send_message(message, ephemeral=True, view=view)
    except discord.HTTPException:
        log.warning("could not offer a smaller job on interaction %s", interaction.id, exc_info=True)
