"""The clip files of a job that are on Discord: on its card and in the bot's replies after it.

A private job's messages are ephemeral (no history shows them) or DMs (``dm_messages``).
Read from Discord each time: an attachment's URL is signed and expires (docs:developers/reference.mdx,
"Signed Attachment CDN URLs"), and a message read again carries fresh ones. Delivery asks which clip
files a process that stopped may already have posted; ``/show`` takes the files themselves when no
archive kept them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.models import Job, PostPlace
from cogs.cards._clip_files import clip_name
from cogs.cards._posted_files import posted_files

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

# The bot's messages read after a card for its clip replies (a reply comes within seconds of the card).
RECONCILE_LOOKBACK = 50


async def job_messages(bot: MotionBot, job: Job, *, newest: bool = False) -> list[discord.Message]:
    """Return the job's card and the bot's messages after it; none when Discord cannot be read.

    ``newest`` reads the channel's newest messages (a delivery that a stopped process just made),
    else those right after the card (a /show long after, with the channel's talk since).
    """
    if job.card_message_id is None:
        return []
    channel = bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
    bot_id = bot.user.id if bot.user is not None else None
    try:
        card = await channel.fetch_message(job.card_message_id)
        after = None if newest else card
        recent = [message async for message in channel.history(limit=RECONCILE_LOOKBACK, after=after)]
    except discord.HTTPException as exc:
        log.info("job %s: cannot read its messages on Discord (%s)", job.id, exc)
        return []
    return [card, *(m for m in recent if m.id > card.id and m.author.id == bot_id)]


async def dm_messages(bot: MotionBot, job: Job) -> list[discord.Message]:
    """Return the bot's newest messages in its DM with the job's requester; none when unreadable.

    A private job's card and clips go there once the interaction's token died. The store records
    each after Discord answered; this reads what a process killed in between had already sent.
    """
    bot_id = bot.user.id if bot.user is not None else None
    try:
        user = bot.get_user(job.requester_id) or await bot.fetch_user(job.requester_id)
        channel = user.dm_channel or await user.create_dm()
        recent = [message async for message in channel.history(limit=RECONCILE_LOOKBACK)]
    except discord.HTTPException as exc:
        log.info("job %s: cannot read the requester's DMs (%s)", job.id, exc)
        return []
    return [message for message in recent if message.author.id == bot_id]


async def recorded_dm_messages(bot: MotionBot, job: Job) -> list[discord.Message]:
    """Return the job's DMs the store recorded (``Job.private_posts``), read afresh; those still there.

    Read by id, not from history: the requester's DMs may hold many newer messages since. Ephemeral
    and webhook messages are not read: their tokens last 15 minutes, and an ephemeral one is gone.
    """
    found: list[discord.Message] = []
    for post in job.private_posts:
        if post.place is not PostPlace.DM:
            continue
        try:
            found.append(await bot.get_partial_messageable(post.channel_id).fetch_message(post.message_id))
        except discord.HTTPException as exc:
            log.info("job %s: cannot read its DM %s (%s)", job.id, post.message_id, exc)
    return found


def posted_clip_urls(job: Job, messages: list[discord.Message]) -> dict[int, str]:
    """Return the URL of each clip of ``job`` (by its 0-based index) that ``messages`` carry."""
    indexes = {clip_name(job, index): index for index in range(len(job.clip_urls))}
    urls: dict[int, str] = {}
    for message in messages:
        for posted in posted_files(message):
            index = indexes.get(posted.filename)
            if index is not None and index not in urls and posted.url.startswith(("https://", "http://")):
                urls[index] = posted.url
    return urls
