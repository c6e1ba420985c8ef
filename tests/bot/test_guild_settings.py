"""Parsing and applying the per-server settings admins change with /motionbot settings."""

import pytest

from bot.guild_settings import (
    AboveOperatorCap,
    ChannelAction,
    InvalidSetting,
    SettingName,
    apply,
    change_channels,
    channels_answer,
    closed_everywhere,
    commands_open_in,
    operator_caps,
    parse_value,
    reaction_listed,
)
from bot.models import ConsentMode, GuildSettings, Motion, Quality
from bot.settings import Settings

# The .env maxima, as an operator who wants the most would set them.
CAPS = {"max_concurrent_per_user": 20, "max_daily_per_user": 10_000, "max_daily_per_guild": 100_000}


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
        (SettingName.DEFAULT_CLIPS, " 2 ", 2),
        (SettingName.DEFAULT_CLIPS, "1", 1),
        (SettingName.COUNT_CLIPS, "bật", True),
        (SettingName.COUNT_CLIPS, "off", False),
        (SettingName.MAX_CONCURRENT_PER_USER, "3", 3),
        (SettingName.MAX_DAILY_PER_GUILD, "100000", 100_000),
    ],
)
def test_valid_values_are_parsed(name, raw, expected):
    assert parse_value(name, raw, caps=CAPS) == expected


@pytest.mark.parametrize(
    ("name", "raw", "expected_key"),
    [
        (SettingName.REACTIONS_ENABLED, "maybe", "settings.expected.on_off"),
        (SettingName.REACTION_EMOJI, "abc", "settings.expected.emoji"),
        (SettingName.REACTION_EMOJI, "🎬 🎬", "settings.expected.emoji"),
        (SettingName.REACTION_EMOJI, "", "settings.expected.emoji"),
        (SettingName.DEFAULT_MOTION, "medium", "settings.expected.motion"),
        (SettingName.DEFAULT_QUALITY, "1080p", "settings.expected.quality"),
        (SettingName.DEFAULT_CLIPS, "3", "settings.expected.clips"),
        (SettingName.DEFAULT_CLIPS, "٢", "settings.expected.clips"),
        (SettingName.COUNT_CLIPS, "sometimes", "settings.expected.on_off"),
        (SettingName.MAX_CONCURRENT_PER_USER, "0", "settings.expected.whole_number"),
        (SettingName.MAX_CONCURRENT_PER_USER, "21", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "-5", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "ten", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "²", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "٣", "settings.expected.whole_number"),
        (SettingName.MAX_DAILY_PER_USER, "1.5", "settings.expected.whole_number"),
    ],
)
def test_out_of_range_or_malformed_values_are_refused_with_what_is_expected(name, raw, expected_key):
    with pytest.raises(InvalidSetting) as refused:
        parse_value(name, raw, caps=CAPS)
    assert refused.value.expected_key == expected_key


@pytest.mark.parametrize("name", [SettingName(name) for name in CAPS])
def test_a_limit_above_the_operators_is_refused_naming_the_cap(name):
    caps = {"max_concurrent_per_user": 2, "max_daily_per_user": 10, "max_daily_per_guild": 100}
    cap = caps[name.value]
    assert parse_value(name, str(cap), caps=caps) == cap
    assert parse_value(name, "1", caps=caps) == 1
    with pytest.raises(AboveOperatorCap) as refused:
        parse_value(name, str(cap + 1), caps=caps)
    assert refused.value.message_key == "settings.above_cap"
    assert refused.value.params == {"min": 1, "max": cap, "cap": cap}
    with pytest.raises(InvalidSetting) as malformed:
        parse_value(name, "0", caps=caps)
    assert malformed.value.message_key == "settings.invalid" and malformed.value.params["max"] == cap


def test_operator_caps_come_from_the_env_limits():
    settings = Settings(
        discord_token="token",
        cometapi_key="key",
        _env_file=None,  # type: ignore[call-arg]
        max_concurrent_jobs_per_user=3,
        max_daily_jobs_per_user=7,
        max_daily_jobs_per_guild=70,
    )
    assert operator_caps(settings) == {
        "max_concurrent_per_user": 3,
        "max_daily_per_user": 7,
        "max_daily_per_guild": 70,
    }


def test_apply_and_reset_one_setting():
    settings = GuildSettings(guild_id=1)
    changed = apply(settings, SettingName.MAX_DAILY_PER_USER, 3)
    assert changed.max_daily_per_user == 3
    assert apply(changed, SettingName.MAX_DAILY_PER_USER, None).max_daily_per_user is None
    assert apply(settings, SettingName.BUTTONS_EVERYONE, True).buttons_everyone is True


def test_channel_lists_add_remove_and_clear_independently():
    settings = GuildSettings(guild_id=1)
    settings = change_channels(settings, reactions=False, action=ChannelAction.ADD, channel_id=10)
    settings = change_channels(settings, reactions=True, action=ChannelAction.ADD, channel_id=20)
    settings = change_channels(settings, reactions=False, action=ChannelAction.ADD, channel_id=11)
    assert settings.allowed_channel_ids == {10, 11}
    assert settings.reaction_channel_ids == {20}
    settings = change_channels(settings, reactions=False, action=ChannelAction.REMOVE, channel_id=10)
    assert settings.allowed_channel_ids == {11}
    settings = change_channels(settings, reactions=True, action=ChannelAction.CLEAR, channel_id=None)
    assert settings.reaction_channel_ids == frozenset()


def test_removing_the_last_channel_leaves_none_and_only_all_opens_every_channel():
    """Empty no longer means "everywhere": that is an explicit choice of its own."""
    fresh = GuildSettings(guild_id=1)
    listed = change_channels(fresh, reactions=False, action=ChannelAction.ADD, channel_id=10)
    assert commands_open_in(listed, 10) and not commands_open_in(listed, 11)

    emptied = change_channels(listed, reactions=False, action=ChannelAction.REMOVE, channel_id=10)
    assert not commands_open_in(emptied, 10) and not commands_open_in(emptied, 11)
    assert closed_everywhere(emptied)
    answer = channels_answer(ChannelAction.REMOVE, reactions=False, updated=emptied)
    assert answer == "settings.channel_removed_none_left"

    cleared = change_channels(listed, reactions=False, action=ChannelAction.CLEAR, channel_id=None)
    assert closed_everywhere(cleared)
    assert channels_answer(ChannelAction.CLEAR, reactions=False, updated=cleared) == "settings.channels_none"

    opened = change_channels(cleared, reactions=False, action=ChannelAction.ALL, channel_id=None)
    assert commands_open_in(opened, 11) and not closed_everywhere(opened)
    assert channels_answer(ChannelAction.ALL, reactions=False, updated=opened) == "settings.channels_all"


def test_removing_from_every_channel_changes_nothing():
    """There is no list to remove from: the bot stays open everywhere; the admin hears how to limit it."""
    everywhere = GuildSettings(guild_id=1)
    after = change_channels(everywhere, reactions=False, action=ChannelAction.REMOVE, channel_id=10)
    assert after == everywhere
    assert channels_answer(ChannelAction.REMOVE, reactions=False, updated=after) == "settings.remove_from_all"
    assert commands_open_in(None, 10) and not closed_everywhere(None)


def test_the_reaction_list_falls_back_to_the_command_list():
    """An empty reaction list follows the commands' list; a server open nowhere has the trigger refused."""
    only_ten = GuildSettings(guild_id=1, allowed_channel_ids=frozenset({10}), all_channels=False)
    assert reaction_listed(only_ten, 10) and not reaction_listed(only_ten, 11)
    reactions_in_eleven = GuildSettings(guild_id=1, reaction_channel_ids=frozenset({11}))
    assert reaction_listed(reactions_in_eleven, 11) and not reaction_listed(reactions_in_eleven, 10)
    nowhere = GuildSettings(guild_id=1, all_channels=False)
    assert reaction_listed(nowhere, 10) and closed_everywhere(nowhere)
    emptied = change_channels(reactions_in_eleven, reactions=True, action=ChannelAction.REMOVE, channel_id=11)
    answer = channels_answer(ChannelAction.REMOVE, reactions=True, updated=emptied)
    assert answer == "settings.reaction_channels_follow"


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        (SettingName.DEFAULT_MOTION, "nhẹ", Motion.LOW),
        (SettingName.DEFAULT_MOTION, "Mạnh", Motion.HIGH),
        (SettingName.BUTTONS_EVERYONE, "everyone", True),
        (SettingName.BUTTONS_EVERYONE, "mọi người", True),
        (SettingName.BUTTONS_EVERYONE, "requester", False),
        (SettingName.BUTTONS_EVERYONE, "moderators", False),
        (SettingName.BUTTONS_EVERYONE, "người tạo", False),
    ],
)
def test_the_words_the_hints_show_are_accepted_in_both_languages(name, raw, expected):
    assert parse_value(name, raw, caps=CAPS) == expected


def test_who_may_press_has_its_own_expected_text():
    with pytest.raises(InvalidSetting) as refused:
        parse_value(SettingName.BUTTONS_EVERYONE, "maybe", caps=CAPS)
    assert refused.value.expected_key == "settings.expected.who_may_press"


# issue 22 (consent): every word the hint shows (settings.expected.consent), in both languages
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("anyone", ConsentMode.ANYONE),
        ("mọi người", ConsentMode.ANYONE),
        ("Ask", ConsentMode.ASK),
        ("hỏi", ConsentMode.ASK),
        ("poster_only", ConsentMode.POSTER_ONLY),
        ("poster-only", ConsentMode.POSTER_ONLY),
        (" chỉ  người đăng ", ConsentMode.POSTER_ONLY),
    ],
)
def test_the_consent_words_are_accepted_in_both_languages(raw, expected):
    assert parse_value(SettingName.CONSENT, raw, caps=CAPS) is expected


def test_an_unknown_consent_word_is_refused_and_reset_goes_back_to_anyone():
    with pytest.raises(InvalidSetting) as refused:
        parse_value(SettingName.CONSENT, "sometimes", caps=CAPS)
    assert refused.value.expected_key == "settings.expected.consent"
    asked = apply(GuildSettings(guild_id=1), SettingName.CONSENT, ConsentMode.ASK)
    assert asked.consent is ConsentMode.ASK
    assert apply(asked, SettingName.CONSENT, None).consent is ConsentMode.ANYONE
