"""Modals through the Discord double as "Extend with prompt" uses them: labels wrapping text inputs
and selects, what a submit carries (typed text, chosen or default values), Discord's modal limits,
and who may submit."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_discord import discord_double, running_bot
from tests.doubles.tests.test_discord_double_interactions import new_bot

__all__ = ["discord_double"]


def extend_modal(*, label: str = "New prompt", prefill: str = "a cat") -> discord.ui.Modal:
    """A modal like Motionbot's: a prefilled paragraph and a low/high select, each in a Label."""
    modal = discord.ui.Modal(title="Extend clip 1", custom_id="mb:pm:1:0", timeout=None)
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="prompt", style=discord.TextStyle.paragraph, default=prefill, required=False, max_length=20
    )
    modal.add_item(discord.ui.Label(text=label, description="Edit me", component=text))
    options = [
        discord.SelectOption(label="Low", value="low", default=True),
        discord.SelectOption(label="High", value="high"),
    ]
    select: discord.ui.Select[Any] = discord.ui.Select(custom_id="motion", options=options, required=True)
    modal.add_item(discord.ui.Label(text="Motion", component=select))
    modal.stop()  # answered by the listener below from the raw submit, as Motionbot does
    return modal


def modal_bot(
    double: DiscordDouble, modal: discord.ui.Modal, submits: asyncio.Queue[Any]
) -> tuple[commands.Bot, list[BaseException]]:
    """A bot whose /extend opens ``modal`` (errors it got doing so are listed) and which puts every
    modal submit's data on ``submits``."""
    bot = new_bot(double)
    errors: list[BaseException] = []

    @bot.tree.command(name="extend", description="Extend a clip")
    async def extend(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as error:
            errors.append(error)
            await interaction.response.send_message("refused", ephemeral=True)

    @bot.listen()
    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            submits.put_nowait(interaction.data)
            await interaction.response.send_message("thanks", ephemeral=True)

    return bot, errors


async def test_label_modal_round_trip_with_typed_text_and_a_chosen_value(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    submits: asyncio.Queue[Any] = asyncio.Queue()
    bot, _ = modal_bot(double, extend_modal(), submits)

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        assert (await opened.wait_response()).type == 9
        submitted = await double.submit_modal(double.alice, opened, {"prompt": "a dog", "motion": ["high"]})
        await submitted.wait_response()
        data = await asyncio.wait_for(submits.get(), 5)

    assert opened.modal is not None and opened.modal["custom_id"] == "mb:pm:1:0"
    prompt, motion = (label["component"] for label in opened.modal["components"])
    assert prompt["value"] == "a cat" and prompt["max_length"] == 20 and isinstance(prompt["id"], int)
    assert [o["value"] for o in motion["options"] if o["default"]] == ["low"]
    assert data["custom_id"] == "mb:pm:1:0"
    text, select = (label["component"] for label in data["components"])
    assert text == {"type": 4, "id": prompt["id"], "custom_id": "prompt", "value": "a dog"}
    assert select == {"type": 3, "id": motion["id"], "custom_id": "motion", "values": ["high"]}
    assert submitted.ephemeral


async def test_untouched_fields_submit_the_prefill_and_the_default_option(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    submits: asyncio.Queue[Any] = asyncio.Queue()
    bot, _ = modal_bot(double, extend_modal(), submits)

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        await opened.wait_response()
        await double.submit_modal(double.alice, opened, {})
        data = await asyncio.wait_for(submits.get(), 5)

    text, select = (label["component"] for label in data["components"])
    assert text["value"] == "a cat" and select["values"] == ["low"]


async def test_a_user_cannot_submit_what_the_form_does_not_allow(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot, _ = modal_bot(double, extend_modal(), asyncio.Queue())

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        await opened.wait_response()
        with pytest.raises(ValueError, match="at most 20"):
            await double.submit_modal(double.alice, opened, {"prompt": "x" * 21})
        with pytest.raises(ValueError, match="offers only"):
            await double.submit_modal(double.alice, opened, {"motion": ["medium"]})
        with pytest.raises(ValueError, match="takes 1 to 1 values"):
            await double.submit_modal(double.alice, opened, {"motion": ["low", "high"]})
        with pytest.raises(ValueError, match="who opened"):
            await double.submit_modal(double.bob, opened, {})


async def test_a_label_over_45_characters_is_refused_with_invalid_form_body(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    double.spec.enabled = False  # the double's own rule is under test; the spec check would answer first
    bot, errors = modal_bot(double, extend_modal(label="L" * 46), asyncio.Queue())

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        await opened.wait_original(lambda message: message.content == "refused")

    first = opened.attempts[0]
    assert (first.status, first.code) == (400, 50035) and opened.modal is None
    assert "label" in str(errors[0])


async def test_a_select_in_a_modal_action_row_is_refused(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.spec.enabled = False  # the double's own rule is under test; the spec check would answer first
    modal = discord.ui.Modal(title="Old style", custom_id="old", timeout=None)
    options = [discord.SelectOption(label="Low", value="low")]
    modal.add_item(discord.ui.Select(custom_id="motion", options=options))
    bot, _ = modal_bot(double, modal, asyncio.Queue())

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        await opened.wait_original(lambda message: message.content == "refused")

    assert (opened.attempts[0].status, opened.attempts[0].code) == (400, 50035)


async def test_a_modal_submit_cannot_be_answered_with_another_modal(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="extend", description="Extend a clip")
    async def extend(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(extend_modal())

    @bot.listen()
    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            try:
                await interaction.response.send_modal(extend_modal())
            except discord.HTTPException as error:
                outcome.set_result(error)

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        await opened.wait_response()
        await double.submit_modal(double.alice, opened, {})
        error = await asyncio.wait_for(outcome, 5)

    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (400, 50035)
