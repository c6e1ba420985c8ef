"""SHARD_COUNT and SHARD_IDS: parsing, and one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, read_settings


def settings_problems(tmp_path: Path, **values: str) -> list[str]:
    """The problems ``read_settings`` reports for these values (none when they load)."""
    try:
        read_settings(None, discord_token="t", cometapi_key="k", database_path=tmp_path / "db", **values)
    except SettingsError as exc:
        return exc.problems
    return []


def test_empty_values_mean_discords_recommendation_and_every_shard(tmp_path):
    settings = read_settings(
        None, discord_token="t", cometapi_key="k", database_path=tmp_path / "db", shard_count="", shard_ids=""
    )
    assert settings.shard_count is None and settings.shard_ids == ()


def test_shard_ids_are_read_comma_separated(tmp_path):
    settings = read_settings(
        None,
        discord_token="t",
        cometapi_key="k",
        database_path=tmp_path / "db",
        shard_count="4",
        shard_ids=" 1, 3",
    )
    assert settings.shard_count == 4 and settings.shard_ids == (1, 3)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"shard_ids": "0,1"},
            "SHARD_IDS is invalid (Value error, it needs SHARD_COUNT, the number of shards",
        ),
        ({"shard_count": "2", "shard_ids": "0,2,3"}, "not below SHARD_COUNT=2: 2, 3)"),
        ({"shard_count": "2", "shard_ids": "1,1"}, "listed more than once: 1)"),
        (
            {"shard_count": "2", "shard_ids": "-1"},
            "SHARD_IDS is invalid (Input should be greater than or equal to 0)",
        ),
        ({"shard_count": "0"}, "SHARD_COUNT is invalid (Input should be greater than or equal to 1)"),
        ({"shard_count": "two", "shard_ids": "0"}, "SHARD_COUNT is invalid (Input should be a valid integer"),
    ],
)
def test_each_problem_is_one_line_naming_the_variable(tmp_path, values, expected):
    problems = settings_problems(tmp_path, **values)
    assert len(problems) == 1 and expected in problems[0], problems
    assert "\n" not in problems[0]
