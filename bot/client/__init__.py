"""The Discord client: MotionBot, its command tree and translator, and how cogs answer interactions.

``MotionBot`` owns the core ``Services``, loads the cogs (``EXTENSIONS``) and syncs the commands;
``MotionTree`` is its command tree (server-only check, an apology with an error id for any error);
``CatalogueTranslator`` localizes the commands from the message catalogue. ``replies`` is what
every cog uses to answer a member: their language, catalogue texts, private replies, refusals,
apologies, the pre-response deadline; ``literal`` shows member-written text as typed. May import
every ``bot`` package and Discord; never ``cogs`` (extensions are loaded by name).
"""

from bot.client.bot import EXTENSIONS, MotionBot
from bot.client.literal_text import literal
from bot.client.replies import (
    apologize,
    interaction_lang,
    missing_channel_permissions,
    refuse,
    reply_ephemeral,
    services_of,
    shown_params,
    text,
    within_deadline,
)
from bot.client.services import Services
from bot.client.translator import CatalogueTranslator, key_str
from bot.client.tree import MotionTree

__all__ = [
    "EXTENSIONS",
    "CatalogueTranslator",
    "MotionBot",
    "MotionTree",
    "Services",
    "apologize",
    "interaction_lang",
    "key_str",
    "literal",
    "missing_channel_permissions",
    "refuse",
    "reply_ephemeral",
    "services_of",
    "shown_params",
    "text",
    "within_deadline",
]
