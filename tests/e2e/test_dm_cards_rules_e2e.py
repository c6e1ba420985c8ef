"""A job started from a private card in the bot's DM follows the rules of the parent's server (issue 22).

A DM interaction carries none of the server's permissions, so the bot reads them: the member must
still be in the server, allowed ``/animate`` in the job's channel (its command permissions), the
channel must be on the allow-list, the bot able to post there, the server's quotas must leave room.
What cannot be read refuses, clearly, with nothing stored and no provider call.
"""

from __future__ import annotations

import dataclasses

from bot.models import Job
from tests.doubles.discord import Perm, entry
from tests.doubles.discord.model import Message
from tests.e2e.harness import World
from tests.e2e.test_dm_cards_e2e import card_by_dm, extend_id

READ_PERMISSIONS = "GET /applications/{application_id}/guilds/{guild_id}/commands/permissions"
READ_MEMBER = "GET /guilds/{guild_id}/members/{user_id}"
UNREADABLE = "couldn't check this server's command permissions"


async def refused_from_dm(world: World, parent: Job, card: Message) -> str:
    """Alice clicks Extend on her DM card: return the private refusal; nothing was stored or submitted."""
    discord = world.discord
    jobs, submits = await world.store.all_jobs(), world.comet.counts["submit"]
    click = await discord.click(discord.alice, card, extend_id(parent.id))
    response = await click.wait_response()
    assert response.type == 4 and click.ephemeral and response.latency < 3.0
    assert [j.id for j in await world.store.all_jobs()] == [j.id for j in jobs]
    assert world.comet.counts["submit"] == submits
    return str(response.data["content"])


async def test_a_member_who_left_the_server_cannot_extend_from_the_dm_card(world: World) -> None:
    parent, card = await card_by_dm(world)
    await world.discord.leave_guild(world.discord.alice)
    refusal = await refused_from_dm(world, parent, card)
    assert f"no longer a member of the server where video #{parent.id} was made" in refusal


async def test_animates_permissions_in_the_jobs_channel_apply_to_a_dm_click(world: World) -> None:
    """An admin denies Alice /animate: her DM click is refused, naming the channel."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    await discord.set_command_permissions("animate", [entry(discord.alice, False)])
    refusal = await refused_from_dm(world, parent, card)
    assert f"haven't allowed you to use Motionbot's /animate in <#{discord.general.id}>" in refusal


async def test_a_channel_turned_off_for_animate_refuses_a_dm_click(world: World) -> None:
    discord = world.discord
    parent, card = await card_by_dm(world)
    await discord.set_command_permissions("animate", [entry(discord.general, False)])
    refusal = await refused_from_dm(world, parent, card)
    assert f"turned Motionbot's /animate off in <#{discord.general.id}>" in refusal


async def test_unreadable_command_permissions_refuse_a_dm_click(world: World) -> None:
    """Discord fails the read (fail-closed): "could not check", never allowed."""
    parent, card = await card_by_dm(world)
    world.discord.inject_fault(READ_PERMISSIONS, status=503)
    assert UNREADABLE in await refused_from_dm(world, parent, card)


async def test_an_unreadable_member_refuses_a_dm_click(world: World) -> None:
    parent, card = await card_by_dm(world)
    world.discord.inject_fault(READ_MEMBER, status=503)
    assert UNREADABLE in await refused_from_dm(world, parent, card)


async def test_the_channel_allow_list_of_the_jobs_server_applies_to_a_dm_click(world: World) -> None:
    discord = world.discord
    parent, card = await card_by_dm(world)
    only_media = frozenset({discord.media.id})
    await world.store.update_guild_settings(
        discord.guild.id, lambda s: dataclasses.replace(s, all_channels=False, allowed_channel_ids=only_media)
    )
    refusal = await refused_from_dm(world, parent, card)
    assert f"Motionbot can no longer be used in <#{discord.general.id}>, where this video was made" in refusal
    assert f"in one of these: <#{discord.media.id}>" in refusal


async def test_the_servers_daily_limit_applies_to_a_dm_click(world: World) -> None:
    discord = world.discord
    parent, card = await card_by_dm(world)
    await world.store.update_guild_settings(
        discord.guild.id, lambda s: dataclasses.replace(s, max_daily_per_user=1)
    )
    assert "You've reached your daily limit of 1 video" in await refused_from_dm(world, parent, card)


async def test_a_channel_the_bot_may_no_longer_post_in_refuses_a_dm_click(world: World) -> None:
    discord = world.discord
    parent, card = await card_by_dm(world)
    await discord.set_bot_permissions(discord.general, deny=Perm.SEND_MESSAGES)
    refusal = await refused_from_dm(world, parent, card)
    assert f"I can't post in <#{discord.general.id}> any more" in refusal


async def test_a_dm_refusal_is_in_the_members_language(world: World) -> None:
    """The same refusal, clicked from a Vietnamese client, is in Vietnamese."""
    discord = world.discord
    parent, card = await card_by_dm(world)
    await discord.leave_guild(discord.alice)
    click = await discord.click(discord.alice, card, extend_id(parent.id), locale="vi")
    response = await click.wait_response()
    assert (
        f"Bạn không còn là thành viên của máy chủ nơi video #{parent.id} được tạo" in response.data["content"]
    )
    assert [j.id for j in await world.store.all_jobs()] == [parent.id]


async def test_retry_from_the_dm_card_follows_the_servers_rules_too(world: World) -> None:
    """Retry on a failed job's DM card: /animate denied to Alice in #general refuses it, nothing made."""
    discord = world.discord
    failed, card = await card_by_dm(world, fail=True)
    await discord.set_command_permissions("animate", [entry(discord.alice, False)])
    submits = world.comet.counts["submit"]

    click = await discord.click(discord.alice, card, f"mb:r:{failed.id}")
    response = await click.wait_response()

    assert click.ephemeral and f"/animate in <#{discord.general.id}>" in response.data["content"]
    assert [j.id for j in await world.store.all_jobs()] == [failed.id]
    assert world.comet.counts["submit"] == submits
