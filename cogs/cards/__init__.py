"""A job's card on Discord: drawn, edited, kept current from tracker events, and its clips posted.

``Cards`` follows the tracker's events (coalesced edits, the final states) and hands a succeeded
job's clips to ``ClipDelivery``. The card itself: its layout (one Components V2 container), its
rendering from a stored job (``CardRenderer``), its persistent buttons (DynamicItems) and their
custom ids, ``CardEditor`` (edits while the interaction token lives, else the channel) and
``JobStarts`` (the card first, then the job behind it). May import ``bot`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.cards._cards import Cards, loaded_cards
from cogs.cards._clip_delivery import ClipDelivery, Reposted
from cogs.cards._clip_files import ClipSource, clip_file, clip_name
from cogs.cards._components import (
    CancelButton,
    CancelConfirmButton,
    DeleteButton,
    DeleteConfirmButton,
    DeleteHandler,
    ExtendButton,
    ExtendHandler,
    ExtendPromptButton,
    ExtendPromptHandler,
    JobButtonHandler,
    JobsPageButton,
    JobsPageHandler,
    MissingClipsHandler,
    PostMissingButton,
    PostToChannelButton,
    PostToChannelHandler,
    RetryButton,
)
from cogs.cards._custom_ids import (
    CONSENT_TEMPLATE,
    EXTEND_PROMPT_MODAL_TEMPLATE,
    OFFER_TEMPLATE,
    consent_answer_id,
    extend_prompt_modal_id,
    is_known,
    is_listened_modal,
    offer_id,
)
from cogs.cards._editor import CardEditor, CardUnavailable
from cogs.cards._job_starts import JobStarts
from cogs.cards._layout import NO_PING, Card
from cogs.cards._posted_clips import job_messages, posted_clip_urls, recorded_dm_messages
from cogs.cards._private_posts import private_messages
from cogs.cards._publish import publish
from cogs.cards._reach import Reach, allow_user_installs, reach_of
from cogs.cards._render import RETRYABLE, CardRenderer, clip_numbers

if TYPE_CHECKING:
    from bot.client import MotionBot

__all__ = [
    "CONSENT_TEMPLATE",
    "EXTEND_PROMPT_MODAL_TEMPLATE",
    "NO_PING",
    "OFFER_TEMPLATE",
    "RETRYABLE",
    "CancelButton",
    "CancelConfirmButton",
    "Card",
    "CardEditor",
    "CardRenderer",
    "CardUnavailable",
    "ClipDelivery",
    "ClipSource",
    "DeleteButton",
    "DeleteConfirmButton",
    "DeleteHandler",
    "ExtendButton",
    "ExtendHandler",
    "ExtendPromptButton",
    "ExtendPromptHandler",
    "JobButtonHandler",
    "JobStarts",
    "JobsPageButton",
    "JobsPageHandler",
    "MissingClipsHandler",
    "PostMissingButton",
    "PostToChannelButton",
    "PostToChannelHandler",
    "Reach",
    "Reposted",
    "RetryButton",
    "allow_user_installs",
    "clip_file",
    "clip_name",
    "clip_numbers",
    "consent_answer_id",
    "extend_prompt_modal_id",
    "is_known",
    "is_listened_modal",
    "job_messages",
    "loaded_cards",
    "offer_id",
    "posted_clip_urls",
    "private_messages",
    "publish",
    "reach_of",
    "recorded_dm_messages",
    "setup",
]


async def setup(bot: MotionBot) -> None:
    """Load the Cards cog."""
    await bot.add_cog(Cards(bot))
