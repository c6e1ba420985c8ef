"""Fit planning (pure): bitrate from duration and limit, 480p when the bitrate is too thin; probing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from bot.media.delivery import ClipFile, job_upload_limit, plan_uploads
from bot.media.fit import (
    CONTAINER_OVERHEAD,
    MIN_VIDEO_KBPS,
    TARGET_FRACTION,
    FitFailed,
    FitPlan,
    Probe,
    encode_args,
    parse_probe,
    plan_fit,
)
from bot.models import Job, JobSource, JobStatus, Motion, Quality

MIB = 1024 * 1024
HD = (1280, 720)


def kbps_for(limit: int, seconds: float) -> int:
    return int((limit * TARGET_FRACTION - CONTAINER_OVERHEAD) * 8 / seconds / 1000)


def test_a_short_clip_keeps_its_size_and_gets_the_whole_budget() -> None:
    """3 s of 720p under 10 MiB: about 25 Mbit/s, plenty for 720p, so no scaling."""
    plan = plan_fit(Probe(3.0, *HD), 10 * MIB)
    assert plan == FitPlan(video_kbps=kbps_for(10 * MIB, 3.0), height=None)
    assert plan.video_kbps * 1000 * 3.0 / 8 < 10 * MIB * TARGET_FRACTION


def test_a_long_720p_clip_is_scaled_to_480p_when_the_bitrate_is_thin() -> None:
    """21 s of 720p under 10 MiB leaves ~3.6 Mbit/s, enough; 120 s leaves ~640 kbit/s: 480p."""
    assert plan_fit(Probe(21.0, *HD), 10 * MIB) == FitPlan(kbps_for(10 * MIB, 21.0), None)
    assert plan_fit(Probe(120.0, *HD), 10 * MIB) == FitPlan(kbps_for(10 * MIB, 120.0), 480)


def test_a_480p_source_is_never_scaled_up_or_down() -> None:
    assert plan_fit(Probe(120.0, 854, 480), 10 * MIB) == FitPlan(kbps_for(10 * MIB, 120.0), None)


@pytest.mark.parametrize(
    "probe",
    [Probe(0.0, *HD), Probe(5.0, 0, 720), Probe(3600.0, *HD)],
    ids=["no duration", "no frame", "an hour under 10 MiB"],
)
def test_nothing_usable_fits_gives_none(probe: Probe) -> None:
    """A bitrate under the floor (or a clip without duration or frame) is not worth an encode."""
    assert plan_fit(probe, 10 * MIB) is None
    assert kbps_for(10 * MIB, 3600.0) < MIN_VIDEO_KBPS


def test_probe_reads_duration_size_and_rate_from_ffmpeg_output() -> None:
    text = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':\n"
        "  Duration: 00:00:21.04, start: 0.000000, bitrate: 9981 kb/s\n"
        "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), "
        "1280x720 [SAR 1:1 DAR 16:9], 9978 kb/s, 30 fps, 30 tbr, 15360 tbn (default)\n"
    )
    assert parse_probe(text) == Probe(21.04, 1280, 720, 30.0)
    with pytest.raises(FitFailed):
        parse_probe("x.mp4: Invalid data found when processing input")


def test_the_encode_is_silent_h264_two_pass_keeping_the_aspect_when_scaled(tmp_path: Path) -> None:
    args = encode_args(tmp_path / "a.mp4", tmp_path / "b.mp4", FitPlan(600, 480), tmp_path / "log", 2)
    assert {"-an", "libx264", "600k", "scale=-2:480", "+faststart"} <= set(args)
    assert args[args.index("-pass") + 1] == "2" and args[-1] == str(tmp_path / "b.mp4")
    first = encode_args(tmp_path / "a.mp4", tmp_path / "b.mp4", FitPlan(600, None), tmp_path / "log", 1)
    assert "-vf" not in first and first[first.index("-pass") + 1] == "1" and "null" in first


def test_a_reduced_clip_is_attached_with_its_note_and_links_end_with_the_expiry_note(tmp_path: Path) -> None:
    """The plan's notes: each linked clip, each reduced clip, then once that links expire."""
    original = tmp_path / "0.mp4"
    downloaded = ClipFile(index=0, url="u0", size=12 * MIB, path=original)
    reduced = downloaded.fitted(tmp_path / "0.fit.mp4", 9 * MIB)
    too_big = ClipFile(index=1, url="u1", size=15 * MIB, path=tmp_path / "1.mp4").unfitted()
    plan = plan_uploads([reduced, too_big], per_file_limit=10 * MIB)
    assert plan.messages == ((reduced,),)
    assert reduced.full_quality == original and too_big.full_quality == tmp_path / "1.mp4"
    assert [(note.key, dict(note.params)) for note in plan.notes] == [
        ("delivery.too_large", {"clip": 2, "size_mb": 15.0, "limit_mb": 10.0}),
        ("delivery.reduced", {"clip": 1, "size_mb": 12.0, "limit_mb": 10.0}),
        ("delivery.links_expire", {}),
    ]


def test_uploads_use_the_interactions_limit_while_its_token_lives_then_the_servers() -> None:
    """A boosted interaction's 50 MiB holds until its token expires; a reaction job has the server's."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    base = Job(
        id=1,
        requester_id=1,
        guild_id=2,
        channel_id=3,
        source=JobSource.SLASH,
        status=JobStatus.SUCCEEDED,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="a cat",
        image_url="https://cdn.example/cat.png",
        locale="en-US",
        created_at=now,
        updated_at=now,
        token_expires_at=now + dt.timedelta(minutes=5),
        attachment_size_limit=50 * MIB,
    )
    assert job_upload_limit(base, 10 * MIB, now) == 50 * MIB
    assert job_upload_limit(base, 10 * MIB, now + dt.timedelta(minutes=6)) == 10 * MIB
    reaction = replace(base, source=JobSource.REACTION, token_expires_at=None, attachment_size_limit=None)
    assert job_upload_limit(reaction, 25 * MIB, now) == 25 * MIB
