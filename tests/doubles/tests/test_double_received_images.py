"""The first frame the CometAPI double received (data URIs decoded as the upstream does, links fetched),
its request body limit, and the Discord double's media proxy in front of a changing origin.
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_images import REQUEST_BODY_LIMIT
from tests.doubles.discord import DiscordDouble
from tests.doubles.media import png_bytes
from tests.doubles.origin import ImageOrigin
from tests.doubles.tests.test_cometapi_double import AUTH, GOOD, call, submit

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session
PNG = png_bytes(width=100, height=100)
ENCODED = base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    ("image", "mime"),
    [
        (f"data:image/png;base64,{ENCODED}", "image/png"),
        (f"data:image/webp;base64,{ENCODED[:40]} {ENCODED[40:]}", "image/webp"),  # a space is skipped
        (ENCODED, "image/png"),  # no prefix: taken whole as base64 of a PNG
    ],
)
async def test_a_base64_image_is_decoded_and_recorded(cometapi_double, cometapi_session, image, mime):
    _, answer, _ = await submit(cometapi_session, cometapi_double, {**GOOD, "image": image})

    received = cometapi_double.received_images[answer["result"]]
    assert (received.link, received.mime, received.data) == (None, mime, PNG)


@pytest.mark.parametrize("image", ["data:image/png;base64,not*base64", "data:image/png;base64,abc", "x.png"])
async def test_neither_a_link_nor_base64_is_refused(cometapi_double, cometapi_session, image):
    _, answer, _ = await submit(cometapi_session, cometapi_double, {**GOOD, "image": image})

    assert (answer["code"], answer["description"], answer["result"]) == (4, "base64格式错误", None)


async def test_a_link_on_this_machine_is_fetched_and_one_elsewhere_only_recorded(
    cometapi_double, cometapi_session
):
    async with ImageOrigin([(PNG, "image/png")]).running() as origin:
        _, here, _ = await submit(cometapi_session, cometapi_double, {**GOOD, "image": origin.url()})
        _, away, _ = await submit(cometapi_session, cometapi_double, GOOD)

    fetched = cometapi_double.received_images[here["result"]]
    assert (fetched.link, fetched.data) == (origin.url(), PNG)
    assert origin.requests == ["/picture.png"]
    assert cometapi_double.received_images[away["result"]].data is None


async def test_a_body_over_the_upstream_limit_is_refused_with_413(cometapi_double, cometapi_session):
    body = json.dumps({**GOOD, "image": "data:image/png;base64," + "A" * REQUEST_BODY_LIMIT}).encode()
    url = f"{cometapi_double.base_url}/mj/submit/video"
    headers = {**AUTH, "Content-Type": "application/json"}
    status, _, _ = await call(cometapi_session, "POST", url, data=io.BytesIO(body), headers=headers)

    assert status == 413
    assert cometapi_double.tasks == {}


async def test_the_media_proxy_fetches_the_origin_on_every_request(cometapi_session):
    other = png_bytes(width=100, height=100, seed="other")
    async with (
        DiscordDouble() as discord,
        ImageOrigin([(PNG, "image/png"), (other, "image/png")]).running() as origin,
    ):
        proxied = discord.proxied(origin.url("a/b.png?size=2"))
        bodies = []
        for _ in range(2):
            async with cometapi_session.get(proxied) as response:
                assert response.content_type == "image/png"
                bodies.append(await response.read())
        async with cometapi_session.get(discord.proxied("https://example.com/x.png")) as away:
            assert away.status == 404  # only origins on this machine are fetched

    assert proxied.startswith(f"{discord.base_url}/external/")
    assert bodies == [PNG, other]
    assert origin.requests == ["/a/b.png", "/a/b.png"]
