"""The Discord client: MotionBot, its command tree and translator, and how cogs answer interactions.

``MotionBot`` owns the core ``Services``, loads the cogs (``EXTENSIONS``) and syncs the commands;
``MotionTree`` is its command tree (server-only check, an apology with an error id for any error);
``CatalogueTranslator`` localizes the commands from the message catalogue. What every cog uses to
answer a member: ``texts`` (their language, catalogue texts), ``replies`` (private replies,
refusals, apologies), ``deadline`` (reads before the first answer bounded by Discord's deadline),
``channel_permissions`` (what the bot needs to post in a channel); ``literal`` shows member-written
text as typed; ``member_role_ids`` the roles a member holds. May import every ``bot`` package and
Discord; never ``cogs`` (extensions are loaded by name).
"""

from bot.client.bot import EXTENSIONS, MotionBot
from bot.client.channel_permissions import missing_channel_permissions
from bot.client.deadline import checked_before_answer, within_deadline
from bot.client.literal_text import literal
from bot.client.members import member_role_ids
from bot.client.replies import apologize, refusal_text, refuse, reply_ephemeral, shown_params
from bot.client.services import Services
from bot.client.texts import interaction_lang, text
from bot.client.translator import CatalogueTranslator, key_str
from bot.client.tree import MotionTree

__all__ = [
    "EXTENSIONS",
    "CatalogueTranslator",
    "MotionBot",
    "MotionTree",
    "Services",
    "apologize",
    "checked_before_answer",
    "interaction_lang",
    "key_str",
    "literal",
    "member_role_ids",
    "missing_channel_permissions",
    "refusal_text",
    "refuse",
    "reply_ephemeral",
    "shown_params",
    "text",
    "within_deadline",
]
