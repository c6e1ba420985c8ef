"""/usage end to end: an admin sees the server's spend (a chart, top members and roles, budgets), a
member their own, in English and in Vietnamese, privately; an empty month; a DM; PostgreSQL.

The ledger rows are written by the test (raw SQL through an engine of its own, as admission will
write them), so each answer follows from rows it chose: a released row and another server's count
nothing here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import matplotlib.image
import numpy as np
import pytest

from tests.doubles.discord.model import Message
from tests.e2e.harness import World, budgeted_world
from tests.ledger_seed import Entry, seed_ledger


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[World]:
    """Motionbot with the operator's money budgets at their defaults (the harness turns them off)."""
    async with budgeted_world(tmp_path) as started:
        yield started


@pytest.fixture
async def postgres_world(tmp_path, postgres_url) -> AsyncIterator[World]:
    """The same on a PostgreSQL database of its own."""
    async with budgeted_world(tmp_path, database_url=postgres_url) as started:
        yield started


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_SIZE = (360, 800)  # rows, columns
DEFERRED = 5  # interaction callback type DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
OTHER_SERVER = 4242
DIRECT_MESSAGES = 0


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def spending(world: World) -> list[Entry]:
    """Alice spent 0.30 (0.10 of it still reserved), Bob 0.50; what else is there counts nothing here."""
    guild, alice, bob = world.discord.guild.id, world.discord.alice.id, world.discord.bob.id
    return [
        Entry(alice, guild, today(), 200_000, units=2),
        Entry(alice, guild, today(), 100_000, state="reserved"),
        Entry(alice, guild, today(), 900_000, state="released"),  # the provider did not bill it
        Entry(bob, guild, days_ago(3), 500_000, units=4),
        Entry(bob, guild, days_ago(45), 700_000),  # before the 30 days
        Entry(alice, OTHER_SERVER, today(), 40_000),
        Entry(alice, DIRECT_MESSAGES, days_ago(1), 60_000),
    ]


async def seed(world: World, entries: list[Entry]) -> None:
    settings = world.settings
    if settings.uses_postgres:
        await seed_ledger("postgresql", settings.database_url.get_secret_value(), entries)
    else:
        await seed_ledger("sqlite", str(settings.database_path), entries)


async def usage(world: World, user: Any, locale: str = "en-US", channel: Any = None) -> Message:
    """Run /usage as ``user``: a private deferral at once, then the answer that fills it in."""
    handle = await world.discord.slash(user, "usage", locale=locale, channel=channel)
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0 and response.type == DEFERRED
    assert handle.ephemeral
    return await handle.wait_original(lambda m: not m.loading)


def description(message: Message) -> str:
    return str(message.embeds[0].get("description") or "")


def chart(message: Message) -> np.ndarray:
    """The attached chart, decoded; it is the embed's image."""
    (png,) = message.files
    assert png.filename == "spend.png" and png.data.startswith(PNG_SIGNATURE)
    assert message.embeds[0]["image"]["url"].endswith("spend.png")
    pixels = matplotlib.image.imread(io.BytesIO(png.data), format="png")
    assert pixels.shape[:2] == CHART_SIZE
    return pixels


async def test_an_admin_sees_the_servers_spend_chart_top_members_roles_and_budgets(tmp_path):
    async with budgeted_world(tmp_path, budget_server_day=Decimal("2.00"), budget_server_month=None) as world:
        discord = world.discord
        boosters = await discord.add_role("Boosters", members=[discord.alice])
        await seed(world, spending(world))
        message = await usage(world, discord.admin)

    assert message.embeds[0]["title"] == "Spend in this server"
    lines = description(message).splitlines()
    assert "**Last 30 days:** 0.80 USD (0.70 USD charged, 0.10 USD reserved) · 3 videos" in lines
    assert "**This month:** " in description(message)
    top = lines.index("**Who spent most (30 days)**")
    assert lines[top + 1 : top + 3] == [
        f"1. <@{discord.bob.id}>: 0.50 USD for 1 video",
        f"2. <@{discord.alice.id}>: 0.30 USD for 2 videos",
    ]
    assert f"1. <@&{boosters.id}>: 0.30 USD from 1 member" in lines
    assert any(line.startswith("*Counted from the roles the 10 biggest spenders hold now") for line in lines)
    assert any(line.startswith("This server, today: 1.70 USD left of 2.00 USD, renews <t:") for line in lines)
    assert not any(line.startswith("This server, this month") for line in lines)  # no cap set
    assert message.embeds[0]["footer"]["text"].startswith("Charged: the video service has the job")
    assert chart(message).any()


async def test_a_spender_who_left_counts_in_no_role_and_unreadable_roles_are_said(world):
    """The roles are Discord's, read now: someone who left holds none; if Discord fails, the reply says so."""
    discord = world.discord
    departed = 1_300_000_000_000_000_001
    staff = await discord.add_role("Staff", members=[discord.bob])
    await seed(world, [*spending(world), Entry(departed, discord.guild.id, today(), 900_000)])
    message = await usage(world, discord.admin)
    discord.inject_fault("GET /guilds/{guild_id}/members/{user_id}", status=503, times=3)
    unreadable = await usage(world, discord.admin, locale="vi")

    lines = description(message).splitlines()
    assert f"1. <@{departed}>: 0.90 USD for 1 video" in lines
    assert f"1. <@&{staff.id}>: 0.50 USD from 1 member" in lines  # Bob's; the departed count nowhere
    assert "Discord chưa trả về vai trò của các thành viên" in description(unreadable)
    assert f"1. <@{departed}>: 0.90 USD cho 1 video" in description(unreadable)
    chart(unreadable)


async def test_a_member_sees_only_their_own_spend_and_budgets(world):
    discord = world.discord
    await seed(world, spending(world))
    message = await usage(world, discord.alice)

    assert message.embeds[0]["title"] == "Your spend in this server"
    text = description(message)
    assert "**Last 30 days:** 0.30 USD (0.20 USD charged, 0.10 USD reserved) · 2 videos" in text
    assert str(discord.bob.id) not in text and "Who spent most" not in text
    # Their person budget counts every server and DMs: 0.30 here, 0.04 elsewhere, 0.06 yesterday in a DM.
    assert "You, today (every server): 1.66 USD left of 2.00 USD, renews <t:" in text
    assert "You, this month (every server): " in text
    chart(message)


async def test_vietnamese_admin_and_member_answers_and_charts(world):
    discord = world.discord
    await seed(world, spending(world))
    admin = await usage(world, discord.admin, locale="vi")
    member = await usage(world, discord.bob, locale="vi")
    english = await usage(world, discord.admin)

    assert admin.embeds[0]["title"] == "Chi tiêu của máy chủ này"
    window = "**30 ngày qua:** 0.80 USD (0.70 USD đã tính phí, 0.10 USD đang giữ chỗ) · 3 video"
    assert window in description(admin)
    assert admin.embeds[0]["footer"]["text"].startswith("Đã tính phí: dịch vụ video đã nhận yêu cầu")
    assert f"1. <@{discord.bob.id}>: 0.50 USD cho 1 video" in description(admin)
    assert "Máy chủ này, hôm nay: còn " in description(admin)
    assert member.embeds[0]["title"] == "Chi tiêu của bạn trong máy chủ này"
    assert "**30 ngày qua:** 0.50 USD (0.50 USD đã tính phí, 0.00 USD đang giữ chỗ) · 1 video" in description(
        member
    )
    assert "Bạn, hôm nay (mọi máy chủ): còn " in description(member)
    server_vi, own_vi, server_en = chart(admin), chart(member), chart(english)
    assert not np.array_equal(server_vi, own_vi)  # other spend, another chart
    assert not np.array_equal(server_vi, server_en)  # the same spend, its texts in another language


async def test_an_empty_month_says_so_without_a_chart(tmp_path):
    async with budgeted_world(tmp_path, budget_person_day=None, budget_person_month=None) as world:
        discord = world.discord
        await seed(world, [Entry(discord.alice.id, OTHER_SERVER, today(), 100_000)])  # not here
        admin = await usage(world, discord.admin)
        member = await usage(world, discord.alice, locale="vi")

    assert admin.files == [] and "image" not in admin.embeds[0]
    lines = description(admin).splitlines()
    assert lines[:2] == ["Nothing was spent in the last 30 days.", "**This month:** 0.00 USD"]
    assert "Who spent most" not in description(admin)
    assert "This server, today: 10.00 USD left of 10.00 USD" in description(admin)
    assert member.files == []
    assert "Không có khoản chi nào trong 30 ngày qua." in description(member)
    assert "Bạn chưa có ngân sách tiền nào." in description(member)


async def test_in_a_dm_a_person_sees_their_spend_in_every_server(world):
    discord = world.discord
    await seed(world, spending(world))
    message = await usage(world, discord.alice, channel=discord.dm_channel(discord.alice))

    assert message.embeds[0]["title"] == "Your spend in every server"
    # 0.30 here, 0.04 in another server, 0.06 in a DM.
    window = "**Last 30 days:** 0.40 USD (0.30 USD charged, 0.10 USD reserved) · 4 videos"
    assert window in description(message)
    chart(message)


@pytest.mark.timeout(180)
async def test_an_admins_report_on_postgresql(postgres_world):
    world = postgres_world
    await seed(world, spending(world))
    message = await usage(world, world.discord.admin)

    window = "**Last 30 days:** 0.80 USD (0.70 USD charged, 0.10 USD reserved) · 3 videos"
    assert window in description(message)
    assert re.search(rf"1\. <@{world.discord.bob.id}>: 0\.50 USD", description(message))
    chart(message)
