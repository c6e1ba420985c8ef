"""Clip delivery end to end: attachments, links for what does not fit, 413 fallback, split, archive."""

from __future__ import annotations

from bot.models import JobStatus
from tests.doubles.cometapi_jobs import LARGE_CLIP_BYTES, TaskPlan, clip_bytes
from tests.doubles.discord import Message
from tests.e2e.harness import World, card_parts, make_world

MIB = 1024 * 1024
WEBHOOK_EDIT = "PATCH /webhooks/{webhook_id}/{token}/messages/{message_id}"


def is_delivered(message: Message) -> bool:
    """The card shows the finished job (content mentions the requester once it is delivered)."""
    return "your video is ready" in card_parts(message).ready


def provider_clips(world: World, job_id: int) -> list[bytes]:
    """The four clips exactly as the CometAPI double serves them for the job's task."""
    task = next(task for task in world.comet.tasks.values() if task.state == f"motionbot:{job_id}")
    return [clip_bytes(task.task_id, index, task.plan.clip_min_bytes) for index in range(4)]


def link_urls(message: Message) -> list[str]:
    """The URLs of the message's link buttons."""
    return [c["url"] for c in message.iter_components() if c.get("type") == 2 and "url" in c]


def footer(message: Message) -> str:
    """The card's notes (what its embed footer showed before)."""
    return card_parts(message).notes


async def delivered_card(world: World) -> tuple[Message, int]:
    """Run /animate as Alice; return the delivered card and its job id."""
    handle = await world.animate()
    await handle.wait_response()
    card = await world.wait_card(is_delivered)
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    return card, job.id


async def test_clips_that_fit_arrive_as_mp4_attachments_with_the_providers_bytes(world):
    """Each clip under the limit is attached as motionbot-<job>-clip<n>.mp4, byte for byte."""
    card, job_id = await delivered_card(world)
    names = [file.filename for file in card.files]
    assert names == [f"motionbot-{job_id}-clip{n}.mp4" for n in range(1, 5)]
    assert [file.data for file in card.files] == provider_clips(world, job_id)
    assert footer(card) == ""
    assert len(link_urls(card)) == 4  # a link to each original clip as well


async def test_clip_over_the_upload_limit_that_cannot_be_fitted_is_linked_with_a_note(tmp_path):
    """Clips over 10 MiB whose re-encode fails (here: no time for it) are not uploaded: each gets a
    link button and a footer note with size and limit, then one line saying such links expire.
    (Fitting itself: tests/e2e/test_fit_e2e.py.)"""
    async with make_world(tmp_path, fit_timeout_seconds=0.001) as world:
        world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=LARGE_CLIP_BYTES)
        card, job_id = await delivered_card(world)
        assert card.files == []
        job = await world.store.get_job(job_id)
        assert job is not None and link_urls(card) == list(job.clip_urls)
        notes = footer(card).splitlines()
        assert notes == [
            *(
                f"Clip {n} is 10.1 MB, over the 10 MB upload limit here, so it is linked instead."
                for n in range(1, 5)
            ),
            "Links from the video service stop working after a while; save the clips you want to keep.",
        ]
        assert all(r.status < 400 for r in world.discord.requests)  # nothing too large was ever sent


async def test_413_from_discord_falls_back_to_links_and_still_delivers(world):
    """Discord's limit for the interaction is lower than the bot thinks: the clip that does not fit is
    linked after the 413, the others are still attached, and the job is delivered."""
    handle = await world.animate()
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.provider_task_id is not None)
    sizes = [len(clip) for clip in provider_clips(world, job.id)]
    handle.attachment_size_limit = max(sizes) - 1

    card = await world.wait_card(is_delivered)
    too_large = [index for index, size in enumerate(sizes) if size > handle.attachment_size_limit]
    attached = [index for index in range(4) if index not in too_large]
    assert [file.filename for file in card.files] == [f"motionbot-{job.id}-clip{i + 1}.mp4" for i in attached]
    assert [f"Clip {i + 1} is" in footer(card) for i in too_large] == [True] * len(too_large)
    refused = [r for r in world.discord.requests_to(WEBHOOK_EDIT) if r.status == 413]
    assert len(refused) == 1
    assert (await world.wait_delivered(job.id)).status is JobStatus.DELIVERED


async def test_clips_over_the_request_limit_are_split_across_messages_replying_to_the_card(world):
    """Four 7 MiB clips exceed one 25 MiB request: three on the card, the fourth in a reply to it."""
    world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
    card, job_id = await delivered_card(world)
    assert len(card.files) == 3
    extra = await world.wait_card(lambda m: m.id != card.id and bool(m.files))
    assert extra.reference is not None and extra.reference["message_id"] == str(card.id)
    assert extra.content == f"More clips of video #{job_id}"
    assert [file.filename for file in extra.files] == [f"motionbot-{job_id}-clip4.mp4"]
    clips = provider_clips(world, job_id)
    assert [file.data for file in (*card.files, *extra.files)] == clips
    assert all(sum(f.size for f in m.files) < 25 * MIB for m in (card, extra))


async def test_archive_dir_keeps_a_copy_of_every_clip_with_the_bytes_discord_got(tmp_path):
    """CLIP_ARCHIVE_DIR set: <dir>/<job_id>/<index>.mp4 holds the same bytes as each attachment."""
    archive = tmp_path / "archive"
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        card, job_id = await delivered_card(world)
        kept = sorted(path.name for path in (archive / str(job_id)).iterdir())
        assert kept == ["0.mp4", "1.mp4", "2.mp4", "3.mp4"]
        for index, file in enumerate(card.files):
            assert (archive / str(job_id) / f"{index}.mp4").read_bytes() == file.data
