"""Parsing and applying the per-server settings admins change with /motionbot settings."""

import pytest

from bot.guild_settings import InvalidSetting, SettingName, apply, change_channels, parse_value
from bot.models import GuildSettings, Motion, Quality


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        (SettingName.REACTIONS_ENABLED, "on", True),
        (SettingName.REACTIONS_ENABLED, " OFF ", False),
        (SettingName.REACTIONS_ENABLED, "tắt", False),
        (SettingName.BUTTONS_EVERYONE, "everyone", True),
        (SettingName.BUTTONS_EVERYONE, "owner", False),
        (SettingName.REACTION_EMOJI, "🎬", "🎬"),
        (SettingName.REACTION_EMOJI, "👍🏽", "👍🏽"),
        (SettingName.REACTION_EMOJI, "<:clap:123456789012345678>", "<:clap:123456789012345678>"),
        (SettingName.DEFAULT_MOTION, "High", Motion.HIGH),
        (SettingName.DEFAULT_QUALITY, "720", Quality.HD),
        (SettingName.DEFAULT_QUALITY, "480p", Quality.SD),
        (SettingName.MAX_CONCURRENT_PER_USER, "3", 3),
        (SettingName.MAX_DAILY_PER_GUILD, "100000", 100_000),
    ],
)
def test_valid_values_are_parsed(name, raw, expected):
    assert parse_value(name, raw) == expected


@pytest.mark.parametrize(
    ("name", "raw", "expected_key"),
    [
        (SettingName.REACTIONS_ENABLED, "maybe", "settings.expected.on_off"),
        (SettingName.REACTION_EMOJI, "abc", "settings.expected.emoji"),
        (SettingName.REACTION_EMOJI, "🎬 🎬", "settings.expected.emoji"),
        (SettingName.REACTION_EMOJI, "", "settings.expected.emoji"),
        (SettingName.DEFAULT_MOTION, "medium", "settings.expected.motion"),
        (SettingName.DEFAULT_QUALITY, "1080p", "settings.expected.quality"),
        (SettingName.MAX_CONCURRENT_PER_USER, "0", "settings.expected.whole_number"),
        (SettingName.MAX_CONCURRENT_PER_USER, "21", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "-5", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "ten", "settings.expected.whole_number"),
    ],
)
def test_out_of_range_or_malformed_values_are_refused_with_what_is_expected(name, raw, expected_key):
    with pytest.raises(InvalidSetting) as refused:
        parse_value(name, raw)
    assert refused.value.expected_key == expected_key


def test_apply_and_reset_one_setting():
    settings = GuildSettings(guild_id=1)
    changed = apply(settings, SettingName.MAX_DAILY_PER_USER, 3)
    assert changed.max_daily_per_user == 3
    assert apply(changed, SettingName.MAX_DAILY_PER_USER, None).max_daily_per_user is None
    assert apply(settings, SettingName.BUTTONS_EVERYONE, True).buttons_everyone is True


def test_channel_lists_add_remove_and_clear_independently():
    settings = GuildSettings(guild_id=1)
    settings = change_channels(settings, reactions=False, action="add", channel_id=10)
    settings = change_channels(settings, reactions=True, action="add", channel_id=20)
    settings = change_channels(settings, reactions=False, action="add", channel_id=11)
    assert settings.allowed_channel_ids == {10, 11}
    assert settings.reaction_channel_ids == {20}
    settings = change_channels(settings, reactions=False, action="remove", channel_id=10)
    assert settings.allowed_channel_ids == {11}
    settings = change_channels(settings, reactions=True, action="clear", channel_id=None)
    assert settings.reaction_channel_ids == frozenset()
