"""The .env limits are the operator's budget: a server's settings may lower them, never raise them."""

import pytest

from bot.models import GuildSettings, JobStatus
from tests.e2e.harness import World, final_answer, make_world
from tests.store_fixtures import save_settings

SETTINGS = "motionbot settings"
LIMITS = [
    ("max_concurrent_per_user", "Jobs at once per member", 2),
    ("max_daily_per_user", "Videos per member per day", 10),
    ("max_daily_per_guild", "Videos per server per day", 100),
]


async def private_answer(world: World, user, command: str, options: dict | None = None) -> str:
    """Run a slash command and return its final private answer (a saved change is deferred first)."""
    handle = await world.discord.slash(user, command, options or {})
    response = await handle.wait_response()
    assert response.latency < 3.0 and handle.ephemeral
    return await final_answer(handle)


async def shown_settings(world: World) -> dict[str, str]:
    """The fields of /motionbot settings show."""
    handle = await world.discord.slash(world.discord.admin, f"{SETTINGS} show")
    await handle.wait_response()
    message = await handle.wait_original()
    return {field["name"]: field["value"] for field in message.embeds[0]["fields"]}


async def delivered(world: World, user=None) -> None:
    """Run /animate and wait until the job is delivered (it then counts against the limits)."""
    handle = await world.animate(user)
    await handle.wait_response()
    await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is JobStatus.DELIVERED
    )


@pytest.mark.parametrize(("setting", "label", "cap"), LIMITS)
async def test_admin_cannot_set_a_limit_above_the_operators(world, setting, label, cap):
    """One above the .env value is refused, naming the cap, and nothing is stored."""
    answer = await private_answer(
        world, world.discord.admin, f"{SETTINGS} set", {"setting": setting, "value": str(cap + 1)}
    )

    assert answer == (
        f"{label} can't be set to {cap + 1}: this bot's operator allows at most {cap}. "
        "A server can lower this limit but not raise it."
    )
    assert await world.store.get_guild_settings(world.discord.guild.id) is None


async def test_admin_is_refused_in_vietnamese_too(world):
    """The refusal follows the admin's language."""
    handle = await world.discord.slash(
        world.discord.admin,
        f"{SETTINGS} set",
        {"setting": "max_daily_per_guild", "value": "100000"},
        locale="vi",
    )
    response = await handle.wait_response()
    assert "người vận hành bot chỉ cho phép tối đa 100" in response.data["content"]
    assert await world.store.get_guild_settings(world.discord.guild.id) is None


async def test_an_override_stored_above_the_cap_does_not_lift_the_members_limit(tmp_path):
    """An older version stored 500 a day; the .env says 1: the second job is refused at 1."""
    async with make_world(tmp_path, max_daily_jobs_per_user=1) as world:
        guild = world.discord.guild.id
        await save_settings(world.store, GuildSettings(guild_id=guild, max_daily_per_user=500))
        await delivered(world)
        submits = world.comet.counts["submit"]

        handle = await world.animate()
        response = await handle.wait_response()
        assert handle.ephemeral and "your daily limit of 1 video" in response.data["content"]
        assert world.comet.counts["submit"] == submits
        assert (await world.store.usage_today(guild, world.discord.alice.id)).user_today == 1
        fields = await shown_settings(world)
        assert fields["Videos per member per day"] == "1 (the operator's limit; this server asked for 500)"


async def test_an_override_stored_above_the_cap_does_not_lift_concurrency_or_the_server_limit(tmp_path):
    """Stored 20 at once and 100000 a day against an .env of 1 and 2: both still hold at 1 and 2."""
    async with make_world(tmp_path, max_concurrent_jobs_per_user=1, max_daily_jobs_per_guild=2) as world:
        discord = world.discord
        await save_settings(
            world.store,
            GuildSettings(guild_id=discord.guild.id, max_concurrent_per_user=20, max_daily_per_guild=100_000),
        )
        world.hold_jobs()
        first = await world.animate()
        await first.wait_response()
        running = await world.wait_job(lambda j: j.card_message_id == first.original_message_id)

        second = await world.animate()
        await second.wait_response()
        waiting = await world.wait_job(lambda j: j.card_message_id == second.original_message_id)
        assert waiting.status is JobStatus.QUEUED and world.comet.counts["submit"] == 1  # one at once

        for job in (running, waiting):
            world.release(
                await world.wait_job(lambda j, i=job.id: j.id == i and j.provider_task_id is not None)
            )
            await world.wait_delivered(job.id)
        other = await world.animate(discord.bob)
        assert "This server has reached its daily limit of 2" in (await other.wait_response()).data["content"]
        assert world.comet.counts["submit"] == 2


async def test_lowering_a_limit_still_works(world):
    """The admin lowers the member's daily limit to 1 (.env: 10): the second job is refused."""
    answer = await private_answer(
        world, world.discord.admin, f"{SETTINGS} set", {"setting": "max_daily_per_user", "value": "1"}
    )
    assert answer == "Videos per member per day is now: 1"
    await delivered(world)

    handle = await world.animate()
    response = await handle.wait_response()

    assert handle.ephemeral and "your daily limit of 1 video" in response.data["content"]
    assert (await shown_settings(world))["Videos per member per day"] == "1"
