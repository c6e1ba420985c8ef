"""What the provider animates is what the bot checked (issue 18, item 8), end to end.

An embed's image reaches the bot through Discord's media proxy, which fetches it from the origin; the
origin (``ImageOrigin``) serves picture A first and picture B to everyone after. On the old code the bot
checked A and sent the provider the proxy link, which then served B. Now the provider gets a data URI:
the bytes the bot checked, kept from the check to the submit, or fetched and checked again after a
restart (and a job whose image no longer passes is failed, free, with nothing sent). An attachment on
Discord's CDN, which cannot change, is still sent by its link.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bot.models import FailureKind, Job, JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.doubles.origin import ImageOrigin
from tests.e2e.harness import World, card_parts, running_motionbot, settings_for

COMMAND = "Animate image"
PICTURE_A = png_bytes(width=320, height=240, seed="checked")
PICTURE_B = png_bytes(width=320, height=240, seed="swapped")
NOT_AN_IMAGE = b"<html><body>gone</body></html>"


@pytest.fixture
async def origin() -> AsyncIterator[ImageOrigin]:
    """An origin serving picture A once, then picture B."""
    async with ImageOrigin([(PICTURE_A, "image/png"), (PICTURE_B, "image/png")]).running() as server:
        yield server


async def post_embed(world: World, origin_url: str) -> Message:
    """Bob posts a link to ``origin_url``; Discord shows its image in an embed, through the media proxy."""
    image = {"url": origin_url, "proxy_url": world.discord.proxied(origin_url), "width": 320, "height": 240}
    embed = {"type": "image", "url": origin_url, "image": image}
    return await world.discord.post_message(world.discord.bob, world.discord.general, "", embeds=[embed])


async def animate_embed(world: World, source: Message) -> Job:
    """Alice uses "Animate image" on ``source``; return the job it created."""
    handle = await world.discord.message_command(world.discord.alice, COMMAND, source)
    await handle.wait_response()
    return await world.wait_job(lambda j: j.source_message_id == source.id)


def sent_bytes(image: str) -> bytes:
    """Decode the ``image`` field of a submit, which must be a base64 data URI."""
    assert image.startswith("data:image/png;base64,"), image[:60]
    return base64.b64decode(image.split(",", 1)[1])


async def test_an_embed_image_is_sent_as_the_bytes_checked_not_the_proxy_link(world, origin):
    source = await post_embed(world, origin.url())

    job = await world.wait_delivered((await animate_embed(world, source)).id)

    received = world.comet.received_images[job.provider_task_id or ""]
    assert (received.link, received.data) == (None, PICTURE_A)
    assert sent_bytes(world.comet.submissions[-1]["image"]) == PICTURE_A
    assert origin.requests == ["/picture.png"]  # the bot's check only: the provider never asked


async def test_an_attachment_is_still_sent_by_its_cdn_link(world):
    handle = await world.animate(image=PICTURE_A)
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

    assert world.comet.submissions[-1]["image"] == job.image_url
    received = world.comet.received_images[job.provider_task_id or ""]
    assert (received.link, received.data) == (job.image_url, PICTURE_A)


async def waiting_embed_job_across_a_restart(tmp_path, origin: ImageOrigin) -> tuple[World, Job]:
    """Run an embed job that waits behind a running one until after a restart; return its final state.

    Alice may run one job at a time: her first (an attachment) is held at the provider, so the embed
    job is checked and stored but not sent. The bot stops; a new process sends it once the first ends.
    """
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=3600)
        settings = settings_for(discord, comet, tmp_path, max_concurrent_jobs_per_user=1)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await (await first.animate()).wait_response()
            running = await first.wait_job(lambda j: j.status is JobStatus.SUBMITTED)
            waiting = await animate_embed(first, await post_embed(first, origin.url()))
            assert waiting.status is JobStatus.QUEUED and origin.requests == ["/picture.png"]
        comet.default_plan = TaskPlan(duration=0.3)
        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            second.release(running)
            done = await second.wait_job(lambda j: j.id == waiting.id and j.status.is_final, timeout=15)
            if done.status is JobStatus.FAILED:
                card_id = done.card_message_id
                await second.wait_card(lambda m: m.id == card_id and "Failed" in card_parts(m).state)
            return second, done


async def test_after_a_restart_the_image_is_fetched_and_checked_again_and_those_bytes_sent(tmp_path, origin):
    world, job = await waiting_embed_job_across_a_restart(tmp_path, origin)

    assert job.status is JobStatus.DELIVERED
    received = world.comet.received_images[job.provider_task_id or ""]
    assert (received.link, received.data) == (None, PICTURE_B)  # what the second check saw, as bytes
    assert origin.requests == ["/picture.png", "/picture.png"]  # two checks; the provider never asked


async def test_an_image_that_no_longer_passes_the_checks_fails_the_job_and_nothing_is_sent(tmp_path):
    answers = [(PICTURE_A, "image/png"), (NOT_AN_IMAGE, "image/png")]
    async with ImageOrigin(answers).running() as origin:
        world, job = await waiting_embed_job_across_a_restart(tmp_path, origin)

    assert (job.status, job.failure_kind) == (JobStatus.FAILED, FailureKind.IMAGE)
    assert job.provider_task_id is None
    assert len(world.comet.submissions) == 1  # the first job's only
    card = world.discord.state.messages[job.card_message_id or 0]
    assert "could not be fetched from Discord and checked again" in card_parts(card).state
