"""Starting a job whose card replies to the image, outside any interaction, and telling its member.

The reaction trigger and a request its poster allowed (``_consent``) have no interaction to answer:
the card is a reply to the image message, and the member hears about refusals by DM (or, with DMs
closed, a short notice in the channel that deletes itself).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.checks import JobRequest, Refusal
from bot.i18n import Lang
from cogs.cards import NO_PING, CardEditor, CardRenderer, loaded_cards

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

NOTICE_SECONDS = 30


async def start_replying(
    bot: MotionBot, editor: CardEditor, message: discord.Message, request: JobRequest, lang: Lang
) -> None:
    """Check ``request``, post its card as a reply to the image ``message``, and start the job.

    Used by the reaction and by a request its poster allowed (``cogs.triggers._consent``); a
    ``Refusal`` is the caller's to tell.
    """
    services = bot.services
    request = await services.intake.precheck(request)
    assert request.motion is not None and request.quality is not None
    if request.private:
        # Results for the requester only (the server's default for Animate image): no card in the
        # channel; the job's card reaches them by DM, as a private job's does once its token is gone.
        await _start_privately(bot, request)
        return
    card = CardRenderer(services.catalogue, lang, services.prices).pending(
        request.requester_id,
        request.motion,
        request.quality,
        request.prompt or "",
        request.options,
        request.price,
    )
    try:
        card_message = await message.reply(view=card.layout(), allowed_mentions=NO_PING)
    except discord.Forbidden:
        raise Refusal("error.missing_permissions") from None
    try:
        job = await services.intake.start(request, card_message_id=card_message.id)
    except Exception:
        await editor.delete(card_message.channel.id, card_message.id)
        raise
    cards = loaded_cards(bot)
    if cards is not None:
        await cards.progressed(job)


async def _start_privately(bot: MotionBot, request: JobRequest) -> None:
    job = await bot.services.intake.start(request)
    cards = loaded_cards(bot)
    if cards is not None:
        await cards.progressed(job)


async def notify_member(
    bot: MotionBot, user_id: int, guild_id: int, channel_id: int, message: str, short: str
) -> None:
    """Tell a member ``message`` by DM; with DMs closed, ``short`` in the channel, deleted after a while."""
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(message)
        return
    except discord.HTTPException:
        log.info("user %s does not accept DMs; replying in the channel instead", user_id)
    try:
        channel = bot.get_partial_messageable(channel_id, guild_id=guild_id)
        # Only the member addressed is pinged: a notice may name others (the poster who said no).
        mentions = discord.AllowedMentions(users=[discord.Object(user_id)], roles=False, everyone=False)
        await channel.send(f"<@{user_id}> {short}", delete_after=NOTICE_SECONDS, allowed_mentions=mentions)
    except discord.HTTPException:
        log.info("could not tell user %s in channel %s", user_id, channel_id)
