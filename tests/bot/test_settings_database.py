"""DATABASE_URL (PostgreSQL, a secret: it carries a password) and LEASE_SECONDS."""

from __future__ import annotations

import logging

import pytest

from bot.ops.logs import REDACTED, configure_logging
from bot.settings import SettingsError, create_database_folder, read_settings
from tests import cli_support

restore_logging = cli_support.restore_logging

PASSWORD = "s3cret-pa$$word"
URL = "postgresql://motionbot:s3cret-pa%24%24word@db.example:5432/motionbot"
log = logging.getLogger("bot.test_settings_database")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in cli_support.SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    monkeypatch.setenv("COMETAPI_KEY", "key")


def problems_for(**values: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        read_settings(None, **values)
    return caught.value.problems


def test_without_database_url_the_sqlite_file_is_used_and_its_folder_made(tmp_path):
    settings = read_settings(None, database_path=tmp_path / "data" / "jobs.sqlite3")
    create_database_folder(settings)
    assert not settings.uses_postgres
    assert settings.database_url.get_secret_value() == ""
    assert (tmp_path / "data").is_dir()
    assert settings.lease_seconds == 30


@pytest.mark.parametrize("url", [URL, "postgres://db/motionbot", f"  {URL} "])
def test_a_postgresql_url_is_accepted_and_no_sqlite_folder_is_made(tmp_path, url):
    settings = read_settings(None, database_url=url, database_path=tmp_path / "data" / "jobs.sqlite3")
    create_database_folder(settings)
    assert settings.uses_postgres
    assert settings.database_url.get_secret_value() == url.strip()
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/motionbot.sqlite3",
        "mysql://motionbot:s3cret-pa$$word@db/motionbot",
        "db.example:5432/motionbot",
        "postgresql+asyncpg://motionbot:s3cret-pa$$word@db/motionbot",
    ],
)
def test_any_other_database_url_is_one_clear_line_without_the_url(url):
    (problem,) = problems_for(database_url=url)
    assert problem.startswith("DATABASE_URL is invalid (Value error, only PostgreSQL is supported: ")
    assert "postgresql://" in problem and "DATABASE_PATH" in problem
    assert PASSWORD not in problem and url not in problem


def test_a_quoted_database_url_is_refused_like_a_quoted_token():
    (problem,) = problems_for(database_url=f'"{URL}"')
    assert "DATABASE_URL is invalid (Value error, it still has its quotes" in problem
    assert PASSWORD not in problem


def test_the_url_and_its_password_never_show_in_a_repr():
    settings = read_settings(None, database_url=URL)
    for text in (repr(settings), str(settings), repr(settings.model_dump())):
        assert "s3cret" not in text and "db.example" not in text


def test_the_url_and_its_password_are_redacted_from_log_lines(restore_logging, capsys):
    settings = read_settings(None, database_url=URL)
    configure_logging("INFO", "text", settings.secret_values)
    log.info("connecting to %s", URL)
    log.info("password authentication failed for %r", PASSWORD)
    log.info("raw %s", "s3cret-pa%24%24word")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert all("s3cret" not in line for line in lines)
    assert lines[0].endswith(f"connecting to {REDACTED}")
    assert REDACTED in lines[1] and REDACTED in lines[2]


@pytest.mark.parametrize(("value", "ok"), [("4.9", False), ("5", True), ("600", True), ("601", False)])
def test_lease_seconds_stays_between_5_and_600(value, ok):
    if ok:
        assert read_settings(None, lease_seconds=value).lease_seconds == float(value)
    else:
        (problem,) = problems_for(lease_seconds=value)
        assert problem.startswith("LEASE_SECONDS is invalid") and "between 5 and 600" in problem
