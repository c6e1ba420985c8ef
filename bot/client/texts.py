"""What a member reads: the language an interaction is answered in, and catalogue texts in it."""

from __future__ import annotations

import discord

from bot.client.services import services_of
from bot.i18n import Lang, resolve_locale


def interaction_lang(interaction: discord.Interaction) -> Lang:
    """Return the language to answer an interaction in (the user's client language)."""
    return resolve_locale(str(interaction.locale))


def text(client: discord.Client, lang: Lang, key: str, **params: object) -> str:
    """Return a catalogue message."""
    return services_of(client).catalogue.text(lang, key, **params)
