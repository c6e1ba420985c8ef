"""Motionbot's persistent buttons, as discord.py DynamicItems.

Their custom ids carry the job, clip and motion (or the /jobs page), so a button keeps working
after a restart: discord.py rebuilds the item from the id and calls its callback, which hands the
click to the cog that owns the behaviour: a cog of a feature above this one (it imports the
buttons), found by name and known by the protocol it implements (checked by mypy where it is
loaded). A view made only of DynamicItems and link buttons is not kept in discord.py's view store,
so cards cost no memory once sent.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import discord
from discord.ext import commands

from bot.models import Motion
from cogs.cards._custom_ids import (
    CANCEL_CONFIRM_TEMPLATE,
    CANCEL_TEMPLATE,
    DELETE_CONFIRM_TEMPLATE,
    DELETE_TEMPLATE,
    EXTEND_PROMPT_TEMPLATE,
    EXTEND_TEMPLATE,
    JOBS_PAGE_TEMPLATE,
    MOTIONS_BY_CODE,
    POST_MISSING_TEMPLATE,
    POST_TO_CHANNEL_TEMPLATE,
    RETRY_TEMPLATE,
    cancel_confirm_id,
    cancel_id,
    delete_confirm_id,
    delete_id,
    extend_id,
    extend_prompt_id,
    jobs_page_id,
    post_missing_id,
    post_to_channel_id,
    retry_id,
)


@runtime_checkable
class ExtendHandler(Protocol):
    """The cog that extends clips (``Extend``)."""

    async def extend_clicked(
        self, interaction: discord.Interaction, job_id: int, clip: int, motion: Motion
    ) -> None:
        """Handle a click on an Extend button."""


class ExtendButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=EXTEND_TEMPLATE):
    """The "Extend clip N (low/high motion)" buttons under a delivered job."""

    def __init__(
        self, job_id: int, clip: int, motion: Motion, *, label: str = "Extend", disabled: bool = False
    ) -> None:
        self.job_id, self.clip, self.motion = job_id, clip, motion
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80],
            style=discord.ButtonStyle.secondary,
            custom_id=extend_id(job_id, clip, motion),
            disabled=disabled,
            row=min(clip, 4),
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExtendButton:
        """Rebuild the button from its custom id."""
        return cls(
            int(match["job"]),
            int(match["clip"]),
            MOTIONS_BY_CODE[match["motion"]],
            label=getattr(item, "label", None) or "",
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the Extend cog."""
        handler = _cog(interaction, "Extend")
        if isinstance(handler, ExtendHandler):
            await handler.extend_clicked(interaction, self.job_id, self.clip, self.motion)


@runtime_checkable
class ExtendPromptHandler(Protocol):
    """The cog that extends clips with a new prompt (``ExtendPrompt``)."""

    async def prompt_clicked(self, interaction: discord.Interaction, job_id: int, clip: int) -> None:
        """Handle a click on an "Extend with prompt…" button (answer: a modal)."""


class ExtendPromptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=EXTEND_PROMPT_TEMPLATE):
    """The "Extend clip N with a prompt…" button under a delivered job; it opens a modal."""

    def __init__(self, job_id: int, clip: int, *, label: str = "Extend…", disabled: bool = False) -> None:
        self.job_id, self.clip = job_id, clip
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80],
            style=discord.ButtonStyle.secondary,
            custom_id=extend_prompt_id(job_id, clip),
            disabled=disabled,
            row=min(clip, 4),
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExtendPromptButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["job"]), int(match["clip"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the ExtendPrompt cog."""
        handler = _cog(interaction, "ExtendPrompt")
        if isinstance(handler, ExtendPromptHandler):
            await handler.prompt_clicked(interaction, self.job_id, self.clip)


@runtime_checkable
class JobsPageHandler(Protocol):
    """The cog that shows /jobs pages (``Jobs``)."""

    async def page_clicked(self, interaction: discord.Interaction, user_id: int, page: int) -> None:
        """Handle a click on a /jobs page button."""


class JobsPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=JOBS_PAGE_TEMPLATE):
    """The "Previous" / "Next" buttons under the /jobs list."""

    def __init__(self, user_id: int, page: int, *, label: str = "", disabled: bool = False) -> None:
        self.user_id, self.page = user_id, page
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80] or str(page + 1),
            style=discord.ButtonStyle.secondary,
            custom_id=jobs_page_id(user_id, page),
            disabled=disabled,
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobsPageButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["user"]), int(match["page"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the Jobs cog."""
        handler = _cog(interaction, "Jobs")
        if isinstance(handler, JobsPageHandler):
            await handler.page_clicked(interaction, self.user_id, self.page)


@runtime_checkable
class JobButtonHandler(Protocol):
    """The cog that cancels and retries jobs (``JobButtons``)."""

    async def cancel_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on a Cancel button."""

    async def retry_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on a Retry button."""

    async def cancel_confirmed(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on "Cancel anyway" (a job at the provider, charged all the same)."""


# The base is never registered with the bot, so its template only has to be one that never matches.
class _JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button that names one job: each kind declares its label, style, custom id and handler.

    A kind is a subclass with its template (the custom id format old cards still carry), its
    ``custom_id_for`` (the matching ``cogs.cards._custom_ids`` function), the cog it goes to and, in
    ``dispatch``, the method of that cog's protocol that takes the click.
    """

    default_label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]
    emoji: ClassVar[str | None] = None
    cog_name: ClassVar[str]

    @staticmethod
    def custom_id_for(job_id: int) -> str:
        """Return this kind of button's custom id for ``job_id`` (a ``cogs.cards._custom_ids`` function)."""
        raise NotImplementedError

    def __init__(self, job_id: int, *, label: str = "") -> None:
        self.job_id = job_id
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=(label or self.default_label)[:80],
            style=self.style,
            custom_id=self.custom_id_for(job_id),
            emoji=self.emoji,
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(int(match["job"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the cog named ``cog_name`` (nothing happens while it is not loaded)."""
        await self.dispatch(_cog(interaction, self.cog_name), interaction)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call the cog's method for this kind of button, when ``cog`` is the handler it expects."""
        raise NotImplementedError


class CancelButton(_JobButton, template=CANCEL_TEMPLATE):
    """The "Cancel" button under a waiting or running job."""

    default_label, style, cog_name = "Cancel", discord.ButtonStyle.danger, "JobButtons"
    custom_id_for = staticmethod(cancel_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``JobButtonHandler.cancel_clicked``."""
        if isinstance(cog, JobButtonHandler):
            await cog.cancel_clicked(interaction, self.job_id)


class CancelConfirmButton(_JobButton, template=CANCEL_CONFIRM_TEMPLATE):
    """The "Cancel anyway" button on the private question a Cancel of a job at the provider asks."""

    default_label, style, cog_name = "Cancel anyway", discord.ButtonStyle.danger, "JobButtons"
    custom_id_for = staticmethod(cancel_confirm_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``JobButtonHandler.cancel_confirmed``."""
        if isinstance(cog, JobButtonHandler):
            await cog.cancel_confirmed(interaction, self.job_id)


class RetryButton(_JobButton, template=RETRY_TEMPLATE):
    """The "Retry" button under a failed or timed-out job."""

    default_label, style, cog_name = "Retry", discord.ButtonStyle.primary, "JobButtons"
    custom_id_for = staticmethod(retry_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``JobButtonHandler.retry_clicked``."""
        if isinstance(cog, JobButtonHandler):
            await cog.retry_clicked(interaction, self.job_id)


@runtime_checkable
class MissingClipsHandler(Protocol):
    """The cog that posts a partly delivered job's missing clips (``MissingClips``)."""

    async def missing_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on a "Post missing clips" button."""


class PostMissingButton(_JobButton, template=POST_MISSING_TEMPLATE):
    """The "Post missing clips" button under a job whose clips did not all reach Discord."""

    default_label, style, cog_name = "Post missing clips", discord.ButtonStyle.primary, "MissingClips"
    custom_id_for = staticmethod(post_missing_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``MissingClipsHandler.missing_clicked``."""
        if isinstance(cog, MissingClipsHandler):
            await cog.missing_clicked(interaction, self.job_id)


@runtime_checkable
class DeleteHandler(Protocol):
    """The cog that deletes jobs (``Delete``)."""

    async def delete_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on a card's 🗑 Delete button."""

    async def delete_confirmed(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on "Delete anyway" (a job at the provider, charged all the same)."""


class DeleteButton(_JobButton, template=DELETE_TEMPLATE):
    """The 🗑 "Delete" button on a job's card."""

    default_label, style, cog_name = "Delete", discord.ButtonStyle.secondary, "Delete"
    emoji = "🗑️"
    custom_id_for = staticmethod(delete_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``DeleteHandler.delete_clicked``."""
        if isinstance(cog, DeleteHandler):
            await cog.delete_clicked(interaction, self.job_id)


class DeleteConfirmButton(_JobButton, template=DELETE_CONFIRM_TEMPLATE):
    """The "Delete anyway" button on the private question a delete of a job at the provider asks."""

    default_label, style, cog_name = "Delete anyway", discord.ButtonStyle.danger, "Delete"
    custom_id_for = staticmethod(delete_confirm_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``DeleteHandler.delete_confirmed``."""
        if isinstance(cog, DeleteHandler):
            await cog.delete_confirmed(interaction, self.job_id)


@runtime_checkable
class PostToChannelHandler(Protocol):
    """The cog that posts a private job publicly on its requester's word (``PrivateResults``)."""

    async def post_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Handle a click on a "Post to channel" button."""


class PostToChannelButton(_JobButton, template=POST_TO_CHANNEL_TEMPLATE):
    """The "Post to channel" button on a private job's finished card (issue 22)."""

    default_label, style, cog_name = "Post to channel", discord.ButtonStyle.success, "PrivateResults"
    custom_id_for = staticmethod(post_to_channel_id)

    async def dispatch(self, cog: object, interaction: discord.Interaction) -> None:
        """Call ``PostToChannelHandler.post_clicked``."""
        if isinstance(cog, PostToChannelHandler):
            await cog.post_clicked(interaction, self.job_id)


def _cog(interaction: discord.Interaction, name: str) -> object:
    """Return a loaded cog of the bot by name (None while it is not loaded); the caller checks its kind."""
    client = interaction.client
    # MotionBot is an AutoShardedBot, which is not a commands.Bot: both share BotBase.
    return client.get_cog(name) if isinstance(client, commands.Bot | commands.AutoShardedBot) else None
