"""Fit, don't link: a clip over the upload limit is re-encoded and attached; the interaction's own limit.

The clips are real H.264 MP4s made with the bundled ffmpeg (tests/doubles/encoded_media.py) and served
by the CometAPI double; the Discord double refuses any file over the interaction's limit.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import Job, JobSource, JobStatus
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import Message
from tests.doubles.encoded_media import MIB, encoded_clip, probe_bytes
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, make_world
from tests.e2e.test_delivery_e2e import footer, is_delivered, link_urls

SECONDS = 2.0


def big_clip() -> bytes:
    """A 720p clip of 2 s, a little over 12 MiB: over the default 10 MiB limit."""
    return encoded_clip(size=13 * MIB, seconds=SECONDS)


def size_mb() -> str:
    """The big clip's size as the card's notes give it."""
    return f"{round(len(big_clip()) / MIB, 1):g} MB"


async def one_clip_job(world: World, size_limit: int | None = None) -> tuple[Message, Job]:
    """Run /animate for one clip as Alice (with the interaction's upload limit); return card and job."""
    world.comet.default_plan = TaskPlan(duration=0.3, clip_data=big_clip())
    image = ("cat.png", png_bytes(width=256, height=256), "image/png")
    handle = await world.discord.slash(
        world.discord.alice, "animate", {"clips": "1"}, attachment=image, attachment_size_limit=size_limit
    )
    await handle.wait_response()
    card = await world.wait_card(is_delivered, timeout=60)
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED, timeout=60)
    return card, job


async def test_a_12_mib_clip_arrives_fitted_under_10_mib_with_its_duration_and_the_original_button(
    tmp_path: Path,
) -> None:
    """The clip is re-encoded under 10 MiB, keeps its duration and 16:9 frame, and the card says it
    was reduced while the "Clip 1 file" button links the original; the archive keeps the original."""
    archive = tmp_path / "archive"
    assert len(big_clip()) > 12 * MIB
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        card, job = await one_clip_job(world)
        assert [file.filename for file in card.files] == [f"motionbot-{job.id}-clip1.mp4"]
        fitted = card.files[0].data
        assert len(fitted) < 10 * MIB
        duration, width, height = probe_bytes(fitted, tmp_path)
        assert abs(duration - SECONDS) < 0.05
        assert width * 9 == height * 16
        assert link_urls(card) == list(job.clip_urls)
        assert f"Clip 1 ({size_mb()}) was reduced to fit the 10 MB upload limit here" in footer(card)
        assert (archive / str(job.id) / "0.mp4").read_bytes() == big_clip()


async def test_a_boosted_interactions_higher_limit_attaches_the_clip_unchanged(world: World) -> None:
    """The interaction allows 50 MiB (a boosted server): the 12 MiB clip goes as it is, no note."""
    card, job = await one_clip_job(world, size_limit=50 * MIB)
    assert job.attachment_size_limit == 50 * MIB
    assert [file.data for file in card.files] == [big_clip()]
    assert footer(card) == ""


async def test_a_clip_that_cannot_be_fitted_in_time_is_linked_with_the_expiry_note(tmp_path: Path) -> None:
    """The encode runs out of time: the clip is linked, the note gives size and limit and says the
    provider's links expire; nothing too large is ever sent to Discord."""
    async with make_world(tmp_path, fit_timeout_seconds=0.001) as world:
        card, job = await one_clip_job(world)
        assert card.files == []
        assert link_urls(card) == list(job.clip_urls)
        assert footer(card).splitlines() == [
            f"Clip 1 is {size_mb()}, over the 10 MB upload limit here, so it is linked instead.",
            "Links from the video service stop working after a while; save the clips you want to keep.",
        ]
        assert all(r.status < 400 for r in world.discord.requests)


async def test_a_reaction_job_has_no_interaction_limit_and_is_fitted_to_the_servers(tmp_path: Path) -> None:
    """A reaction has no interaction: the job stores no limit and the clip is fitted under the
    server's 10 MiB, the note and the original's button as for /animate."""
    async with make_world(tmp_path, default_clips=1) as world:
        world.comet.default_plan = TaskPlan(duration=0.3, clip_data=big_clip())
        discord = world.discord
        image = ("cat.png", png_bytes(width=256, height=256), "image/png")
        posted = await discord.post_message(discord.bob, discord.general, "look", attachments=[image])
        await discord.add_reaction(discord.alice, posted, "🎬")
        card = await world.wait_card(is_delivered, timeout=60)
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED, timeout=60)
        assert job.source is JobSource.REACTION and job.attachment_size_limit is None
        assert len(card.files) == 1 and len(card.files[0].data) < 10 * MIB
        assert link_urls(card) == list(job.clip_urls)
        assert "was reduced to fit the 10 MB upload limit here" in footer(card)


async def test_show_fits_an_archived_clip_over_the_limit_and_keeps_the_original(tmp_path: Path) -> None:
    """/show of a job whose archived clip is over 10 MiB: the re-post carries a re-encode under the
    limit, after the provider forgot the task; the archived original stays byte for byte."""
    archive = tmp_path / "archive"
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        _, job = await one_clip_job(world)
        kept = (archive / str(job.id) / "0.mp4").read_bytes()
        assert kept == big_clip()
        del world.comet.tasks[str(job.provider_task_id)]  # the provider's link is dead now

        handle = await world.discord.slash(world.discord.alice, "show", {"job": job.id})
        await handle.wait_response()
        message = await handle.wait_original(lambda m: not m.loading and bool(m.files), timeout=60)

        assert [file.filename for file in message.files] == [f"motionbot-{job.id}-clip1.mp4"]
        assert len(message.files[0].data) < 10 * MIB
        duration, _, _ = probe_bytes(message.files[0].data, tmp_path)
        assert abs(duration - SECONDS) < 0.05
        assert (archive / str(job.id) / "0.mp4").read_bytes() == kept
