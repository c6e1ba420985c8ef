"""Input images come from Discord's hosts only: off-host embeds and redirects are refused, never fetched.

A second loopback server (``Elsewhere``) stands for any host that is not Discord's: it serves a valid
PNG for every path and counts the requests it gets, so each test can prove it was never reached.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.models import JobSource
from tests.doubles.discord import Message
from tests.doubles.media import png_bytes
from tests.e2e.harness import World

COMMAND = "Animate image"
TRIGGER = "🎬"
REFUSAL = "I only download images from Discord itself"


class Elsewhere:
    """An HTTP server on 127.0.0.1 that is not on the bot's image host list; counts its requests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.base_url = ""

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(body=png_bytes(width=256, height=256), content_type="image/png")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Elsewhere]:
        """Serve until the block exits."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    """A loopback server off the image host list."""
    async with Elsewhere().running() as server:
        yield server


async def post_raw_embed(world: World, url: str) -> Message:
    """Bob posts a message whose embed has only a raw image URL (no media proxy URL)."""
    embed = {"type": "image", "url": url, "image": {"url": url, "width": 256, "height": 256}}
    return await world.discord.post_message(world.discord.bob, world.discord.general, "", embeds=[embed])


async def post_redirecting_attachment(world: World, location: str) -> Message:
    """Bob posts a PNG whose CDN download answers a redirect to ``location``."""
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    message = await world.discord.post_message(
        world.discord.bob, world.discord.general, "", attachments=[attachment]
    )
    world.discord.state.files[message.attachments[0].id].redirect_to = location
    return message


async def dm_text(world: World) -> str:
    """Wait for the bot's DM to alice and return its text."""
    inbox = world.discord.dm_channel(world.discord.alice).id
    return (await world.wait_card(lambda m: m.channel_id == inbox)).content


async def context_menu_refusal(world: World, source: Message) -> str:
    """Use "Animate image" on ``source`` as alice; return the private answer (checked private)."""
    handle = await world.discord.message_command(world.discord.alice, COMMAND, source)
    response = await handle.wait_response()
    assert response.latency < 3.0
    answer = await handle.wait_original(lambda m: not m.loading) if handle.ephemeral else None
    if answer is None:  # the card went out first; the refusal is a private follow-up
        answer = await world.discord.wait_for_message(
            lambda m: m.id in handle.followup_ids and m.ephemeral, timeout=10
        )
    assert answer.ephemeral
    return answer.content


async def assert_nothing_started(world: World) -> None:
    """No job, no provider call, no card left in the channel."""
    assert world.comet.counts["submit"] == 0
    assert sum(world.comet.counts.values()) == 0
    assert await world.store.all_jobs() == []
    left = [m for m in world.discord.bot_messages(world.discord.general) if not m.deleted and not m.ephemeral]
    assert left == []


async def test_context_menu_on_an_embed_with_only_an_off_host_url_is_refused_unfetched(world, elsewhere):
    source = await post_raw_embed(world, f"{elsewhere.base_url}/cat.png")

    assert REFUSAL in await context_menu_refusal(world, source)

    assert elsewhere.requests == []
    await assert_nothing_started(world)


async def test_reaction_on_an_embed_with_only_an_off_host_url_is_refused_unfetched(world, elsewhere):
    source = await post_raw_embed(world, f"{elsewhere.base_url}/cat.png")
    await world.discord.add_reaction(world.discord.alice, source, TRIGGER)

    assert REFUSAL in await dm_text(world)
    assert elsewhere.requests == []
    await assert_nothing_started(world)


async def test_a_cdn_attachment_redirecting_off_the_hosts_is_refused_and_the_target_never_reached(
    world, elsewhere
):
    source = await post_redirecting_attachment(world, f"{elsewhere.base_url}/stolen.png")

    assert REFUSAL in await context_menu_refusal(world, source)

    assert elsewhere.requests == []
    await assert_nothing_started(world)


async def test_a_reaction_on_a_redirecting_cdn_attachment_is_refused(world, elsewhere):
    source = await post_redirecting_attachment(world, f"{elsewhere.base_url}/stolen.png")
    await world.discord.add_reaction(world.discord.alice, source, TRIGGER)

    assert REFUSAL in await dm_text(world)
    assert elsewhere.requests == []
    await assert_nothing_started(world)


async def test_an_embed_with_plain_http_to_a_host_not_listed_is_refused(world, elsewhere):
    """``localhost:PORT`` reaches the counting server but is not the listed ``127.0.0.1:PORT``."""
    source = await post_raw_embed(world, elsewhere.base_url.replace("127.0.0.1", "localhost") + "/cat.png")

    assert REFUSAL in await context_menu_refusal(world, source)
    assert elsewhere.requests == []
    await assert_nothing_started(world)


async def test_a_raw_embed_url_on_the_cdn_and_a_redirect_within_it_still_work(world):
    """The normal flow: an embed's raw URL on Discord's CDN is used, and a CDN-internal redirect followed."""
    discord = world.discord
    real = discord.state.store_file(discord.general.id, "real.png", png_bytes(width=256, height=256))
    hop = discord.state.store_file(discord.general.id, "hop.png", b"")
    hop.redirect_to = real.url.removeprefix(discord.base_url)  # a relative Location on the same host
    source = await post_raw_embed(world, hop.url)

    handle = await discord.message_command(discord.alice, COMMAND, source)
    response = await handle.wait_response()

    assert response.type == 4 and not handle.ephemeral
    job = await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)
    await world.wait_delivered(job.id)
    assert world.comet.counts["submit"] == 1


async def test_a_cdn_redirect_loop_is_given_up_after_a_few_hops(world):
    """Redirects within Discord's hosts are followed, but only a few times."""
    discord = world.discord
    loop = discord.state.store_file(discord.general.id, "loop.png", png_bytes(width=256, height=256))
    loop.redirect_to = loop.url  # redirects to itself forever
    source = await post_raw_embed(world, loop.url)

    assert "couldn't fetch that image" in await context_menu_refusal(world, source)
    await assert_nothing_started(world)
