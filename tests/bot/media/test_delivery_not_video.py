"""A clip URL that serves something else than a video (an ``imageUrl`` that is an image) is neither
attached nor linked: the server's Content-Type decides when it names a kind, the MP4 header otherwise."""

from __future__ import annotations

import collections
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.i18n import Lang, catalogue
from bot.media.delivery import (
    MIB,
    ClipFile,
    ClipUnavailable,
    DownloadedClip,
    LinkReason,
    RetryPolicy,
    UnavailableReason,
    download_clip,
    plan_uploads,
)
from tests.doubles.media import mp4_bytes, png_bytes

CLIP = mp4_bytes("not-video-test")
FAST = RetryPolicy(attempts=2, backoff_base=0, backoff_max=0, read_timeout=0.3)
# (Content-Type, body) a server may answer a clip URL with.
ANSWERS = {
    "/video": ("video/mp4", CLIP),
    "/video-typed-odd": ("video/quicktime", CLIP),
    "/octet": ("application/octet-stream", CLIP),
    "/png": ("image/png", png_bytes()),
    "/png-as-webp": ("image/webp; charset=binary", png_bytes()),
    "/json": ("application/json", b'{"error":"midjourney_task_not_found"}'),
    "/octet-image": ("application/octet-stream", png_bytes()),
}


@pytest.fixture
async def server():
    requests: collections.Counter[str] = collections.Counter()

    async def answer(request: web.Request) -> web.Response:
        requests[request.path] += 1
        content_type, body = ANSWERS[request.path]
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    for path in ANSWERS:
        app.router.add_get(path, answer)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    test_server.requests = requests  # type: ignore[attr-defined]
    yield test_server
    await test_server.close()


async def fetch(server: TestServer, path: str, dest: Path) -> DownloadedClip:
    async with aiohttp.ClientSession() as session:
        return await download_clip(session, str(server.make_url(path)), dest, max_bytes=MIB, retry=FAST)


@pytest.mark.parametrize("path", ["/video", "/video-typed-odd", "/octet"])
async def test_a_video_or_an_untyped_mp4_is_a_clip(server, tmp_path, path):
    clip = await fetch(server, path, tmp_path / "0.mp4")
    assert clip.path.read_bytes() == CLIP


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/png", UnavailableReason.NOT_VIDEO),
        ("/png-as-webp", UnavailableReason.NOT_VIDEO),
        ("/json", UnavailableReason.NOT_VIDEO),
        ("/octet-image", UnavailableReason.NOT_MP4),
    ],
)
async def test_what_the_server_calls_an_image_is_not_a_video(server, tmp_path, path, reason):
    with pytest.raises(ClipUnavailable) as caught:
        await fetch(server, path, tmp_path / "0.mp4")
    assert caught.value.reason is reason
    assert server.requests[path] == 1  # not retried: it will not turn into a video
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("reason", [UnavailableReason.NOT_VIDEO, UnavailableReason.NOT_MP4])
def test_a_clip_that_is_not_a_video_is_left_out_never_linked(reason):
    image = ClipFile.refused(0, "https://api.cometapi.com/mj/image/1", ClipUnavailable("u", reason, "x"))
    assert image.not_video and image.path is None
    video = ClipFile(index=1, url="https://cdn.example/1.mp4", size=MIB, path=Path("/clips/1.mp4"))
    plan = plan_uploads([image, video], per_file_limit=10 * MIB)
    assert [[clip.index for clip in batch] for batch in plan.messages] == [[1]]
    assert plan.links == () and [clip.index for clip in plan.left_out] == [0]
    (note,) = plan.notes
    assert (note.key, note.params) == ("delivery.not_video", {"clip": 1})
    assert "Clip 1" in catalogue().text(Lang.EN, note.key, **note.params)
    assert "clip 1" in catalogue().text(Lang.VI, note.key, **note.params).lower()


def test_a_clip_that_could_not_be_downloaded_is_still_linked():
    gone = ClipFile.refused(0, "u", ClipUnavailable("u", UnavailableReason.GONE, "HTTP 404"))
    assert not gone.not_video
    (link,) = plan_uploads([gone], per_file_limit=10 * MIB).links
    assert link.reason is LinkReason.UNAVAILABLE
