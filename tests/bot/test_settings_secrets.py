"""Secrets pasted with quotes (as `docker run --env-file` passes them) are refused clearly; spaces
around a secret are dropped, and a secret of only spaces is as empty as none."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, read_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "COMETAPI_KEY", "DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ('"abc.def"', "DISCORD_TOKEN is invalid (Value error, it still has its quotes"),
        ("'abc.def'", "use `docker compose`"),
        ('  "abc.def"  ', "DISCORD_TOKEN is invalid (Value error, it still has its quotes"),
        ("   ", "DISCORD_TOKEN is empty"),
    ],
)
def test_a_quoted_or_blank_token_is_one_clear_line(monkeypatch, token, words):
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("COMETAPI_KEY", "key")
    with pytest.raises(SettingsError) as caught:
        read_settings(env_file=None)
    assert len(caught.value.problems) == 1
    assert words in caught.value.problems[0]
    assert "abc.def" not in str(caught.value)


def test_spaces_around_a_token_are_dropped(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "  abc.def \t")
    monkeypatch.setenv("COMETAPI_KEY", " key ")
    settings = read_settings(env_file=None)
    assert settings.discord_token.get_secret_value() == "abc.def"
    assert settings.cometapi_key.get_secret_value() == "key"


def test_a_quoted_cometapi_key_is_refused(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def")
    monkeypatch.setenv("COMETAPI_KEY", '"sk-1"')
    with pytest.raises(SettingsError, match=r"COMETAPI_KEY is invalid .*quotes"):
        read_settings(env_file=None)


def test_the_env_file_loader_strips_quotes_like_compose(tmp_path):
    env_file = tmp_path / "quoted.env"
    env_file.write_text("DISCORD_TOKEN=\"abc.def\"\nCOMETAPI_KEY='sk-1'\n", encoding="utf-8")
    settings = read_settings(env_file=env_file)
    assert settings.discord_token.get_secret_value() == "abc.def"
    assert settings.cometapi_key.get_secret_value() == "sk-1"
