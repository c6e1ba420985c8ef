"""The image a job sends the provider: a CDN attachment's link, else the checked bytes (re-encoded to fit)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os

import aiohttp
import pytest
from PIL import Image

from bot.checks.image_fetch import CheckedImage, ImageFetcher
from bot.checks.images import JPEG, PNG, ImageInfo, validate_image_bytes
from bot.checks.provider_images import (
    CheckedMemory,
    ImageNotSendable,
    ProviderImages,
    fit_under,
    sent_by_link,
)
from bot.image_hosts import ImageHostPolicy
from bot.models import Job, JobSource, JobStatus, Motion, Quality
from tests.doubles.media import png_bytes

ATTACHMENT = "https://cdn.discordapp.com/attachments/111/222/cat.png?ex=1&is=2&hm=3&"
EMBED = "https://images-ext-1.discordapp.net/external/AbC/https/example.com/cat.png"


@pytest.mark.parametrize(
    ("url", "by_link"),
    [
        (ATTACHMENT, True),
        ("https://cdn.discordapp.com/ephemeral-attachments/1/2/cat.png", True),
        ("https://media.discordapp.net/attachments/1/2/cat.png?width=300", True),
        ("http://127.0.0.1:8080/cdn/attachments/1/2/cat.png?ex=1", True),  # the Discord double's CDN
        (EMBED, False),
        ("https://media.discordapp.net/external/AbC/https/example.com/cat.png", False),
        ("https://media.discordapp.net/stickers/123.png", False),
        ("https://cdn.discordapp.com/avatars/1/abc.png", False),
        ("https://cdn.discordapp.com/attachments/x/2/cat.png", False),
        ("https://cdn.discordapp.com/attachments/1/2/cat.png/more", False),
        ("not a url at all", False),
    ],
)
def test_only_cdn_attachments_are_sent_by_their_link(url, by_link):
    assert sent_by_link(url) is by_link


def checked(data: bytes, mime: str = PNG) -> CheckedImage:
    return CheckedImage(data, validate_image_bytes(data, mime, max_bytes=64 * 1024 * 1024))


def fake(size: int) -> CheckedImage:
    return CheckedImage(b"x" * size, ImageInfo(PNG, 64, 64, size))


def test_memory_lets_the_oldest_go_past_its_budget_and_keeps_nothing_too_big():
    memory = CheckedMemory(budget=100)
    memory.keep(1, fake(40))
    memory.keep(2, fake(40))
    memory.keep(3, fake(40))
    memory.keep(4, fake(101))
    assert memory.recall(1) is None
    assert memory.recall(2) is not None and memory.recall(3) is not None
    assert memory.recall(4) is None


def noise_png(width: int, height: int, *, alpha: bool = False) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    picture = Image.frombytes(mode, (width, height), os.urandom(width * height * len(mode)))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def test_an_image_over_the_limit_is_re_encoded_as_a_jpeg_under_it():
    big = checked(noise_png(600, 400))
    limit = 40_000
    assert len(big.data) > limit

    small = fit_under(big, limit)

    assert len(small) <= limit
    info = validate_image_bytes(small, JPEG, max_bytes=limit)
    assert info.width / info.height == pytest.approx(600 / 400, rel=0.02)


def test_transparent_parts_become_white():
    clear = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, "PNG")

    with Image.open(io.BytesIO(fit_under(checked(out.getvalue()), 100_000))) as result:
        assert result.convert("RGB").getpixel((40, 40)) >= (250, 250, 250)


def test_an_image_that_cannot_fit_is_not_sendable():
    with pytest.raises(ImageNotSendable):
        fit_under(checked(noise_png(200, 200)), 200)


def job(image_url: str, job_id: int = 7) -> Job:
    now = dt.datetime.now(dt.UTC)
    return Job(
        id=job_id,
        requester_id=1,
        guild_id=2,
        channel_id=3,
        source=JobSource.CONTEXT_MENU,
        status=JobStatus.QUEUED,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="a cat",
        image_url=image_url,
        locale="en-US",
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
async def nowhere():
    """Provider images whose fetcher may fetch from no host at all: any fetch is refused."""
    async with aiohttp.ClientSession() as http:
        yield ProviderImages(ImageFetcher(http, ImageHostPolicy.of([]), 1024 * 1024), limit=50_000)


async def test_a_kept_image_is_sent_as_its_checked_bytes_without_a_fetch(nowhere):
    image = checked(png_bytes(width=128, height=128))
    nowhere.keep(7, EMBED, image)

    sent = await nowhere.image_for(job(EMBED))

    assert sent == "data:image/png;base64," + base64.b64encode(image.data).decode()


async def test_a_kept_image_over_the_limit_is_sent_re_encoded(nowhere):
    nowhere.keep(7, EMBED, checked(noise_png(400, 400)))

    sent = await nowhere.image_for(job(EMBED))

    assert sent.startswith("data:image/jpeg;base64,")
    assert len(base64.b64decode(sent.split(",", 1)[1])) <= 50_000


async def test_an_attachment_is_sent_by_its_link_and_not_kept(nowhere):
    nowhere.keep(7, ATTACHMENT, checked(png_bytes(width=128, height=128)))
    assert await nowhere.image_for(job(ATTACHMENT)) == ATTACHMENT


async def test_an_image_not_kept_is_fetched_and_checked_again_and_a_failure_sends_nothing(nowhere):
    with pytest.raises(ImageNotSendable, match=r"error\.image_host_not_allowed"):
        await nowhere.image_for(job(EMBED))
