"""Extend with a new prompt: a clip's "Extend with a prompt…" button opens a modal; its submit extends.

The modal is answered from its custom id alone (``mb:pm:<job>:<clip>``) by a listener, never from
discord.py's modal store, so a submit works the same before and after a restart, and two members
who open the modal of the same clip each get their own answer. Every check of an Extend click
(``extendable_parent``: where, who, channel, quotas, the clip) runs at the click, so nobody types a
prompt for nothing, and again at submit, since things may have changed meanwhile.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.checks import ExtendJobRequest, Refusal
from bot.client import checked_before_answer
from bot.i18n import resolve_locale
from bot.models import MAX_PROMPT_LENGTH, Job, Motion, VideoOptions
from cogs.buttons._press_checks import extendable_parent
from cogs.cards import (
    EXTEND_PROMPT_MODAL_TEMPLATE,
    NO_PING,
    CardRenderer,
    ExtendPromptButton,
    JobStarts,
    extend_prompt_modal_id,
)

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

MODAL_ID = re.compile(EXTEND_PROMPT_MODAL_TEMPLATE)
PROMPT_FIELD, MOTION_FIELD = "prompt", "motion"
# Discord's limits: modal title and label text 45 characters, label description 100.
TITLE_LIMIT, LABEL_LIMIT, DESCRIPTION_LIMIT = 45, 45, 100


class ExtendPrompt(commands.Cog):
    """Handles "Extend with a prompt…" clicks and the submits of the modal they open."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.job_starts = JobStarts(bot)

    async def cog_load(self) -> None:
        """Register the persistent button so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(ExtendPromptButton)

    async def cog_unload(self) -> None:
        """Unregister the button and let extensions being started finish."""
        self.bot.remove_dynamic_items(ExtendPromptButton)
        await self.job_starts.drain(grace=5)

    async def prompt_clicked(self, interaction: discord.Interaction, job_id: int, clip: int) -> None:
        """Answer with the modal (a valid first answer; nothing is written before it), or a refusal."""
        checks = extendable_parent(self.services, interaction, job_id, clip)
        what = f"checking an extend with a prompt of job {job_id}"
        checked = await checked_before_answer(interaction, checks, what)
        if checked is None:
            return
        await interaction.response.send_modal(self.modal(interaction, checked[0], clip))

    def modal(self, interaction: discord.Interaction, parent: Job, clip: int) -> discord.ui.Modal:
        """Return the modal: the prompt (prefilled with the parent's) and the motion (the parent's)."""
        renderer = CardRenderer(self.services.catalogue, resolve_locale(str(interaction.locale)))
        title = renderer.text("extend.modal_title", clip=clip + 1, job_id=parent.id)
        modal = discord.ui.Modal(
            title=title[:TITLE_LIMIT], custom_id=extend_prompt_modal_id(parent.id, clip), timeout=None
        )
        modal.add_item(prompt_field(renderer, parent.prompt))
        modal.add_item(motion_field(renderer, parent.motion))
        # Finished before it is sent, so discord.py does not keep it: the listener below answers
        # every submit from the custom id (the same way after a restart, when no store would have it).
        modal.stop()
        return modal

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Take the submits of Extend-with-prompt modals (other modals are left to their owners)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        match = MODAL_ID.fullmatch(str(data.get("custom_id", "")))
        if match is None or interaction.response.is_done():
            return
        await self.submitted(interaction, int(match["job"]), int(match["clip"]), submitted_values(data))

    async def submitted(
        self, interaction: discord.Interaction, job_id: int, clip: int, values: dict[str, list[str]]
    ) -> None:
        """Check everything again, then answer with the child's public card and start it."""
        checks = self._request(interaction, job_id, clip, values)
        what = f"checking an extend with a prompt of job {job_id}"
        request = await checked_before_answer(interaction, checks, what)
        if request is None:
            return
        renderer = CardRenderer(
            self.services.catalogue, resolve_locale(str(interaction.locale)), self.services.prices
        )
        parent = request.parent
        card = renderer.pending(
            request.requester_id,
            request.motion,
            parent.quality,
            request.prompt or "",
            VideoOptions(clips=parent.clips, raw=parent.raw),
            self.services.intake.extension_price(parent),
        )
        response = await interaction.response.send_message(
            view=card.layout(), allowed_mentions=NO_PING, ephemeral=parent.private
        )

        async def start(card_id: int | None) -> Job:
            return await self.services.intake.start_extension(request, card_message_id=card_id)

        what = f"extending job {job_id} with a new prompt"
        self.job_starts.begin(interaction, response.message_id, start, what)

    async def _request(
        self, interaction: discord.Interaction, job_id: int, clip: int, values: dict[str, list[str]]
    ) -> ExtendJobRequest:
        """Return the extension the submit asks for, after every check an Extend click passes (reads only)."""
        parent, place = await extendable_parent(self.services, interaction, job_id, clip)
        motion = chosen_motion(values.get(MOTION_FIELD))
        prompt = self.services.intake.extension_prompt(" ".join(values.get(PROMPT_FIELD, [])), parent, motion)
        return ExtendJobRequest(
            parent=parent,
            clip_index=clip,
            motion=motion,
            requester_id=interaction.user.id,
            channel_id=place.channel_id,
            locale=str(interaction.locale),
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
            prompt=prompt,
            role_ids=place.role_ids,
        )


def prompt_field(renderer: CardRenderer, prompt: str) -> discord.ui.Label[Any]:
    """Return the labelled prompt input, prefilled; it may be left empty (the parent's prompt is kept)."""
    text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id=PROMPT_FIELD,
        style=discord.TextStyle.paragraph,
        default=prompt[:MAX_PROMPT_LENGTH],
        required=False,
        max_length=MAX_PROMPT_LENGTH,
    )
    return discord.ui.Label(
        text=renderer.text("extend.prompt_label")[:LABEL_LIMIT],
        description=renderer.text("extend.prompt_hint")[:DESCRIPTION_LIMIT],
        component=text_input,
    )


def motion_field(renderer: CardRenderer, current: Motion) -> discord.ui.Label[Any]:
    """Return the labelled low/high choice, ``current`` chosen."""
    options = [
        discord.SelectOption(label=renderer.text(f"motion.{m.value}"), value=m.value, default=m is current)
        for m in Motion
    ]
    select: discord.ui.Select[Any] = discord.ui.Select(custom_id=MOTION_FIELD, options=options, required=True)
    return discord.ui.Label(text=renderer.text("extend.motion_label")[:LABEL_LIMIT], component=select)


def chosen_motion(values: list[str] | None) -> Motion:
    """Return the one motion chosen in the modal, else refuse (a forged or incomplete submit)."""
    if values is None or len(values) != 1 or values[0] not in {m.value for m in Motion}:
        raise Refusal("extend.motion_invalid")
    return Motion(values[0])


def submitted_values(data: dict[str, Any]) -> dict[str, list[str]]:
    """Return the values of a modal submit by component custom id (text inputs give one value)."""
    found: dict[str, list[str]] = {}
    for component in _walk(data.get("components")):
        custom_id = component.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        if isinstance(component.get("values"), list):
            found[custom_id] = [str(value) for value in component["values"]]
        elif isinstance(component.get("value"), str):
            found[custom_id] = [component["value"]]
    return found


def _walk(components: Any) -> Iterator[dict[str, Any]]:
    """Yield every component of a submit: inside action rows (type 1) and labels (type 18)."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        yield component
        yield from _walk(component.get("components"))
        if isinstance(component.get("component"), dict):
            yield from _walk([component["component"]])
