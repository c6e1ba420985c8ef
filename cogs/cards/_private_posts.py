"""The messages of a private or webhook-only job that channel history never shows (issue 22).

A private job's card and clips are ephemeral messages on the interaction's webhook while its token
lives, DMs after; a webhook-only job's (a user install where the bot is no member) live on that
webhook too. Discord lists none of them in the channel's history, so each one is recorded in the
store as it is sent (``Job.private_posts``): where it is, and which clips it carries. A delete then
removes them while Discord allows, and a delivery restarted after a crash posts only what none of
them carries.

Each is recorded right after Discord answered the send or the edit, never before: recorded first, a
crash before the send would mark clips delivered that nobody ever got. A DM sent in between is found
in the DM channel's history too (``dm_messages``); what remains is an ephemeral or webhook message
sent between Discord's answer and the store's write (no history lists those): a process killed
exactly then posts those clips again (a card edit again shows them once; a follow-up repeats).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.models import Job, PostPlace, PrivatePost
from cogs.cards._clip_files import clip_name


def clip_indexes(job: Job, filenames: Iterable[str]) -> tuple[int, ...]:
    """Return the 0-based indexes of the job's clips among ``filenames`` (other files ignored)."""
    by_name = {clip_name(job, index): index for index in range(len(job.clip_urls))}
    return tuple(sorted({by_name[name] for name in filenames if name in by_name}))


def post_of(job: Job, message: discord.Message, files: Iterable[discord.File]) -> PrivatePost:
    """Return the record of ``message``, just sent for ``job`` on its webhook or by DM."""
    clips = clip_indexes(job, [file.filename for file in files])
    if isinstance(message, discord.WebhookMessage):
        return webhook_post(job, message.id, clips)
    return PrivatePost(PostPlace.DM, message.channel.id, message.id, clips)


def webhook_post(job: Job, message_id: int, clips: tuple[int, ...] = ()) -> PrivatePost:
    """Return the record of a message of the job's interaction, with the token that can delete it."""
    token, expires = job.interaction_token, job.token_expires_at
    return PrivatePost(PostPlace.WEBHOOK, job.channel_id, message_id, clips, token, expires)


def interaction_card(job: Job) -> PrivatePost | None:
    """Return the job's card as a webhook message when it is the interaction's own and not recorded.

    The card an interaction answered with is set before any record (by the intake); once replaced by
    a DM card, or once the job is deleted, only this says where the first one is.
    """
    if job.card_message_id is None or job.interaction_token is None:
        return None
    if any(post.message_id == job.card_message_id for post in job.private_posts):
        return None
    return webhook_post(job, job.card_message_id)


def private_messages(job: Job) -> list[PrivatePost]:
    """Return each private message of ``job`` once (the card included), with all the clips it carried."""
    found: dict[int, PrivatePost] = {}
    card = interaction_card(job) if job.reaches_through_webhook else None
    for post in (*job.private_posts, *((card,) if card else ())):
        known = found.get(post.message_id)
        clips = tuple(sorted({*post.clips, *(known.clips if known else ())}))
        found[post.message_id] = (known or post)._replace(clips=clips)
    return list(found.values())


def clips_posted_privately(job: Job) -> set[str]:
    """Return the file names of the job's clips that its recorded private messages carry."""
    return {clip_name(job, index) for post in job.private_posts for index in post.clips}
