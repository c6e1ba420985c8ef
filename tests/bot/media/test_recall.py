"""/show's core: who may re-post, the removal records, the bot's own deletions, the rate, the clip source.

The clip source downloads from a real aiohttp server on 127.0.0.1 that holds every clip until told,
so the number of downloads in flight at once can be read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.access.member_rate import MemberRate
from bot.checks import Refusal
from bot.media.archive import FolderArchive, NoArchive
from bot.media.delivery import LinkReason
from bot.media.recall import (
    ChannelAccess,
    ClipSource,
    OwnDeletions,
    check_may_show,
    check_may_show_privately,
    clear_removal,
    job_in_guild,
    job_of_message,
    record_removal,
    record_repost,
    shows_privately,
    was_removed,
)
from bot.models import Job, JobSource, JobStatus, Motion, Quality
from tests.doubles.media import mp4_bytes

REQUESTER, OTHER, GUILD = 1001, 1002, 2001
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLIP = mp4_bytes("recall-test", min_size=10_000)
SEES, MODERATES, BLIND = (
    ChannelAccess(can_view=True, can_moderate=False),
    ChannelAccess(can_view=True, can_moderate=True),
    ChannelAccess(can_view=False, can_moderate=False),
)
JOB = Job(
    id=7,
    requester_id=REQUESTER,
    guild_id=GUILD,
    channel_id=3001,
    source=JobSource.SLASH,
    status=JobStatus.DELIVERED,
    motion=Motion.LOW,
    quality=Quality.SD,
    prompt="a cat",
    image_url="https://cdn.example/cat.png",
    locale="en-US",
    created_at=NOW,
    updated_at=NOW,
    clip_urls=("a", "b", "c", "d"),
)


def refusal_key(job: Job, user_id: int, access: ChannelAccess, *, removed: bool = False) -> str | None:
    try:
        check_may_show(job, user_id, access, removed=removed)
    except Refusal as refusal:
        return refusal.key
    return None


def test_a_job_of_another_server_or_none_reads_as_not_found():
    for job, guild in ((None, GUILD), (JOB, GUILD + 1), (JOB, None)):
        with pytest.raises(Refusal) as refused:
            job_in_guild(job, 7, guild)
        assert refused.value.key == "show.not_found"
    assert job_in_guild(JOB, 7, GUILD) is JOB


def test_who_may_show_a_job():
    assert refusal_key(JOB, REQUESTER, SEES) is None
    assert refusal_key(JOB, OTHER, MODERATES) is None
    assert refusal_key(JOB, OTHER, SEES) == "show.not_yours"
    # A channel the member cannot see hides the job, even from its requester.
    assert refusal_key(JOB, REQUESTER, BLIND) == "show.not_found"
    assert refusal_key(JOB, OTHER, BLIND) == "show.not_found"
    assert refusal_key(JOB, REQUESTER, SEES, removed=True) == "show.removed_by_moderator"
    assert refusal_key(JOB, OTHER, MODERATES, removed=True) is None


def test_a_private_or_webhook_only_job_is_shown_privately_to_its_requester_alone():
    """Its requester is shown it privately (a deleted one is gone); to anyone else it does not exist,
    and no channel access makes it re-postable, a moderator's included."""
    private, webhook_only = (
        dataclasses.replace(JOB, private=True),
        dataclasses.replace(JOB, webhook_only=True),
    )
    for job in (private, webhook_only):
        assert shows_privately(job, REQUESTER) and not shows_privately(job, OTHER)
        assert check_may_show_privately(job) is job
        with pytest.raises(Refusal) as refused:
            check_may_show_privately(dataclasses.replace(job, deleted_at=NOW))
        assert refused.value.key == "delete.gone"
    assert not shows_privately(JOB, REQUESTER)
    assert refusal_key(private, OTHER, MODERATES) == "show.not_found"
    assert refusal_key(private, REQUESTER, MODERATES) == "show.not_found"


class MetaStore:
    """The store's meta table and two jobs, in memory."""

    def __init__(self, *jobs: Job) -> None:
        self.meta: dict[str, str] = {}
        self.jobs = {job.id: job for job in jobs}

    async def get_job(self, job_id: int) -> Job | None:
        return self.jobs.get(job_id)

    async def get_job_by_card(self, message_id: int) -> Job | None:
        return next((job for job in self.jobs.values() if job.card_message_id == message_id), None)

    async def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value


async def test_a_deleted_message_is_matched_to_its_job_by_card_or_re_post():
    carded = dataclasses.replace(JOB, card_message_id=500)
    store = MetaStore(carded)
    await record_repost(store, 600, carded)

    assert await job_of_message(store, 500) == carded
    assert await job_of_message(store, 600) == carded
    assert await job_of_message(store, 700) is None


async def test_a_removal_is_remembered_until_a_moderator_brings_the_job_back():
    store = MetaStore(JOB)
    assert not await was_removed(store, JOB)
    await record_removal(store, JOB, 500)
    assert await was_removed(store, JOB)
    await clear_removal(store, JOB)
    assert not await was_removed(store, JOB)


def test_the_bots_own_deletions_are_known_once_and_for_a_while():
    now = [NOW]
    own = OwnDeletions(clock=lambda: now[0])
    own.expect(1)
    own.expect(2)
    assert own.was_ours(1) and not own.was_ours(1)
    assert not own.was_ours(3)
    now[0] += dt.timedelta(hours=1)
    assert not own.was_ours(2)


def test_the_member_rate_counts_a_sliding_window_per_member():
    now = [NOW]
    rate = MemberRate("show.too_often", limit=2, window=dt.timedelta(minutes=5), clock=lambda: now[0])
    rate.take(REQUESTER)
    now[0] += dt.timedelta(minutes=1)
    rate.take(REQUESTER)
    rate.take(OTHER)
    with pytest.raises(Refusal) as refused:
        rate.take(REQUESTER)
    free_at = int((NOW + dt.timedelta(minutes=5)).timestamp())
    assert refused.value.key == "show.too_often"
    assert refused.value.params == {"limit": 2, "minutes": 5, "retry_at": free_at}
    now[0] = NOW + dt.timedelta(minutes=5)
    rate.take(REQUESTER)  # the first use left the window


class HeldClips:
    """Serves ``/clip/<n>.mp4`` (``/huge.mp4`` says 1 GiB) but holds each until ``release``."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_at_once = 0
        self.requests = 0
        self.waiting = asyncio.Condition()
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/clip/{n}.mp4", self.clip)
        self.app.router.add_get("/huge.mp4", self.huge)

    async def clip(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        async with self.waiting:
            self.waiting.notify_all()
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return web.Response(body=CLIP, content_type="video/mp4")

    async def huge(self, request: web.Request) -> web.Response:
        self.requests += 1
        return web.Response(headers={"Content-Length": str(1 << 30)}, content_type="video/mp4")


@pytest.fixture
async def held():
    double = HeldClips()
    server = TestServer(double.app, host="127.0.0.1")
    await server.start_server()
    double.url = lambda path: str(server.make_url(path))  # type: ignore[attr-defined]
    yield double
    double.release.set()
    await server.close()


def job_with_clips(held: HeldClips, count: int, job_id: int = 7) -> Job:
    urls = tuple(held.url(f"/clip/{job_id}-{n}.mp4") for n in range(count))  # type: ignore[attr-defined]
    return dataclasses.replace(JOB, id=job_id, clip_urls=urls)


async def test_clip_downloads_share_a_bound_across_every_show(held: HeldClips, tmp_path: Path):
    """Two re-posts of four clips each never download more than the bound (2) at once."""
    async with aiohttp.ClientSession() as http:
        source = ClipSource(http, NoArchive(), asyncio.Semaphore(2))
        jobs = [job_with_clips(held, 4, job_id) for job_id in (7, 8)]
        folders = {job.id: tmp_path / str(job.id) for job in jobs}  # each re-post has its own folder
        for folder in folders.values():
            folder.mkdir()
        work = [
            asyncio.create_task(source.clip(job, index, folders[job.id], 10 << 20))
            for job in jobs
            for index in range(4)
        ]
        async with held.waiting:
            await held.waiting.wait_for(lambda: held.in_flight == 2)
        assert source.slots.locked()  # the six others wait for a slot, not for the server
        held.release.set()
        clips = await asyncio.gather(*work)

    assert held.most_at_once == 2 and held.requests == 8
    assert all(clip.path is not None and clip.size == len(CLIP) for clip in clips)


async def test_the_archived_copy_is_preferred(held: HeldClips, tmp_path: Path):
    archive = tmp_path / "archive"
    (archive / "7").mkdir(parents=True)
    (archive / "7" / "0.mp4").write_bytes(CLIP)
    async with aiohttp.ClientSession() as http:
        source = ClipSource(http, FolderArchive(archive), asyncio.Semaphore(1))
        clip = await source.clip(job_with_clips(held, 1), 0, tmp_path, 10 << 20)

    assert clip.path == archive / "7" / "0.mp4" and held.requests == 0


async def test_a_clip_past_the_cap_is_refused_before_it_is_read(held: HeldClips, tmp_path: Path):
    job = dataclasses.replace(JOB, clip_urls=(held.url("/huge.mp4"),))  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        clip = await ClipSource(http, NoArchive(), asyncio.Semaphore(1)).clip(job, 0, tmp_path, 10 << 20)

    assert clip.path is None and clip.failure is LinkReason.TOO_LARGE and clip.size == 1 << 30
    assert list(tmp_path.iterdir()) == []
