"""`doctor` checks the clip archive when one is set: a bucket reached and listed, a folder writable.

It changes nothing: no object is written to the bucket, no folder is created. A secret access key
never shows in its output.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.__main__ import main
from tests import cli_support
from tests.doubles import fixtures_cometapi
from tests.s3_server import TEST_SECRET, S3Server

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env


async def doctor_lines(env_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = await asyncio.to_thread(main, ["doctor", "--env-file", str(env_file)])
    captured = capsys.readouterr()
    assert TEST_SECRET not in captured.out + captured.err and "Traceback" not in captured.err
    return code, [line for line in captured.out.splitlines() if "clip archive" in line]


def use_bucket(monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, bucket: str) -> None:
    for name, value in s3_server.settings(bucket).items():
        monkeypatch.setenv(name.upper(), value)


async def test_a_reachable_bucket_is_ok_and_nothing_is_written(
    cli_env, capsys, cometapi_double, fake_discord, monkeypatch, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket()
    use_bucket(monkeypatch, s3_server, bucket)
    code, lines = await doctor_lines(cli_env, capsys)
    assert code == 0
    expected = (
        f"ok  clip archive s3://{bucket}/clips/: reachable, bucket found and listed "
        "(writes are proved by the first delivery)"
    )
    assert lines == [expected]
    assert s3_server.keys(bucket) == []


async def test_a_missing_bucket_fails_with_the_fix(
    cli_env, capsys, cometapi_double, fake_discord, monkeypatch, s3_server: S3Server
) -> None:
    use_bucket(monkeypatch, s3_server, "not-made-yet")
    code, lines = await doctor_lines(cli_env, capsys)
    assert code == 1
    expected = (
        "FAIL clip archive s3://not-made-yet/clips/: there is no bucket not-made-yet; create it, or fix "
        "the bucket in CLIP_ARCHIVE"
    )
    assert lines == [expected]


async def test_the_older_folder_setting_is_named_and_the_folder_is_not_created(
    cli_env, capsys, cometapi_double, fake_discord, monkeypatch, tmp_path: Path
) -> None:
    folder = tmp_path / "clips"
    monkeypatch.setenv("CLIP_ARCHIVE_DIR", str(folder))
    code, lines = await doctor_lines(cli_env, capsys)
    assert code == 0
    expected = (
        f"ok  clip archive {folder} (CLIP_ARCHIVE_DIR, the older name of CLIP_ARCHIVE): not created yet, "
        "the bot creates it at the first delivery"
    )
    assert lines == [expected]
    assert not folder.exists()


async def test_a_folder_under_a_file_fails(
    cli_env, capsys, cometapi_double, fake_discord, monkeypatch, tmp_path: Path
) -> None:
    """No folder can be made under a file, whoever runs the bot (root included, unlike permissions)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLIP_ARCHIVE", str(blocker / "clips"))
    code, lines = await doctor_lines(cli_env, capsys)
    assert code == 1
    assert lines == [
        f"FAIL clip archive {blocker / 'clips'}: {blocker} is a file; point CLIP_ARCHIVE at a folder"
    ]


# Permissions do not bind root (CI runs as root): the file case above exercises the FAIL path there.
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
async def test_a_folder_the_bot_cannot_write_fails(
    cli_env, capsys, cometapi_double, fake_discord, monkeypatch, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("CLIP_ARCHIVE", str(locked / "clips"))
    try:
        code, lines = await doctor_lines(cli_env, capsys)
    finally:
        locked.chmod(0o700)
    assert code == 1
    expected = (
        f"FAIL clip archive {locked / 'clips'}: {locked} cannot be written by this user; check its owner "
        "and permissions"
    )
    assert lines == [expected]
