"""Button custom ids are a stored format: cards posted months ago carry them, so they never change.

Every template is pinned to the letter, and an id as an old card carries it is rebuilt by its button
class (discord.py's DynamicItem path after a restart) and handed to the right cog method.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.ext import commands

from bot.models import Motion
from cogs.cards import _custom_ids as ids
from cogs.cards._components import (
    CancelButton,
    CancelConfirmButton,
    DeleteButton,
    DeleteConfirmButton,
    ExtendButton,
    ExtendPromptButton,
    JobsPageButton,
    PostMissingButton,
    PostToChannelButton,
    RetryButton,
)
from cogs.triggers._consent import ConsentButton

# The formats as released: changing one strands every button already posted with it.
PINNED_TEMPLATES = {
    "EXTEND_TEMPLATE": r"mb:x:(?P<job>[0-9]{1,18}):(?P<clip>[0-9]):(?P<motion>[lh])",
    "JOBS_PAGE_TEMPLATE": r"mb:j:(?P<user>[0-9]{1,20}):(?P<page>[0-9]{1,4})",
    "CANCEL_TEMPLATE": r"mb:c:(?P<job>[0-9]{1,18})",
    "CANCEL_CONFIRM_TEMPLATE": r"mb:cc:(?P<job>[0-9]{1,18})",
    "RETRY_TEMPLATE": r"mb:r:(?P<job>[0-9]{1,18})",
    "EXTEND_PROMPT_TEMPLATE": r"mb:p:(?P<job>[0-9]{1,18}):(?P<clip>[0-9])",
    "POST_MISSING_TEMPLATE": r"mb:m:(?P<job>[0-9]{1,18})",
    "DELETE_TEMPLATE": r"mb:d:(?P<job>[0-9]{1,18})",
    "DELETE_CONFIRM_TEMPLATE": r"mb:dc:(?P<job>[0-9]{1,18})",
    "POST_TO_CHANNEL_TEMPLATE": r"mb:pc:(?P<job>[0-9]{1,18})",
    "OFFER_TEMPLATE": r"mb:o:(?P<offer>[0-9a-f]{16})",
    "CONSENT_TEMPLATE": r"mb:ok:(?P<consent>[0-9]{1,18}):(?P<answer>[ad])",
    "EXTEND_PROMPT_MODAL_TEMPLATE": r"mb:pm:(?P<job>[0-9]{1,18}):(?P<clip>[0-9])",
}

# (an id exactly as an old card carries it, the class that answers it, the cog, the call it makes)
OLD_CARD_IDS: list[tuple[str, type[discord.ui.DynamicItem[Any]], str, tuple[object, ...]]] = [
    ("mb:x:42:3:h", ExtendButton, "Extend", ("extend_clicked", 42, 3, Motion.HIGH)),
    ("mb:p:42:1", ExtendPromptButton, "ExtendPrompt", ("prompt_clicked", 42, 1)),
    ("mb:j:123456789012345678:2", JobsPageButton, "Jobs", ("page_clicked", 123456789012345678, 2)),
    ("mb:c:42", CancelButton, "JobButtons", ("cancel_clicked", 42)),
    ("mb:cc:42", CancelConfirmButton, "JobButtons", ("cancel_confirmed", 42)),
    ("mb:r:42", RetryButton, "JobButtons", ("retry_clicked", 42)),
    ("mb:m:42", PostMissingButton, "MissingClips", ("missing_clicked", 42)),
    ("mb:d:42", DeleteButton, "Delete", ("delete_clicked", 42)),
    ("mb:dc:42", DeleteConfirmButton, "Delete", ("delete_confirmed", 42)),
    ("mb:pc:42", PostToChannelButton, "PrivateResults", ("post_clicked", 42)),
]


class EveryHandler:
    """A cog answering every button protocol; it records the calls it gets."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def extend_clicked(self, interaction: object, job_id: int, clip: int, motion: Motion) -> None:
        self.calls.append(("extend_clicked", job_id, clip, motion))

    async def prompt_clicked(self, interaction: object, job_id: int, clip: int) -> None:
        self.calls.append(("prompt_clicked", job_id, clip))

    async def page_clicked(self, interaction: object, user_id: int, page: int) -> None:
        self.calls.append(("page_clicked", user_id, page))

    async def cancel_clicked(self, interaction: object, job_id: int) -> None:
        self.calls.append(("cancel_clicked", job_id))

    async def cancel_confirmed(self, interaction: object, job_id: int) -> None:
        self.calls.append(("cancel_confirmed", job_id))

    async def retry_clicked(self, interaction: object, job_id: int) -> None:
        self.calls.append(("retry_clicked", job_id))

    async def missing_clicked(self, interaction: object, job_id: int) -> None:
        self.calls.append(("missing_clicked", job_id))

    async def delete_clicked(self, interaction: object, job_id: int) -> None:
        self.calls.append(("delete_clicked", job_id))

    async def delete_confirmed(self, interaction: object, job_id: int) -> None:
        self.calls.append(("delete_confirmed", job_id))

    async def post_clicked(self, interaction: object, job_id: int) -> None:
        self.calls.append(("post_clicked", job_id))


class Interaction:
    """Just enough of an interaction for a button's callback: a bot that has one cog by that name."""

    def __init__(self, cog_name: str, cog: object) -> None:
        self.client = BotWithCog(cog_name, cog)


class BotWithCog(commands.Bot):
    """A bot (never started) whose ``get_cog`` finds ``cog`` under ``cog_name``."""

    def __init__(self, cog_name: str, cog: object) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.none())
        self.named = {cog_name: cog}

    def get_cog(self, name: str, /) -> Any:
        """Return the one cog by name."""
        return self.named.get(name)


def test_every_template_is_pinned_to_the_letter() -> None:
    """No template changed, none was added without being pinned here, and each is registered."""
    assert {name: getattr(ids, name) for name in PINNED_TEMPLATES} == PINNED_TEMPLATES
    templates = {name for name in dir(ids) if name.endswith("_TEMPLATE")}
    assert templates == set(PINNED_TEMPLATES)
    assert set(ids.TEMPLATES) == set(PINNED_TEMPLATES.values()) - {ids.EXTEND_PROMPT_MODAL_TEMPLATE}


def test_the_id_functions_write_what_the_templates_read() -> None:
    """Every id the bot writes today is the released format."""
    written = [
        (ids.extend_id(7, 2, Motion.LOW), "mb:x:7:2:l"),
        (ids.extend_id(7, 0, Motion.HIGH), "mb:x:7:0:h"),
        (ids.jobs_page_id(99, 3), "mb:j:99:3"),
        (ids.cancel_id(7), "mb:c:7"),
        (ids.cancel_confirm_id(7), "mb:cc:7"),
        (ids.retry_id(7), "mb:r:7"),
        (ids.post_missing_id(7), "mb:m:7"),
        (ids.consent_answer_id(5, allow=True), "mb:ok:5:a"),
        (ids.consent_answer_id(5, allow=False), "mb:ok:5:d"),
        (ids.delete_id(7), "mb:d:7"),
        (ids.delete_confirm_id(7), "mb:dc:7"),
        (ids.offer_id("0123456789abcdef"), "mb:o:0123456789abcdef"),
        (ids.extend_prompt_id(7, 1), "mb:p:7:1"),
        (ids.extend_prompt_modal_id(7, 1), "mb:pm:7:1"),
        (ids.post_to_channel_id(7), "mb:pc:7"),
    ]
    assert [got for got, _ in written] == [want for _, want in written]
    assert all(ids.is_known(custom_id) for _, custom_id in written if not custom_id.startswith("mb:pm:"))


@pytest.mark.parametrize(("custom_id", "kind", "cog_name", "call"), OLD_CARD_IDS)
async def test_an_old_cards_id_is_rebuilt_and_reaches_its_cog(
    custom_id: str, kind: type[discord.ui.DynamicItem[Any]], cog_name: str, call: tuple[object, ...]
) -> None:
    """discord.py matches the id to the class's template, rebuilds the button, and the press arrives."""
    pressed = discord.ui.Button[Any](custom_id=custom_id, label="as posted")
    match = kind.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None, f"{kind.__name__} no longer reads {custom_id}"
    others = [k for _, k, _, _ in OLD_CARD_IDS if k is not kind]
    assert not any(k.__discord_ui_compiled_template__.fullmatch(custom_id) for k in others)

    item = await kind.from_custom_id(None, pressed, match)  # type: ignore[arg-type]
    assert item.custom_id == custom_id, "a rebuilt button keeps the id it was pressed with"
    cog = EveryHandler()
    await item.callback(Interaction(cog_name, cog))  # type: ignore[arg-type]
    assert cog.calls == [call]
    await item.callback(Interaction("SomeOtherCog", cog))  # type: ignore[arg-type]
    assert cog.calls == [call], "a cog by another name never gets the press"


def test_each_button_says_what_it_is() -> None:
    """A fresh button writes the pinned format, with its own label, style and (for 🗑) emoji."""
    shown = {
        kind.__name__: (item.custom_id, item.item.label, item.item.style, str(item.item.emoji or ""))
        for kind in (
            CancelButton,
            CancelConfirmButton,
            RetryButton,
            PostMissingButton,
            DeleteButton,
            DeleteConfirmButton,
            PostToChannelButton,
        )
        for item in [kind(8)]
    }
    styles = discord.ButtonStyle
    assert shown == {
        "CancelButton": ("mb:c:8", "Cancel", styles.danger, ""),
        "CancelConfirmButton": ("mb:cc:8", "Cancel anyway", styles.danger, ""),
        "RetryButton": ("mb:r:8", "Retry", styles.primary, ""),
        "PostMissingButton": ("mb:m:8", "Post missing clips", styles.primary, ""),
        "DeleteButton": ("mb:d:8", "Delete", styles.secondary, "🗑️"),
        "DeleteConfirmButton": ("mb:dc:8", "Delete anyway", styles.danger, ""),
        "PostToChannelButton": ("mb:pc:8", "Post to channel", styles.success, ""),
    }
    allow, deny = ConsentButton(5, True), ConsentButton(5, False)
    assert (allow.custom_id, deny.custom_id) == ("mb:ok:5:a", "mb:ok:5:d")
