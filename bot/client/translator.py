"""Localizes command names, descriptions and choices from the message catalogue."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import Catalogue, Lang

LOCALES: dict[discord.Locale, Lang] = {discord.Locale.vietnamese: Lang.VI}


def key_str(default: str, key: str) -> app_commands.locale_str:
    """Return a command string whose translations live under ``key`` in the catalogue."""
    return app_commands.locale_str(default, key=key)


class CatalogueTranslator(app_commands.Translator):
    """Answers discord.py's translation requests with the catalogue's Vietnamese strings."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Return the translation of ``string`` for ``locale``, or None to keep the default."""
        lang = LOCALES.get(locale)
        key = string.extras.get("key")
        if lang is None or not isinstance(key, str):
            return None
        return self._catalogue.template(lang, key)
