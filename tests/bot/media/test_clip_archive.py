"""The clip archive's put/get/delete per job, in a folder and in an S3 bucket (moto's server).

Two archives on one bucket stand for two processes (on two machines) of one bot: what one keeps,
the other finds and deletes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.media import ArchiveError, FolderArchive, NoArchive, open_archive
from bot.settings import read_settings
from tests.s3_server import S3Server

CLIP = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64


def settings(**values: object):
    return read_settings(None, discord_token="t", cometapi_key="k", **values)


def clip_file(tmp_path: Path, data: bytes = CLIP) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    return path


async def test_two_processes_share_one_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    first = open_archive(settings(**s3_server.settings(bucket)))
    second = open_archive(settings(**s3_server.settings(bucket)))
    try:
        await first.put(7, 0, clip_file(tmp_path))
        await first.put(7, 3, clip_file(tmp_path, b"other"))
        await first.put(8, 0, clip_file(tmp_path))
        assert s3_server.keys(bucket) == ["clips/7/0.mp4", "clips/7/3.mp4", "clips/8/0.mp4"]

        got = await second.get(7, 0, tmp_path)
        assert got is not None and got.read_bytes() == CLIP
        assert await second.get(7, 1, tmp_path) is None  # never kept

        assert await second.delete(7) == 2
        assert s3_server.keys(bucket) == ["clips/8/0.mp4"]
        assert await first.get(7, 0, tmp_path) is None
        assert await first.delete(7) == 0
    finally:
        await first.close()
        await second.close()


async def test_a_bucket_that_cannot_be_reached_is_a_miss_for_get_and_an_error_for_put(
    s3_server: S3Server, tmp_path: Path
) -> None:
    archive = open_archive(settings(**s3_server.settings("no-such-bucket-here")))
    try:
        assert await archive.get(1, 0, tmp_path) is None
        with pytest.raises(ArchiveError, match="not kept in s3://no-such-bucket-here/clips/"):
            await archive.put(1, 0, clip_file(tmp_path))
        with pytest.raises(ArchiveError, match="there is no bucket no-such-bucket-here"):
            await archive.check()
    finally:
        await archive.close()


async def test_check_reads_the_bucket_and_writes_nothing(s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    archive = open_archive(settings(**s3_server.settings(bucket)))
    try:
        assert "reachable" in await archive.check()
    finally:
        await archive.close()
    assert s3_server.keys(bucket) == []


async def test_a_folder_archive_keeps_gets_and_deletes_a_job(tmp_path: Path) -> None:
    archive = open_archive(settings(clip_archive=str(tmp_path / "kept")))
    assert isinstance(archive, FolderArchive)
    await archive.put(5, 1, clip_file(tmp_path))
    assert (tmp_path / "kept" / "5" / "1.mp4").read_bytes() == CLIP
    got = await archive.get(5, 1, tmp_path / "elsewhere")
    assert got is not None and got.read_bytes() == CLIP
    assert await archive.delete(5) == 1
    assert not (tmp_path / "kept" / "5").exists()
    assert await archive.get(5, 1, tmp_path) is None


def test_clip_archive_dir_still_names_a_folder_archive(tmp_path: Path) -> None:
    archive = open_archive(settings(clip_archive_dir=str(tmp_path)))
    assert isinstance(archive, FolderArchive) and archive.root == tmp_path
    assert isinstance(open_archive(settings()), NoArchive)


async def test_a_folder_archive_replaces_a_clip_atomically(tmp_path: Path) -> None:
    archive = FolderArchive(tmp_path / "archive")
    source = clip_file(tmp_path)
    await archive.put(42, 3, source)
    assert source.exists()
    source.write_bytes(b"newer clip")
    await archive.put(42, 3, source)
    assert [p.name for p in (tmp_path / "archive" / "42").iterdir()] == ["3.mp4"]
    assert (tmp_path / "archive" / "42" / "3.mp4").read_bytes() == b"newer clip"


async def test_a_folder_archive_leaves_nothing_behind_when_the_source_is_missing(tmp_path: Path) -> None:
    archive = FolderArchive(tmp_path / "archive")
    with pytest.raises(ArchiveError, match="clip 1 of job 1 not kept"):
        await archive.put(1, 0, tmp_path / "missing.mp4")
    assert list((tmp_path / "archive" / "1").iterdir()) == []


def test_a_batch_delete_that_answers_200_with_errors_is_an_archive_error() -> None:
    """S3's DeleteObjects answers 200 and lists the keys it kept under Errors: that is no success."""
    from bot.media.s3_archive import _check_deleted

    _check_deleted([])  # every key deleted
    with pytest.raises(ArchiveError, match=r"1 clip\(s\) not deleted, e.g. clips/7/0.mp4: AccessDenied"):
        _check_deleted([{"Key": "clips/7/0.mp4", "Code": "AccessDenied", "Message": "Access Denied"}])
