"""The app installed to a person, end to end (issue 22, item 2): where the bot is not a member.

A server that never added the bot and a group DM: the card is the interaction's answer, its edits
and clips go through the interaction webhook, a job that outlives the token reaches the person by
DM, the person's budgets alone apply; and USER_INSTALL off / members / everyone.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Job, JobStatus
from tests.doubles.discord import Channel, Message
from tests.doubles.discord.installs import CommandNotAvailableError
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, make_world


def is_delivered(message: Message) -> bool:
    """The card shows the finished job."""
    return "your video is ready" in card_parts(message).ready


@contextlib.asynccontextmanager
async def installed_world(folder: Path, mode: str) -> AsyncIterator[tuple[World, Channel]]:
    """USER_INSTALL=``mode``, Alice's personal install, and #lounge of a server without the bot."""
    async with make_world(folder, user_install=mode) as world:
        discord = world.discord
        elsewhere = await discord.add_guild(
            "Elsewhere", channels=("lounge",), members=[discord.alice], with_bot=False
        )
        discord.install_for_user(discord.alice)
        yield world, next(iter(elsewhere.channels.values()))


def bot_token_calls_to(world: World, channel: Channel) -> list[str]:
    """Requests the bot made with its token on ``channel``'s routes (it has no access there)."""
    return [r.path for r in world.discord.requests if f"/channels/{channel.id}" in r.path and r.authorization]


async def delivered_through_the_webhook(world: World, channel: Channel) -> tuple[Message, Job]:
    """Alice runs /animate in ``channel``; return her card (the interaction's answer), delivered."""
    handle = await world.animate(channel=channel)
    response = await handle.wait_response()
    assert response.accepted and not response.data.get("flags", 0) & 64
    card = await handle.wait_original(is_delivered)
    job = await world.wait_delivered((await world.wait_job(lambda j: j.webhook_only)).id)
    return card, job


async def delivered_by_dm_after_the_token(world: World, channel: Channel) -> tuple[Message, Job]:
    """Alice runs /animate in ``channel`` and the token expires while it runs: return the DM card, the job."""
    world.hold_jobs()
    handle = await world.animate(channel=channel)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    world.discord.expire_interaction(handle)
    world.release(job)
    delivered = await world.wait_delivered(job.id)
    card = await world.wait_card(lambda m: m.id == delivered.card_message_id and is_delivered(m))
    return card, delivered


async def test_a_user_installed_animate_in_a_server_without_the_bot_lives_on_the_webhook(tmp_path):
    """The card is the answer and gets the clips by webhook edit; no bot-token call; no server rules."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        card, job = await delivered_through_the_webhook(world, lounge)
        assert card.channel_id == lounge.id and card.id == job.card_message_id
        assert [f.filename for f in card.files] == [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]
        assert job.guild_id is None and job.channel_id == lounge.id  # the person's budgets alone
        assert not any(cid.startswith("mb:pc:") for cid in card.custom_ids)  # no Post to channel here
        assert bot_token_calls_to(world, lounge) == []


async def test_a_user_installed_animate_in_a_group_dm(tmp_path):
    """A group DM (context 2): the same, through the webhook alone."""
    async with installed_world(tmp_path, "everyone") as (world, _):
        group = world.discord.add_group_dm(world.discord.alice, [world.discord.bob])
        card, _ = await delivered_through_the_webhook(world, group)
        assert card.channel_id == group.id and len(card.files) == 4
        assert bot_token_calls_to(world, group) == []


async def test_after_the_token_the_result_reaches_the_person_by_dm(tmp_path):
    """The job outlives the interaction's 15 minutes: the finished card and clips come by DM."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        card, _ = await delivered_by_dm_after_the_token(world, lounge)  # the job's card is the DM
        assert card.channel_id == world.discord.dm_channel(world.discord.alice).id
        assert len(card.files) == 4
        assert bot_token_calls_to(world, lounge) == []


async def test_user_install_off_registers_the_commands_for_servers_only(tmp_path):
    """USER_INSTALL=off (the default): no client offers /animate outside the bot's servers."""
    async with installed_world(tmp_path, "off") as (world, lounge):
        with pytest.raises(CommandNotAvailableError):
            await world.animate(channel=lounge)
        group = world.discord.add_group_dm(world.discord.alice, [world.discord.bob])
        with pytest.raises(CommandNotAvailableError):
            await world.animate(channel=group)


async def test_user_install_members_lets_in_only_people_who_share_a_server_with_the_bot(tmp_path):
    """members: Alice (in the bot's server) may; Carol (only in Elsewhere) is refused, nothing spent."""
    async with installed_world(tmp_path, "members") as (world, lounge):
        discord = world.discord
        elsewhere = discord.state.guilds[lounge.guild_id or 0]
        carol = await discord.add_user("carol", guild=elsewhere)
        discord.install_for_user(carol)
        refused = await world.animate(carol, channel=lounge)
        text = (await refused.wait_response()).data.get("content", "")
        assert "only for members of a server it was added to" in text
        assert world.comet.submissions == []
        _, job = await delivered_through_the_webhook(world, lounge)
        assert job.requester_id == discord.alice.id


async def test_user_install_everyone_lets_in_a_stranger(tmp_path):
    """everyone: Carol, in no server of the bot, gets her video in Elsewhere."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        discord = world.discord
        carol = await discord.add_user("carol", guild=discord.state.guilds[lounge.guild_id or 0])
        discord.install_for_user(carol)
        handle = await world.animate(carol, channel=lounge)
        await handle.wait_response()
        await handle.wait_original(is_delivered)
        job = await world.wait_job(lambda j: j.requester_id == carol.id and j.status is JobStatus.DELIVERED)
        assert job.webhook_only


async def test_outside_the_bots_servers_the_persons_own_budget_holds(tmp_path):
    """BUDGET_PERSON_DAY 0.30: a 0.20 video in Elsewhere, then a second is refused before any spend."""
    async with make_world(tmp_path, user_install="everyone", budget_person_day="0.30") as world:
        discord = world.discord
        elsewhere = await discord.add_guild("Elsewhere", members=[discord.alice], with_bot=False)
        discord.install_for_user(discord.alice)
        lounge = next(iter(elsewhere.channels.values()))
        await delivered_through_the_webhook(world, lounge)
        second = await world.animate(channel=lounge)
        refusal = await second.wait_response()
        assert refusal.data.get("flags", 0) & 64 and "budget" in refusal.data.get("content", "").lower()
        assert len(world.comet.submissions) == 1


async def test_animate_image_on_a_message_in_a_server_without_the_bot(tmp_path):
    """The message command, user-installed: Alice animates Bob's image in Elsewhere, by webhook."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        discord = world.discord
        elsewhere = discord.state.guilds[lounge.guild_id or 0]
        discord.state.add_member(elsewhere, discord.bob)
        image = ("cat.png", png_bytes(width=256, height=256), "image/png")
        posted = await discord.post_message(discord.bob, lounge, "look", attachments=[image])
        handle = await discord.message_command(discord.alice, "Animate image", posted)
        await handle.wait_response()
        card = await handle.wait_original(is_delivered)
        assert len(card.files) == 4
        assert bot_token_calls_to(world, lounge) == []


async def test_the_person_can_cancel_a_job_started_where_the_bot_is_not_a_member(tmp_path):
    """Cancel on the card in Elsewhere, then "Cancel anyway" (the job is at the provider): cancelled."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        world.hold_jobs()
        handle = await world.animate(channel=lounge)
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.provider_task_id is not None)
        card = await handle.wait_original(lambda m: f"mb:c:{job.id}" in m.custom_ids)
        press = await world.discord.click(world.discord.alice, card, f"mb:c:{job.id}")
        await press.wait_response()
        asked = await press.wait_original()
        assert asked.ephemeral and f"mb:cc:{job.id}" in asked.custom_ids
        confirm = await world.discord.click(world.discord.alice, asked, f"mb:cc:{job.id}")
        await confirm.wait_response()
        cancelled = await world.wait_job(lambda j: j.id == job.id and j.status is JobStatus.CANCELLED)
        assert cancelled.requester_id == world.discord.alice.id


async def test_extend_works_on_a_card_where_the_bot_is_not_a_member(tmp_path):
    """Extend clip 1 on the delivered card in Elsewhere: the child job lives on the press's webhook too."""
    async with installed_world(tmp_path, "everyone") as (world, lounge):
        card, parent = await delivered_through_the_webhook(world, lounge)
        press = await world.discord.click(world.discord.alice, card, f"mb:x:{parent.id}:0:l")
        response = await press.wait_response()
        assert response.accepted and not response.data.get("flags", 0) & 64
        child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
        assert child.webhook_only and child.guild_id is None
        await press.wait_original(is_delivered)
        assert bot_token_calls_to(world, lounge) == []


async def test_a_server_that_hosts_the_bot_keeps_its_rules_for_a_user_installed_animate(tmp_path):
    """Alice installed the app too; in the bot's own server her /animate is that server's job."""
    async with installed_world(tmp_path, "everyone") as (world, _):
        handle = await world.animate()
        await handle.wait_response()
        assert handle.payload["authorizing_integration_owners"]["1"] == str(world.discord.alice.id)
        job = await world.wait_delivered((await world.wait_job(lambda j: True)).id)
        assert job.guild_id == world.discord.guild.id and not job.webhook_only
        # Its channel rules too: with only #media open, the same person is refused in #general.
        media = world.discord.state.channels[
            next(c for c in world.discord.guild.channels if c != world.discord.general.id)
        ]
        await world.store.update_guild_settings(
            world.discord.guild.id,
            lambda s: dataclasses.replace(s, allowed_channel_ids=frozenset({media.id})),
        )
        refused = await world.animate()
        assert (await refused.wait_response()).data.get("flags", 0) & 64
        assert len(world.comet.submissions) == 1
