"""A job that does not fit what is left is refused with the smaller job that does, as a button."""

from __future__ import annotations

from bot.models import GuildSettings, JobStatus, Quality
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, make_world
from tests.store_fixtures import save_settings


async def delivered_job(world: World, handle):
    await handle.wait_response()
    return await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is JobStatus.DELIVERED
    )


async def refused_with_offer(world: World, **options):
    """Run /animate as Alice; return the private refusal's message, which carries the offer."""
    handle = await world.animate(**options)
    response = await handle.wait_response()
    assert handle.ephemeral
    message = await handle.wait_original()
    return response.data["content"], message


def offer_button(message) -> str:
    [custom_id] = message.custom_ids
    return custom_id


async def counting_clips(world: World) -> None:
    await save_settings(world.store, GuildSettings(guild_id=world.discord.guild.id, count_clips=True))


async def test_a_refused_job_offers_fewer_clips_and_the_button_starts_them(tmp_path):
    """3 clips a day, 2 used: 4 clips are refused with "1 clip at 480p for 0.05 USD"; the button makes it."""
    async with make_world(tmp_path, max_daily_jobs_per_user=3) as world:
        await counting_clips(world)
        await delivered_job(world, await world.animate(prompt="one", clips="2"))

        content, message = await refused_with_offer(world, prompt="two --motion high", clips="4")

        assert "daily limit of 3" in content
        assert "It fits as 1 clip at 480p for 0.05 USD: press the button to make that instead." in content
        assert len(await world.store.all_jobs()) == 1
        press = await world.discord.click(world.discord.alice, message, offer_button(message))
        await press.wait_response()
        answer = await press.wait_response()
        assert not press.ephemeral, answer.data  # the card of the smaller job, in the channel
        job = await delivered_job(world, press)
        assert (job.clips, job.quality, job.motion, job.prompt) == (1, Quality.SD, "high", "two")
        assert world.comet.submissions[-1]["prompt"].endswith("--bs 1")
        again = await world.discord.click(world.discord.alice, message, offer_button(message))
        assert "This offer has expired" in (await again.wait_response()).data["content"]
        assert len(await world.store.all_jobs()) == 2  # taken once


async def test_720p_that_does_not_fit_is_offered_at_480p_in_vietnamese(tmp_path):
    """A 720p job over the room left is offered as 480p with the same clips, in the member's language."""
    async with make_world(tmp_path, max_daily_jobs_per_user=2) as world:
        await counting_clips(world)
        content, message = await refused_with_offer(world, clips="4", quality="720p", locale="vi")
        assert "Video vừa ngân sách nếu làm 2 clip ở 720p với giá 0.32 USD" in content
        assert "Tạo 2 clip ở 720p · 0.32 USD" in str(message.components)


async def test_only_the_member_refused_can_take_the_offer(tmp_path):
    async with make_world(tmp_path, max_daily_jobs_per_user=1) as world:
        await counting_clips(world)
        _content, message = await refused_with_offer(world, clips="2")
        press = await world.discord.click(world.discord.bob, message, offer_button(message))
        response = await press.wait_response()
        assert press.ephemeral
        assert "This offer is for the member it was made to" in response.data["content"]
        assert await world.store.all_jobs() == []
        assert world.comet.counts["submit"] == 0


async def test_nothing_smaller_to_offer_is_a_plain_refusal(tmp_path):
    """Counting jobs (the default), a smaller job takes the same unit: no offer, no button."""
    async with make_world(tmp_path, max_daily_jobs_per_user=1) as world:
        await delivered_job(world, await world.animate(prompt="one"))
        content, message = await refused_with_offer(world, clips="4")
        assert "daily limit of 1" in content and "fits" not in content
        assert message.custom_ids == []


async def test_a_refused_reaction_says_in_its_dm_what_would_fit(tmp_path):
    """No button in a DM about a reaction: the message says which options to type with /animate."""
    async with make_world(tmp_path, max_daily_jobs_per_user=3, default_clips=4) as world:
        await counting_clips(world)
        await delivered_job(world, await world.animate(prompt="one", clips="2"))
        discord = world.discord
        attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
        posted = await discord.post_message(discord.bob, discord.general, "look", attachments=[attachment])
        await discord.add_reaction(discord.alice, posted, "🎬")
        dm_channel = discord.dm_channel(discord.alice)
        dm = await world.wait_card(lambda m: m.channel_id == dm_channel.id)
        assert "It would fit as 1 clip at 480p for 0.05 USD: start it again with clips 1" in dm.content
        assert dm.custom_ids == []
        assert len(await world.store.all_jobs()) == 1
