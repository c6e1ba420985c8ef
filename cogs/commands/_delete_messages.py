"""Removes a deleted job's messages from Discord: in channels, in the requester's DMs, on a webhook.

A public job's card and its recorded posts are removed through their channel with the bot's token.
A private job's card and clips (ephemeral on the interaction's webhook, or DMs) and a webhook-only
job's messages (a user install where the bot is no member) are the store's ``private_posts``: a DM
is removed with the bot's token at any time; a webhook message only with the interaction's token,
which Discord accepts for 15 minutes ("Delete Followup Message" / "Delete Original Interaction
Response", docs:developers/interactions/receiving-and-responding.mdx; 401 50027 after). Past that
nobody but the member can dismiss an ephemeral message, so such messages are counted as stranded:
the job is deleted all the same, and no path of the bot shows its clips again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.models import Job, PostPlace, PrivatePost, utcnow
from cogs.cards import private_messages

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008


@dataclass
class Removal:
    """What removing a job's messages left on Discord."""

    refused: int = 0  # Discord refused (the bot lost its permissions there): a moderator can remove them
    stranded: int = 0  # on an interaction's webhook whose token died: only the member can dismiss them
    archive_kept: bool = False  # the archive could not remove the clips now: deleting again retries


class MessageRemover:
    """Removes every message the store recorded for a deleted job, wherever it is."""

    def __init__(self, bot: MotionBot) -> None:
        self._bot = bot

    async def remove(self, job: Job) -> Removal:
        """Remove the job's card, its posts and its private messages; return what stayed."""
        removal = Removal()
        places = list(job.posts)
        if job.card_message_id is not None and not job.reaches_through_webhook:
            places.insert(0, (job.channel_id, job.card_message_id))
        for channel_id, message_id in places:
            removal.refused += not await self._delete_in_channel(channel_id, message_id)
        for post in private_messages(job):
            if post.place is PostPlace.DM:
                removal.refused += not await self._delete_in_channel(post.channel_id, post.message_id)
            else:
                removal.stranded += not await self._delete_on_webhook(job, post)
        return removal

    async def _delete_in_channel(self, channel_id: int, message_id: int) -> bool:
        """Delete one of the bot's messages (a DM too); True when it is gone (already gone included)."""
        self._bot.services.own_deletions.expect(message_id)  # not a moderator's removal (/show)
        message = self._bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.delete()
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            log.warning("could not delete message %s in channel %s: %s", message_id, channel_id, exc)
            return False
        return True

    async def _delete_on_webhook(self, job: Job, post: PrivatePost) -> bool:
        """Delete a message of the job's interaction while its token lives; True when it is gone."""
        token, expires = post.token, post.token_expires_at
        application_id = self._bot.application_id
        if token is None or expires is None or expires <= utcnow() or application_id is None:
            return False
        webhook = discord.Webhook.partial(application_id, token, client=self._bot)
        try:
            await webhook.delete_message(post.message_id)
        except discord.NotFound as exc:
            return exc.code == UNKNOWN_MESSAGE  # dismissed already; an unknown webhook is a dead token
        except discord.HTTPException as exc:
            log.info(
                "job %s: message %s stays on the interaction's webhook: %s", job.id, post.message_id, exc
            )
            return False
        return True
