"""The "Animate image" message command end to end: attachments, embed images, and refusals."""

from bot.models import JobSource
from tests.doubles.media import png_bytes

COMMAND = "Animate image"


def has_clips(message) -> bool:
    return len(message.files) == 4


async def test_message_with_a_png_attachment_gets_a_public_card_and_a_context_menu_job(world):
    """The card is the public reply; the job records its source and the message it came from."""
    discord = world.discord
    image = ("cat.png", png_bytes(width=256, height=256), "image/png")
    source = await discord.post_message(discord.bob, discord.general, "my cat", attachments=[image])

    handle = await discord.message_command(discord.alice, COMMAND, source)
    response = await handle.wait_response()

    assert response.status == 200 and response.latency < 3.0
    assert response.type == 4 and not handle.ephemeral
    job = await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)
    assert job.requester_id == discord.alice.id
    assert job.source_message_id == source.id
    assert job.image_url == source.attachments[0].url
    assert job.card_message_id == handle.original_message_id
    card = await world.wait_card(has_clips)
    assert card.id == handle.original_message_id
    await world.wait_delivered(job.id)
    assert world.comet.submissions[-1]["image"] == source.attachments[0].url


async def test_message_whose_only_image_is_an_embed_uses_the_media_proxy_url(world):
    """An embed image is fetched through Discord's media proxy, never through the original URL."""
    discord = world.discord
    proxied = discord.state.store_file(discord.general.id, "embed.png", png_bytes(width=200, height=120))
    original = f"{discord.state.cdn_base}/attachments/0/0/not-fetchable.png"  # a 404 if ever fetched
    embed = {
        "type": "image",
        "url": original,
        "image": {"url": original, "proxy_url": proxied.url, "width": 200, "height": 120},
    }
    source = await discord.post_message(discord.bob, discord.general, "", embeds=[embed])

    handle = await discord.message_command(discord.alice, COMMAND, source)
    response = await handle.wait_response()

    assert response.type == 4 and not handle.ephemeral
    job = await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)
    assert job.image_url == proxied.url
    await world.wait_delivered(job.id)
    assert world.comet.submissions[-1]["image"] == proxied.url
    assert not any(r.path.endswith("not-fetchable.png") for r in discord.requests)


async def test_message_without_an_image_gets_a_private_explanation_and_nothing_starts(world):
    """No image on the message: an ephemeral explanation, no provider call, no job."""
    discord = world.discord
    source = await discord.post_message(discord.bob, discord.general, "just words")

    handle = await discord.message_command(discord.alice, COMMAND, source)
    response = await handle.wait_response()

    assert response.latency < 3.0
    assert handle.ephemeral
    assert "no image" in response.data["content"]
    assert world.comet.counts["submit"] == 0
    assert await world.store.all_jobs() == []


async def test_message_with_only_a_pdf_is_refused_naming_the_file_type(world):
    """A PDF is refused privately, and the refusal says it is a PDF."""
    discord = world.discord
    pdf = ("notes.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf")
    source = await discord.post_message(discord.bob, discord.general, "", attachments=[pdf])

    handle = await discord.message_command(discord.alice, COMMAND, source)
    response = await handle.wait_response()

    assert handle.ephemeral
    content = response.data["content"]
    assert "PDF" in content and "PNG, JPEG or WebP" in content
    assert world.comet.counts["submit"] == 0
    assert await world.store.all_jobs() == []
    assert [m for m in discord.bot_messages() if not m.ephemeral] == []
