"""Clip download against a real aiohttp server on 127.0.0.1, the upload plan, and the archive."""

from __future__ import annotations

import asyncio
import collections
import tracemalloc
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.i18n import Lang, catalogue
from bot.media.delivery import (
    MIB,
    ClipFile,
    ClipTooLarge,
    ClipUnavailable,
    DownloadedClip,
    LinkReason,
    RetryPolicy,
    UnavailableReason,
    download_clip,
    plan_uploads,
)
from tests.doubles.media import mp4_bytes

CLIP = mp4_bytes("delivery-test", min_size=200_000)
FAST = RetryPolicy(attempts=3, backoff_base=0, backoff_max=0, read_timeout=0.3)
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
STREAM_BLOCK = MP4_HEAD + b"\x00" * (64 * 1024 - len(MP4_HEAD))


class ClipServer:
    """Serves clips and failures; counts requests per path."""

    def __init__(self) -> None:
        self.requests: collections.Counter[str] = collections.Counter()
        self.release = asyncio.Event()
        self.body_started = asyncio.Event()
        self.app = web.Application()
        routes = {
            "/clip.mp4": self.clip,
            "/big.mp4": self.big,
            "/big-chunked.mp4": self.big_chunked,
            "/stream/{mib}.mp4": self.stream,
            "/gone": self.gone,
            "/expired": self.expired,
            "/forbidden": self.forbidden,
            "/teapot": self.teapot,
            "/flaky.mp4": self.flaky,
            "/always-500": self.always_500,
            "/cut-short.mp4": self.cut_short,
            "/hangs-once.mp4": self.hangs_once,
            "/stalls-mid-body.mp4": self.stalls_mid_body,
            "/page.html": self.page,
            "/tiny": self.tiny,
        }
        for path, handler in routes.items():
            self.app.router.add_get(path, self.counted(handler))

    def counted(self, handler):
        async def wrapper(request: web.Request) -> web.StreamResponse:
            self.requests[request.path] += 1
            return await handler(request)

        return wrapper

    async def clip(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=CLIP, content_type="video/mp4")

    async def big(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=MP4_HEAD + b"\x00" * (3 * MIB), content_type="video/mp4")

    async def big_chunked(self, request: web.Request) -> web.StreamResponse:
        return await self.send_stream(request, 3 * MIB)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        return await self.send_stream(request, int(request.match_info["mib"]) * MIB)

    async def send_stream(self, request: web.Request, total: int) -> web.StreamResponse:
        """Write ``total`` bytes in 64 KiB blocks with chunked encoding (no Content-Length)."""
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(total // len(STREAM_BLOCK)):
            await response.write(STREAM_BLOCK)
        await response.write_eof()
        return response

    async def gone(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPNotFound

    async def expired(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPGone

    async def forbidden(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPForbidden(text="Request has expired")

    async def teapot(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=418)

    async def flaky(self, request: web.Request) -> web.StreamResponse:
        if self.requests[request.path] == 1:
            raise web.HTTPInternalServerError
        return await self.clip(request)

    async def always_500(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPInternalServerError

    async def cut_short(self, request: web.Request) -> web.StreamResponse:
        """First answer promises the whole clip but sends half, then closes; the second is whole."""
        if self.requests[request.path] > 1:
            return await self.clip(request)
        response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(len(CLIP))})
        await response.prepare(request)
        await response.write(CLIP[: len(CLIP) // 2])
        assert request.transport is not None
        request.transport.close()
        return response

    async def hangs_once(self, request: web.Request) -> web.StreamResponse:
        if self.requests[request.path] == 1:
            await self.release.wait()
        return await self.clip(request)

    async def stalls_mid_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4", "Content-Length": str(len(CLIP))})
        await response.prepare(request)
        await response.write(CLIP[:4096])
        self.body_started.set()
        await self.release.wait()
        return response

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><body>Access denied</body></html>", content_type="text/html")

    async def tiny(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x00\x00", content_type="video/mp4")


@pytest.fixture
async def clips():
    double = ClipServer()
    server = TestServer(double.app, host="127.0.0.1")
    await server.start_server()
    double.url = lambda path: str(server.make_url(path))  # type: ignore[attr-defined]
    yield double
    double.release.set()
    await server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client:
        yield client


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_downloads_a_clip_to_the_destination(clips, session, tmp_path):
    dest = tmp_path / "0.mp4"
    clip = await download_clip(session, clips.url("/clip.mp4"), dest, max_bytes=10 * MIB, retry=FAST)
    assert clip == DownloadedClip(path=dest, size=len(CLIP), url=clips.url("/clip.mp4"))
    assert dest.read_bytes() == CLIP
    assert leftovers(tmp_path) == ["0.mp4"]


async def test_a_clip_over_the_cap_is_refused_from_content_length_before_reading(clips, session, tmp_path):
    with pytest.raises(ClipTooLarge) as caught:
        await download_clip(session, clips.url("/big.mp4"), tmp_path / "0.mp4", max_bytes=1 * MIB, retry=FAST)
    assert caught.value.size == 3 * MIB + len(MP4_HEAD)
    assert caught.value.limit == 1 * MIB
    assert leftovers(tmp_path) == []
    assert clips.requests["/big.mp4"] == 1


async def test_a_clip_over_the_cap_without_content_length_is_stopped_while_streaming(
    clips, session, tmp_path
):
    with pytest.raises(ClipTooLarge) as caught:
        await download_clip(
            session, clips.url("/big-chunked.mp4"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST
        )
    assert caught.value.size is None
    assert caught.value.limit == MIB
    assert leftovers(tmp_path) == []
    assert clips.requests["/big-chunked.mp4"] == 1


@pytest.mark.parametrize("path", ["/gone", "/expired", "/forbidden"])
async def test_a_missing_or_expired_clip_is_unavailable_without_retrying(clips, session, tmp_path, path):
    with pytest.raises(ClipUnavailable) as caught:
        await download_clip(session, clips.url(path), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST)
    assert caught.value.reason is UnavailableReason.GONE
    assert clips.requests[path] == 1
    assert leftovers(tmp_path) == []


async def test_an_unexpected_status_is_not_retried(clips, session, tmp_path):
    with pytest.raises(ClipUnavailable) as caught:
        await download_clip(session, clips.url("/teapot"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST)
    assert caught.value.reason is UnavailableReason.FAILED
    assert clips.requests["/teapot"] == 1


async def test_a_transient_500_is_retried(clips, session, tmp_path):
    clip = await download_clip(
        session, clips.url("/flaky.mp4"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST
    )
    assert clip.size == len(CLIP)
    assert clips.requests["/flaky.mp4"] == 2


async def test_a_body_cut_short_is_retried_from_the_start(clips, session, tmp_path):
    clip = await download_clip(
        session, clips.url("/cut-short.mp4"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST
    )
    assert clip.path.read_bytes() == CLIP
    assert clips.requests["/cut-short.mp4"] == 2


async def test_a_stalled_response_times_out_and_is_retried(clips, session, tmp_path):
    clip = await download_clip(
        session, clips.url("/hangs-once.mp4"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST
    )
    assert clip.size == len(CLIP)
    assert clips.requests["/hangs-once.mp4"] == 2


async def test_a_cancelled_download_leaves_no_partial_file(clips, session, tmp_path):
    patient = RetryPolicy(attempts=1, read_timeout=30)
    url = clips.url("/stalls-mid-body.mp4")
    task = asyncio.create_task(download_clip(session, url, tmp_path / "0.mp4", max_bytes=MIB, retry=patient))
    await clips.body_started.wait()
    while not (tmp_path / "0.mp4.part").exists():
        await asyncio.sleep(0)  # the file is opened in a worker thread: yield until it exists
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(tmp_path) == []


async def test_retries_are_bounded(clips, session, tmp_path):
    with pytest.raises(ClipUnavailable) as caught:
        await download_clip(session, clips.url("/always-500"), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST)
    assert caught.value.reason is UnavailableReason.FAILED
    assert "500" in caught.value.detail
    assert clips.requests["/always-500"] == FAST.attempts
    assert leftovers(tmp_path) == []


async def test_a_connection_refused_ends_as_unavailable(session, tmp_path, unused_tcp_port):
    url = f"http://127.0.0.1:{unused_tcp_port}/clip.mp4"
    with pytest.raises(ClipUnavailable) as caught:
        await download_clip(session, url, tmp_path / "0.mp4", max_bytes=MIB, retry=FAST)
    assert caught.value.reason is UnavailableReason.FAILED


@pytest.mark.parametrize(
    ("path", "reason"), [("/page.html", UnavailableReason.NOT_VIDEO), ("/tiny", UnavailableReason.NOT_MP4)]
)
async def test_a_body_that_is_not_an_mp4_is_unavailable(clips, session, tmp_path, path, reason):
    with pytest.raises(ClipUnavailable) as caught:
        await download_clip(session, clips.url(path), tmp_path / "0.mp4", max_bytes=MIB, retry=FAST)
    assert caught.value.reason is reason
    assert clips.requests[path] == 1
    assert leftovers(tmp_path) == []


async def test_a_20_mib_clip_is_streamed_without_holding_it_in_memory(clips, session, tmp_path):
    url = clips.url("/stream/20.mp4")
    tracemalloc.start()
    try:
        clip = await download_clip(session, url, tmp_path / "0.mp4", max_bytes=25 * MIB, retry=FAST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clip.size == 20 * MIB
    assert clip.path.stat().st_size == 20 * MIB
    assert peak < 4 * MIB, f"peak traced memory {peak / MIB:.1f} MiB"


def downloaded(index: int, mib: float) -> ClipFile:
    size = int(mib * MIB)
    return ClipFile(
        index=index, url=f"https://cdn.example/{index}.mp4", size=size, path=Path(f"/clips/{index}.mp4")
    )


BUDGET = 25 * MIB - 256 * 1024

PLAN_CASES = [
    pytest.param([downloaded(i, 3) for i in range(4)], 10 * MIB, [[0, 1, 2, 3]], [], id="four-small-in-one"),
    pytest.param(
        [downloaded(i, 8) for i in range(4)], 10 * MIB, [[0, 1, 2], [3]], [], id="split-by-request-size"
    ),
    pytest.param(
        [downloaded(0, 3), downloaded(1, 12), downloaded(2, 3)],
        10 * MIB,
        [[0, 2]],
        [(1, LinkReason.TOO_LARGE, 10 * MIB)],
        id="one-too-large",
    ),
    pytest.param(
        [downloaded(0, 10), downloaded(1, 10)], 10 * MIB, [[0, 1]], [], id="exactly-at-the-file-limit"
    ),
    pytest.param(
        [downloaded(0, 30), downloaded(1, 20), downloaded(2, 20)],
        100 * MIB,
        [[1], [2]],
        [(0, LinkReason.TOO_LARGE, BUDGET)],
        id="tier-3-but-over-the-request",
    ),
    pytest.param(
        [downloaded(i, 0.5) for i in range(12)],
        10 * MIB,
        [list(range(10)), [10, 11]],
        [],
        id="ten-files-per-message",
    ),
    pytest.param(
        [downloaded(3, 1), downloaded(0, 1), downloaded(2, 1), downloaded(1, 1)],
        10 * MIB,
        [[0, 1, 2, 3]],
        [],
        id="clip-order-restored",
    ),
    pytest.param(
        [ClipFile(index=0, url="u0", failure=LinkReason.UNAVAILABLE), downloaded(1, 1)],
        10 * MIB,
        [[1]],
        [(0, LinkReason.UNAVAILABLE, 10 * MIB)],
        id="not-downloaded",
    ),
    pytest.param(
        [ClipFile(index=0, url="u0", size=60 * MIB, failure=LinkReason.TOO_LARGE)],
        20 * MIB,
        [],
        [(0, LinkReason.TOO_LARGE, 20 * MIB)],
        id="refused-by-the-download-cap",
    ),
    pytest.param([], 10 * MIB, [], [], id="nothing"),
]


@pytest.mark.parametrize(("clips", "per_file_limit", "messages", "links"), PLAN_CASES)
def test_plan_uploads(clips, per_file_limit, messages, links):
    plan = plan_uploads(clips, per_file_limit=per_file_limit)
    assert [[clip.index for clip in batch] for batch in plan.messages] == messages
    assert [(link.clip.index, link.reason, link.limit) for link in plan.links] == links
    for batch in plan.messages:
        assert sum(clip.size or 0 for clip in batch) <= BUDGET
        assert all((clip.size or 0) <= per_file_limit for clip in batch)


def test_a_message_fills_up_to_the_request_budget_exactly():
    exact = [
        ClipFile(index=0, url="u", size=BUDGET - 1000, path=Path("a")),
        ClipFile(1, "v", 1000, Path("b")),
    ]
    assert [len(batch) for batch in plan_uploads(exact, per_file_limit=100 * MIB).messages] == [2]
    over = [ClipFile(index=0, url="u", size=BUDGET - 999, path=Path("a")), ClipFile(1, "v", 1000, Path("b"))]
    assert [len(batch) for batch in plan_uploads(over, per_file_limit=100 * MIB).messages] == [1, 1]


def test_plan_limits_are_configurable():
    plan = plan_uploads(
        [downloaded(i, 1) for i in range(4)],
        per_file_limit=10 * MIB,
        request_limit=3 * MIB,
        max_files_per_message=2,
        payload_margin=0,
    )
    assert [[clip.index for clip in batch] for batch in plan.messages] == [[0, 1], [2, 3]]


def test_a_downloaded_clip_needs_its_size():
    with pytest.raises(ValueError, match="no size"):
        plan_uploads([ClipFile(index=0, url="u", path=Path("x"))], per_file_limit=MIB)


@pytest.mark.parametrize(
    ("clip", "key", "params"),
    [
        (downloaded(1, 12.34), "delivery.too_large", {"clip": 2, "size_mb": 12.3, "limit_mb": 10.0}),
        (
            ClipFile(0, "u", failure=LinkReason.TOO_LARGE),
            "delivery.too_large_no_size",
            {"clip": 1, "limit_mb": 10.0},
        ),
        (
            ClipFile(3, "u", failure=LinkReason.UNAVAILABLE),
            "delivery.unavailable",
            {"clip": 4, "limit_mb": 10.0},
        ),
    ],
)
def test_link_notes_render_in_both_languages(clip, key, params):
    (link,) = plan_uploads([clip], per_file_limit=10 * MIB).links
    assert (link.key, link.params) == (key, params)
    english = catalogue().text(Lang.EN, link.key, **link.params)
    assert f"Clip {params['clip']}" in english
    assert ("10 MB" in english) is (link.reason is LinkReason.TOO_LARGE)
    assert catalogue().text(Lang.VI, link.key, **link.params)


def test_refused_downloads_become_link_clips():
    too_large = ClipFile.refused(2, "u", ClipTooLarge("u", 60 * MIB, 10 * MIB))
    assert (too_large.size, too_large.failure, too_large.path) == (60 * MIB, LinkReason.TOO_LARGE, None)
    gone = ClipFile.refused(1, "u", ClipUnavailable("u", UnavailableReason.GONE, "HTTP 404"))
    assert (gone.size, gone.failure) == (None, LinkReason.UNAVAILABLE)
    saved = ClipFile.downloaded(0, DownloadedClip(path=Path("/x/0.mp4"), size=5, url="u"))
    assert (saved.index, saved.size, saved.path, saved.failure) == (0, 5, Path("/x/0.mp4"), None)
