"""The price where the member decides, end to end: the card while the job waits or runs, /jobs, /quota.

The operator's price table here: 0.05 USD a 480p clip, 0.16 a 720p clip, 0.07 an extended clip; the
caps are .env.example's (2.00 / 20.00 a person, 10.00 / 100.00 a server, 30.00 / 300.00 the bot).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from bot.i18n import Lang, catalogue
from bot.models import Job, RoleAllowance
from tests.e2e.harness import World, budgeted_world, card_parts

VI = "vi"


def vi(key: str, **params: object) -> str:
    return catalogue().text(Lang.VI, key, **params)


def priced_world(tmp_path: Any, **overrides: Any) -> Any:
    """A world whose extensions cost differently from new clips, so each price tells where it came from."""
    return budgeted_world(
        tmp_path,
        max_concurrent_jobs_per_user=1,
        price_per_extension_clip=Decimal("0.07"),
        **overrides,
    )


async def animate(world: World, user: Any = None, **options: Any) -> tuple[Any, Job]:
    """Run /animate; return the handle and the stored job once its card is up."""
    handle = await world.animate(user, **options)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.card_message_id == handle.original_message_id)
    return handle, job


async def waiting_card(world: World, job: Job) -> Any:
    """The job's card once it shows the job waiting in line."""
    return await world.wait_card(
        lambda m: m.id == job.card_message_id and card_parts(m).state.startswith(("Waiting", "Đang xếp hàng"))
    )


async def private(world: World, command: str, user: Any = None, locale: str = "en-US") -> Any:
    handle = await world.discord.slash(user or world.discord.alice, command, locale=locale)
    response = await handle.wait_response()
    assert response.latency < 3.0 and handle.ephemeral
    return await handle.wait_original()


async def test_the_card_shows_the_price_while_the_job_is_checked_waits_and_runs_then_not(tmp_path):
    async with priced_world(tmp_path) as world:
        world.hold_jobs()
        _, running = await animate(world, quality="720p", clips="2")
        handle, waiting = await animate(world, clips="1")

        assert (running.price, waiting.price) == (320_000, 50_000)  # fixed at admission
        checking = card_parts(handle.response.data)
        assert checking.state == "Checking the image…" and checking.fields["Price"] == "0.05 USD"
        assert card_parts(await waiting_card(world, waiting)).fields["Price"] == "0.05 USD"
        running_card = await world.wait_card(
            lambda m: m.id == running.card_message_id and "Price" in card_parts(m).fields
        )
        assert card_parts(running_card).fields["Price"] == "0.32 USD"

        world.release(await world.wait_job(lambda j: j.id == running.id and j.provider_task_id is not None))
        await world.wait_delivered(running.id)
        done = await world.wait_card(lambda m: m.id == running.card_message_id and len(m.files) == 2)
        assert "Price" not in card_parts(done).fields  # decided and done: the card shows the clips


async def test_a_waiting_card_shows_the_price_in_vietnamese(tmp_path):
    async with priced_world(tmp_path) as world:
        world.hold_jobs()
        await animate(world, locale=VI)
        _, waiting = await animate(world, locale=VI, quality="720p")

        card = await waiting_card(world, waiting)
        assert card_parts(card).fields[vi("card.price")] == "0.64 USD"


async def test_an_extension_is_priced_per_extended_clip_on_its_card_and_at_admission(tmp_path):
    async with priced_world(tmp_path) as world:
        _, parent = await animate(world, clips="2")
        parent = await world.wait_delivered(parent.id)
        card = await world.wait_card(lambda m: m.id == parent.card_message_id and len(m.files) == 2)

        click = await world.discord.click(world.discord.alice, card, f"mb:x:{parent.id}:0:l")
        response = await click.wait_response()

        assert card_parts(response.data).fields["Price"] == "0.14 USD"
        child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
        assert child.price == 140_000


async def test_jobs_lists_each_jobs_price(tmp_path):
    async with priced_world(tmp_path) as world:
        _, first = await animate(world, quality="720p")
        await world.wait_delivered(first.id)
        _, second = await animate(world, clips="1")
        await world.wait_delivered(second.id)

        lines = (await private(world, "jobs")).embeds[0]["description"].splitlines()
        assert " · 0.05 USD · " in lines[0] and lines[0].startswith(f"**#{second.id}**")
        assert " · 0.64 USD · " in lines[1] and lines[1].startswith(f"**#{first.id}**")
        vi_lines = (await private(world, "jobs", locale=VI)).embeds[0]["description"].splitlines()
        assert " · 0.05 USD · " in vi_lines[0]


async def test_quota_shows_the_prices_and_the_budgets_in_force_for_the_member(tmp_path):
    async with priced_world(tmp_path) as world:
        discord = world.discord
        booster = await discord.add_role("Booster", members=[discord.alice])
        allowance = RoleAllowance(discord.guild.id, booster.id, day=1_500_000)
        await world.store.set_role_allowance(allowance, most=25)
        await world.store.update_guild_settings(
            discord.guild.id, lambda s: dataclasses.replace(s, budget_server_day=5_000_000)
        )

        alice = (await private(world, "quota")).embeds[0]["description"].splitlines()
        bob = (await private(world, "quota", discord.bob)).embeds[0]["description"].splitlines()

        assert "Prices: 0.05 USD a clip at 480p, 0.16 USD a clip at 720p, 0.07 USD an extended clip." in alice
        # the booster's allowance bounds what Alice spends here; the operator's caps what she spends anywhere
        assert "You in this server: 0.00 USD of 1.50 USD today, 1.50 USD left." in alice
        assert "You, all servers together: 0.00 USD of 2.00 USD today, 2.00 USD left." in alice
        assert "This server: 0.00 USD of 5.00 USD today, 5.00 USD left." in alice
        assert "Motionbot for everyone: 0.00 USD of 30.00 USD today, 30.00 USD left." in alice
        assert not [line for line in bob if line.startswith("You in this server")]
        assert "You, all servers together: 0.00 USD of 2.00 USD today, 2.00 USD left." in bob


async def test_quota_in_vietnamese_and_without_an_operator_cap(tmp_path):
    async with priced_world(tmp_path, budget_bot_month=None) as world:
        lines = (await private(world, "quota", locale=VI)).embeds[0]["description"].splitlines()

        assert "Giá: 0.05 USD một clip 480p, 0.16 USD một clip 720p, 0.07 USD một clip kéo dài." in lines
        assert "Máy chủ này: đã dùng 0.00 USD trên 10.00 USD hôm nay, còn 10.00 USD." in lines
        assert "Motionbot cho mọi người: đã dùng 0.00 USD trên 30.00 USD hôm nay, còn 30.00 USD." in lines
        assert not [line for line in lines if "Motionbot cho mọi người" in line and "tháng này" in line]
