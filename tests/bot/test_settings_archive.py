"""CLIP_ARCHIVE and its S3 settings: a folder or a bucket, the older CLIP_ARCHIVE_DIR, keys in pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.settings_check import find_unknown_names
from bot.settings import ArchiveLocation, SettingsError, read_settings


def settings(**values: object):
    return read_settings(None, discord_token="t", cometapi_key="k", **values)


def problems(**values: object) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings(**values)
    return caught.value.problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://clips-bucket", ArchiveLocation(bucket="clips-bucket")),
        ("s3://clips-bucket/", ArchiveLocation(bucket="clips-bucket")),
        (
            "s3://clips.example/motionbot/clips/",
            ArchiveLocation(bucket="clips.example", prefix="motionbot/clips/"),
        ),
        ("/data/clips", ArchiveLocation(folder=Path("/data/clips"))),
        ("", None),
    ],
)
def test_clip_archive_names_a_folder_or_a_bucket(value: str, expected: ArchiveLocation | None) -> None:
    assert settings(clip_archive=value).archive_location == expected


def test_a_bad_bucket_name_is_refused_with_what_is_expected() -> None:
    (line,) = problems(clip_archive="s3://My_Bucket/clips")
    assert line.startswith("CLIP_ARCHIVE is invalid (") and "'My_Bucket' is not a bucket name" in line
    assert "s3://BUCKET/PREFIX" in line


def test_the_older_name_still_names_a_folder_and_both_must_agree(tmp_path: Path) -> None:
    assert settings(clip_archive_dir=str(tmp_path)).archive_location == ArchiveLocation(folder=tmp_path)
    same = settings(clip_archive=str(tmp_path), clip_archive_dir=str(tmp_path))
    assert same.archive_location == ArchiveLocation(folder=tmp_path)
    (line,) = problems(clip_archive="s3://clips-bucket", clip_archive_dir=str(tmp_path))
    assert line.startswith("CLIP_ARCHIVE_DIR is invalid") and "keep only CLIP_ARCHIVE" in line


def test_the_keys_come_in_pairs_and_the_secret_is_redacted() -> None:
    (line,) = problems(clip_archive_s3_access_key_id="AKIDEXAMPLE")
    assert "set both CLIP_ARCHIVE_S3_ACCESS_KEY_ID and CLIP_ARCHIVE_S3_SECRET_ACCESS_KEY" in line
    kept = settings(
        clip_archive_s3_access_key_id="AKIDEXAMPLE", clip_archive_s3_secret_access_key="s3cr3t-value"
    )
    assert "s3cr3t-value" in kept.secret_values and "s3cr3t-value" not in repr(kept)


def test_the_settings_check_knows_the_archive_settings_and_their_look_alikes(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "CLIP_ARCHIVE=s3://clips-bucket/x\nCLIP_ARCHIVE_S3_REGION=auto\nCLIP_ARCHIVE_S3_ENDPOINT=http://minio:9000\n"
    )
    unknown = find_unknown_names(env_file, {"CLIP_ARCHIVE_S3_SECRET_KEY": "x", "CLIP_ARCHIVE_DIR": "/d"})
    assert [(u.name, u.closest) for u in unknown.in_file] == [
        ("CLIP_ARCHIVE_S3_ENDPOINT", "CLIP_ARCHIVE_S3_ENDPOINT_URL")
    ]
    assert [(u.name, u.closest) for u in unknown.in_environment] == [
        ("CLIP_ARCHIVE_S3_SECRET_KEY", "CLIP_ARCHIVE_S3_SECRET_ACCESS_KEY")
    ]


@pytest.mark.parametrize("prefix", ["../other", "clips/../../x", "./clips", "clips//x", "a/./b"])
def test_a_prefix_with_dot_or_empty_segments_is_refused(prefix: str) -> None:
    """Keys are literal in S3, but proxies and some S3-compatible stores resolve ``..``, ``.`` and ``//``:
    a careless prefix could put clips (and their deletes) outside the folder the operator meant."""
    [problem] = problems(clip_archive=f"s3://clips-bucket/{prefix}")
    assert "CLIP_ARCHIVE" in problem and "'.', '..' or empty" in problem
