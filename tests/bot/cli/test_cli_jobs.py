"""`python -m bot jobs`: list and export jobs from a real store, never with the interaction token."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json

import pytest

from bot.__main__ import main
from bot.cli.jobs import EXPORT_FIELDS
from bot.models import FailureKind, JobSource, Motion, NewJob, Quality
from bot.store import JobStore
from tests import cli_support
from tests.doubles import fixtures_cometapi

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

SECRET_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OjEyMzQ1Njc4OTAx"
JANUARY = dt.datetime(2026, 1, 10, 9, 30, tzinfo=dt.UTC)
MARCH = dt.datetime(2026, 3, 2, 18, 5, tzinfo=dt.UTC)


def new_job(prompt: str, **fields) -> NewJob:
    values = {
        "requester_id": 501,
        "guild_id": 601,
        "channel_id": 701,
        "source": JobSource.SLASH,
        "motion": Motion.LOW,
        "quality": Quality.SD,
        "prompt": prompt,
        "image_url": "https://cdn.discordapp.test/attachments/1/2/cat.png",
        "interaction_token": SECRET_TOKEN,
        "token_expires_at": JANUARY + dt.timedelta(minutes=15),
    }
    values.update(fields)
    return NewJob(**values)


@pytest.fixture
async def database(tmp_path):
    """A store with three jobs: delivered (January), failed (March), queued (March, from a reaction)."""
    now = [JANUARY]
    path = tmp_path / "jobs.sqlite3"
    async with await JobStore.open(path, clock=lambda: now[0]) as store:
        delivered = await store.create_job(new_job("a cat, waving"))
        await store.mark_submitted(delivered.id, "1700000000000001")
        await store.mark_succeeded(delivered.id, ["https://cdn.test/0.mp4", "https://cdn.test/1.mp4"])
        await store.mark_delivered(delivered.id)
        now[0] = MARCH
        failed = await store.create_job(new_job('a "quoted", prompt', guild_id=None))
        await store.mark_failed(failed.id, FailureKind.MODERATION, "refused by moderation: banned word")
        await store.create_job(new_job("queued one", source=JobSource.REACTION, interaction_token=None))
    return path


async def run_jobs(capsys, *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["jobs", *argv])
    captured = capsys.readouterr()
    assert SECRET_TOKEN not in captured.out + captured.err
    return code, captured.out, captured.err


async def test_csv_export_has_every_field_but_the_token(database, capsys):
    code, out, _ = await run_jobs(capsys, "--database", str(database), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert "interaction_token" not in rows[0] and "token_expires_at" in rows[0]
    assert [(row["id"], row["status"], row["source"]) for row in rows] == [
        ("1", "delivered", "slash"),
        ("2", "failed", "slash"),
        ("3", "queued", "reaction"),
    ]
    assert rows[0]["clip_urls"] == "https://cdn.test/0.mp4 https://cdn.test/1.mp4"
    assert rows[0]["created_at"] == "2026-01-10T09:30:00+00:00"
    assert rows[1]["prompt"] == 'a "quoted", prompt'
    assert rows[1]["guild_id"] == "" and rows[1]["failure_kind"] == "moderation"


async def test_json_export_filtered_by_status_and_date(database, capsys):
    code, out, _ = await run_jobs(
        capsys, "--database", str(database), "--format", "json", "--status", "failed", "--since", "2026-03-01"
    )
    assert code == 0
    (job,) = json.loads(out)
    assert job["id"] == 2 and job["status"] == "failed"
    assert job["error"] == "refused by moderation: banned word"
    assert job["guild_id"] is None and job["clip_urls"] == []
    assert job["created_at"] == "2026-03-02T18:05:00+00:00"
    assert "interaction_token" not in job


async def test_json_writes_snowflakes_as_strings(tmp_path, capsys):
    path = tmp_path / "snowflakes.sqlite3"
    big = 1_234_567_890_123_456_789  # above 2**53: a JavaScript number would round it
    async with await JobStore.open(path) as store:
        job = await store.create_job(
            new_job(
                "a cat", requester_id=big, guild_id=big + 1, channel_id=big + 2, source_message_id=big + 3
            )
        )
        await store.set_card_message(job.id, big + 4)
    _, out, _ = await run_jobs(capsys, "--database", str(path), "--format", "json")
    (record,) = json.loads(out)
    assert record["requester_id"] == str(big) and record["guild_id"] == str(big + 1)
    assert record["channel_id"] == str(big + 2) and record["source_message_id"] == str(big + 3)
    assert record["card_message_id"] == str(big + 4)
    assert record["id"] == job.id  # the job's own number is small and stays a number


async def test_since_keeps_jobs_created_on_or_after_and_statuses_combine(database, capsys):
    _, out, _ = await run_jobs(
        capsys, "--database", str(database), "--format", "json", "--since", "2026-02-01"
    )
    assert [job["id"] for job in json.loads(out)] == [2, 3]
    _, out, _ = await run_jobs(
        capsys, "--database", str(database), "--format", "json", "--status", "delivered", "--status", "queued"
    )
    assert [job["id"] for job in json.loads(out)] == [1, 3]


async def test_table_lists_the_useful_columns_and_a_count(database, capsys):
    code, out, _ = await run_jobs(capsys, "--database", str(database))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "id",
        "created_at",
        "status",
        "source",
        "guild_id",
        "requester_id",
        "progress",
        "error",
    ]
    assert lines[1].split()[:5] == ["1", "2026-01-10", "09:30", "delivered", "slash"]
    assert "refused by moderation: banned word" in lines[2]
    assert lines[-1] == "3 jobs"


async def test_output_file_is_written(database, capsys, tmp_path):
    target = tmp_path / "export.json"
    code, out, err = await run_jobs(
        capsys, "--database", str(database), "--format", "json", "--output", str(target)
    )
    assert code == 0 and out == ""
    assert err.strip() == f"wrote 3 jobs to {target}"
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 3
    assert SECRET_TOKEN not in target.read_text(encoding="utf-8")


async def test_the_database_comes_from_the_settings_without_database_flag(
    cli_env, database, capsys, monkeypatch
):
    monkeypatch.setenv("DATABASE_PATH", str(database))
    code, out, _ = await run_jobs(capsys, "--env-file", str(cli_env), "--format", "csv")
    assert code == 0
    assert len(list(csv.DictReader(io.StringIO(out)))) == 3


async def test_a_missing_database_is_one_line_and_exit_2(capsys, tmp_path):
    missing = tmp_path / "nothing.sqlite3"
    code, out, err = await run_jobs(capsys, "--database", str(missing))
    assert code == 2 and out == ""
    assert err == f"there is no database at {missing} (--database {missing}); check the path\n"
    assert not missing.exists()


def test_a_bad_since_date_is_a_usage_error(capsys):
    assert main(["jobs", "--since", "last tuesday", "--database", "x"]) == 2
    assert "'last tuesday' is not a date" in capsys.readouterr().err


async def test_cancelled_jobs_are_exported_and_filtered_by_status(database, capsys):
    async with await JobStore.open(database) as store:
        cancelled = await store.create_job(new_job("changed my mind"))
        await store.mark_cancelled(cancelled.id)
    code, out, _ = await run_jobs(
        capsys, "--database", str(database), "--format", "json", "--status", "cancelled"
    )
    assert code == 0
    assert [(job["id"], job["status"]) for job in json.loads(out)] == [(cancelled.id, "cancelled")]
