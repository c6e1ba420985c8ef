"""The /animate form for members who cannot attach a file to a slash command (mobile clients).

``/animate`` without an image opens this modal: a required File Upload (one file), an optional
prompt and an optional motion choice. Its submit carries the uploaded file as a resolved attachment
(discord.py hands it to ``FileUpload.values``), and the Animate cog then runs exactly the checks
of every other entry point. The modal lives only in this process's view store: after a restart, or
past ``MODAL_TIMEOUT``, discord.py cannot route its submit, and ``answer_unknown_modal`` says so.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.checks import Refusal
from bot.client import apologize, refuse, text
from bot.i18n import Lang
from bot.models import MAX_PROMPT_LENGTH, Motion
from cogs.cards import is_listened_modal

log = logging.getLogger(__name__)

# A closed form sends Discord nothing, so an unsubmitted modal is forgotten after this long.
MODAL_TIMEOUT = 30 * 60.0
MODAL_PREFIX = "mb:m:"
IMAGE_ID, PROMPT_ID, MOTION_ID = "image", "prompt", "motion"
# As the slash option: room for text that cleaning shortens; clean_prompt refuses what stays too long.
PROMPT_INPUT_LIMIT = MAX_PROMPT_LENGTH * 2
MOTION_LABELS = {Motion.LOW: "commands.choices.motion_low", Motion.HIGH: "commands.choices.motion_high"}


@dataclass(frozen=True, slots=True)
class FormAnswer:
    """What the member submitted: the uploaded file (None if a client sent none), prompt and motion."""

    image: discord.Attachment | None
    prompt: str | None
    motion: Motion | None


Submitted = Callable[[discord.Interaction, FormAnswer], Awaitable[None]]
Texts = Callable[[str], str]


class AnimateForm(discord.ui.Modal):
    """The /animate modal: an image upload, a prompt and a motion choice."""

    def __init__(
        self,
        texts: Texts,
        submitted: Submitted,
        *,
        motion: Motion | None,
        prompt: str | None,
    ) -> None:
        super().__init__(
            title=texts("form.title")[:45],
            timeout=MODAL_TIMEOUT,
            custom_id=MODAL_PREFIX + secrets.token_hex(8),
        )
        self._submitted = submitted
        self.image: discord.ui.FileUpload[Any] = discord.ui.FileUpload(
            custom_id=IMAGE_ID, min_values=1, max_values=1, required=True
        )
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id=PROMPT_ID,
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=PROMPT_INPUT_LIMIT,
            placeholder=texts("form.prompt_placeholder")[:100],
            default=(prompt or "")[:PROMPT_INPUT_LIMIT] or None,
        )
        self.motion: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=MOTION_ID,
            required=False,
            min_values=0,
            max_values=1,
            placeholder=texts("form.motion_placeholder")[:150],
            options=motion_options(texts, motion),
        )
        self._label(texts, "form.image_label", "form.image_description", self.image)
        self._label(texts, "form.prompt_label", "form.prompt_description", self.prompt)
        self._label(texts, "form.motion_label", None, self.motion)

    def _label(self, texts: Texts, label: str, description: str | None, item: discord.ui.Item[Any]) -> None:
        shown = texts(description)[:100] if description else None
        self.add_item(discord.ui.Label(text=texts(label)[:45], description=shown, component=item))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand the answers to the Animate cog."""
        uploaded = self.image.values
        motion = self.motion.values[0] if self.motion.values else None
        answer = FormAnswer(
            image=uploaded[0] if uploaded else None,
            prompt=self.prompt.value or None,
            motion=Motion(motion) if motion in {m.value for m in Motion} else None,
        )
        await self._submitted(interaction, answer)

    async def on_error(  # type: ignore[override]  # a Modal's on_error takes no item (discord.py 2.7)
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        """Log with an id and apologize privately, like every other interaction."""
        await apologize(interaction, error, "handling the /animate form")


def motion_options(texts: Texts, chosen: Motion | None) -> list[discord.SelectOption]:
    """Return the motion choices; the one given as a slash option comes preselected."""
    return [
        discord.SelectOption(
            label=texts(MOTION_LABELS[motion])[:100],
            value=motion.value,
            default=motion is chosen,
        )
        for motion in Motion
    ]


def catalogue_texts(client: discord.Client, lang: Lang) -> Texts:
    """Return a lookup of catalogue texts in ``lang`` for building the form."""
    return lambda key: text(client, lang, key)


def is_known_modal(client: discord.Client, custom_id: str) -> bool:
    """Return True if discord.py holds an open modal with ``custom_id`` (it will route the submit).

    discord.py files the modal before it dispatches the ``interaction`` event, and drops it only
    after ``on_submit`` returned, so a listener reading this for a submit in flight still sees it.
    """
    store = client._connection._view_store
    return custom_id in store._modals


async def answer_unknown_modal(interaction: discord.Interaction) -> None:
    """Tell the member privately that a form this process does not know (a restart, too old) expired."""
    data: dict[str, object] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    known = is_known_modal(interaction.client, custom_id) or is_listened_modal(custom_id)
    if known or interaction.response.is_done():
        return
    log.info("unknown or expired form %r submitted by user %s", custom_id[:100], interaction.user.id)
    await refuse(interaction, Refusal("error.form_expired"))
