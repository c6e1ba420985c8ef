"""The clip archive in an S3 bucket, end to end (issue 22, item 5): the bot speaks S3 to moto's server.

Every process of a bot keeps its clips in one bucket, so any of them answers /show with clips another
kept, even when Discord and the provider no longer have them. A bucket that refuses a clip never
stops a delivery.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import DEFERRED, World, make_world, running_motionbot, settings_for
from tests.e2e.test_show_e2e import delivered_job, provider_clips, provider_forgets, reposted, show
from tests.s3_server import S3Server

MIB = 1024 * 1024


async def test_show_is_served_from_the_bucket_by_another_process(s3_server: S3Server, tmp_path: Path) -> None:
    """Process 1 delivers and keeps the clips in the bucket, then stops. The card is deleted and the
    provider forgets the task; process 2, a new bot on the same store, re-posts the clips from the
    bucket."""
    bucket = s3_server.new_bucket()
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3)
        settings = settings_for(discord, comet, tmp_path, **s3_server.settings(bucket, "motionbot/clips"))
        async with running_motionbot(settings, discord) as first:
            job, card = await delivered_job(World(discord, comet, settings, first))
        kept = [f"motionbot/clips/{job.id}/{index}.mp4" for index in range(4)]
        assert s3_server.keys(bucket) == kept
        originals = provider_clips(World(discord, comet, settings, first), job)
        await discord.delete_message(card)
        provider_forgets(World(discord, comet, settings, first), job)

        async with running_motionbot(settings, discord) as second:
            handle, response = await show(World(discord, comet, settings, second), discord.mod, job.id)
            assert response.type == DEFERRED
            message = await reposted(handle)

    assert [f.data for f in message.files] == originals
    assert message.id != card.id


async def test_a_bucket_that_refuses_the_clips_does_not_stop_the_delivery(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """The bucket does not exist: each clip is logged as not kept, the job is delivered all the same,
    and /show takes the card's files from Discord."""
    async with make_world(tmp_path, **s3_server.settings("no-such-bucket-anywhere")) as world:
        job, card = await delivered_job(world)
        assert job.status is JobStatus.DELIVERED
        provider_forgets(world, job)

        handle, _ = await show(world, world.discord.alice, job.id)
        message = await reposted(handle)

    assert [f.data for f in message.files] == [f.data for f in card.files]


async def test_show_without_an_archive_takes_the_clips_of_the_cards_reply_too(world: World) -> None:
    """Four 7 MiB clips: three on the card, the fourth in the bot's reply to it, members talk after.
    With no archive, the provider's links dead and Discord's links expired, /show reads the card and
    the reply again and re-posts all four."""
    world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
    discord = world.discord
    handle = await world.animate()
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 3)
    job = await world.wait_job(lambda j: j.card_message_id == card.id and j.status is JobStatus.DELIVERED)
    reply = await world.wait_card(lambda m: m.id != card.id and len(m.files) == 1)
    for n in range(3):
        await discord.post_message(discord.bob, discord.general, f"nice {n}")
    originals = provider_clips(world, job)
    provider_forgets(world, job)
    discord.expire_attachment_links()

    shown, response = await show(world, discord.alice, job.id)
    assert response.type == DEFERRED
    message = await reposted(shown)
    (more,) = await shown.wait_followups(1, timeout=10)

    assert [f.data for f in (*message.files, *more.files)] == originals
    assert [f.filename for f in more.files] == [f.filename for f in reply.files]


async def test_show_never_follows_a_discord_link_that_redirects_elsewhere(world: World) -> None:
    """Discord's CDN answers the card's files with a redirect off Discord: /show does not follow it
    (never fetching a URL that is not Discord's) and, with nothing else left, tells the member."""
    hits: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{name}", elsewhere)
    async with TestServer(app, host="127.0.0.1") as other:
        job, card = await delivered_job(world)
        provider_forgets(world, job)
        for stored in world.discord.state.messages[card.id].files:
            stored.redirect_to = str(other.make_url(f"/{stored.filename}"))

        shown, response = await show(world, world.discord.alice, job.id)
        assert response.type == DEFERRED
        (answer,) = await shown.wait_followups(1, timeout=10)

    assert answer.ephemeral and f"video #{job.id} are no longer available" in answer.content
    assert hits == []
