"""The message catalogue: both languages complete and consistent, Discord's naming rules, helpers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import string
import unicodedata

import pytest

from bot.budget import Period, Scope
from bot.checks.prompts import PromptRejectReason
from bot.checks.quotas import LimitKind
from bot.i18n import (
    Catalogue,
    Lang,
    catalogue,
    discord_timestamp,
    flatten,
    format_duration,
    progress_bar,
    resolve_locale,
)
from bot.media.delivery import LinkReason
from bot.models import FailureKind, GuildSettings, JobStatus, Motion, Quality

# Keys whose Vietnamese text is rightly the same as the English one.
# Names and loanwords Vietnamese keeps as they are: "clip", Midjourney's "raw", resolutions.
SAME_IN_BOTH = {
    "card.title",
    "commands.animate.raw_name",
    "commands.motionbot.name",
    "quality.480p",
    "quality.720p",
}
CONTEXT_MENU_NAMES = {"commands.animate_image.name"}


def t(locale: str | None, key: str, **params: object) -> str:
    """The message for ``key`` in the language the bot picks for a Discord locale."""
    return catalogue().text(resolve_locale(locale), key, **params)


def fields(template: str) -> set[tuple[str, str]]:
    """Return each placeholder with its format spec, e.g. {("size_mb", "g")}."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name}


def is_slash_name(name: str) -> bool:
    """Discord's ^[-_'\\p{L}\\p{N}]{1,32}$ for chat-input names, lowercase where a lowercase exists."""
    allowed = all(char in "-_'" or unicodedata.category(char)[0] in "LN" for char in name)
    return 1 <= len(name) <= 32 and allowed and name == name.lower()


def test_both_languages_have_exactly_the_same_keys():
    cat = catalogue()
    assert cat.keys(Lang.EN) == cat.keys(Lang.VI)
    assert len(cat.keys(Lang.EN)) > 150


def test_each_key_has_the_same_placeholders_in_both_languages():
    cat = catalogue()
    mismatched = {
        key: (fields(cat.template(Lang.EN, key) or ""), fields(cat.template(Lang.VI, key) or ""))
        for key in cat.keys(Lang.EN)
        if fields(cat.template(Lang.EN, key) or "") != fields(cat.template(Lang.VI, key) or "")
    }
    assert mismatched == {}


def test_vietnamese_is_translated_and_composed():
    cat = catalogue()
    untranslated = [
        key
        for key in cat.keys(Lang.EN) - SAME_IN_BOTH
        if cat.template(Lang.EN, key) == cat.template(Lang.VI, key)
    ]
    assert untranslated == []
    for key in cat.keys(Lang.VI):
        text = cat.template(Lang.VI, key) or ""
        assert unicodedata.is_normalized("NFC", text), key
    with_diacritics = [
        key for key in cat.keys(Lang.VI) if any(ord(c) > 0x7F for c in cat.template(Lang.VI, key) or "")
    ]
    assert len(with_diacritics) > len(cat.keys(Lang.VI)) * 0.7


def test_vietnamese_text_sample_reads_naturally():
    waiting = t("vi", "quota.exceeded.waiting", limit=10, waiting=10)
    assert waiting.startswith("Bạn đã có 10 video đang chờ trong hàng")
    assert t("vi", "job.restarting") == "Motionbot đang khởi động lại. Hãy thử lại sau một phút."


@pytest.mark.parametrize("lang", list(Lang))
def test_slash_command_and_option_names_follow_discords_rules(lang):
    cat = catalogue()
    names = [
        key
        for key in cat.keys(lang)
        if key.startswith("commands.") and key.endswith("name") and key not in CONTEXT_MENU_NAMES
    ]
    assert len(names) >= 15
    bad = [
        (key, cat.template(lang, key)) for key in names if not is_slash_name(cat.template(lang, key) or "")
    ]
    assert bad == []


@pytest.mark.parametrize("lang", list(Lang))
def test_descriptions_choices_and_menu_names_fit_discords_lengths(lang):
    cat = catalogue()
    for key in cat.keys(lang):
        text = cat.template(lang, key) or ""
        if key.startswith("commands."):  # descriptions and choice names alike: 1 to 100 characters
            assert 1 <= len(text) <= 100, key
    for key in CONTEXT_MENU_NAMES:
        assert 1 <= len(cat.template(lang, key) or "") <= 32


def test_localized_option_names_differ_from_the_default_option_names():
    cat = catalogue()
    for command in ("animate", "settings"):
        keys = [
            key
            for key in cat.keys(Lang.EN)
            if key.startswith(f"commands.{command}.") and key.endswith("_name")
        ]
        defaults = {cat.template(Lang.EN, key) for key in keys}
        for key in keys:
            vietnamese = cat.template(Lang.VI, key)
            assert vietnamese not in defaults - {cat.template(Lang.EN, key)}, key


@pytest.mark.parametrize("lang", list(Lang))
def test_button_labels_fit_discords_80_characters(lang):
    for key in ("button.extend_low", "button.extend_high", "button.original"):
        label = catalogue().text(lang, key, clip=4)
        assert 1 <= len(label) <= 80


def test_every_status_failure_motion_quality_and_limit_has_a_message():
    expected = (
        {f"status.{status.value}" for status in JobStatus}
        | {f"card.state.{status.value}" for status in JobStatus}
        | {f"failure.{kind.value}" for kind in FailureKind}
        | {f"motion.{motion.value}" for motion in Motion}
        | {f"quality.{quality.value}" for quality in Quality}
        | {f"quota.exceeded.{limit.value}" for limit in LimitKind if limit is not LimitKind.BUDGET}
        | {f"quota.budget.{scope.value}_{period.value}" for scope in Scope for period in Period}
        | {f"prompt.{reason.value}" for reason in PromptRejectReason}
        | {f"delivery.{reason.value}" for reason in LinkReason}
        | {
            f"settings.field.{field.name}"
            for field in dataclasses.fields(GuildSettings)
            if field.name != "guild_id"
        }
    )
    assert expected - catalogue().keys(Lang.EN) == set()


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("vi", Lang.VI),
        ("VI", Lang.VI),
        ("vi-VN", Lang.VI),
        ("en-US", Lang.EN),
        ("en-GB", Lang.EN),
        ("fr", Lang.EN),
        ("zh-TW", Lang.EN),
        ("", Lang.EN),
        (None, Lang.EN),
        ("video", Lang.EN),
    ],
)
def test_resolve_locale(locale, lang):
    assert resolve_locale(locale) is lang


def test_text_fills_placeholders_in_the_right_language():
    cat = catalogue()
    english = cat.text(Lang.EN, "image.too_small", width=1, height=1, min_side=64)
    vietnamese = cat.text(Lang.VI, "image.too_small", width=1, height=1, min_side=64)
    assert english == "That image is 1×1 px; each side must be at least 64 px. Use a larger image."
    assert vietnamese.startswith("Ảnh này có kích thước 1×1 px")
    assert t("en-GB", "quota.exceeded.user_daily", limit=10, resets_at=1700000000).endswith(
        "It resets <t:1700000000:R>."
    )


def test_sizes_print_without_useless_decimals():
    assert "10 MB" in t("en-US", "image.too_large", size_mb=12.5, limit_mb=10.0)
    assert "12.5 MB" in t("en-US", "image.too_large", size_mb=12.5, limit_mb=10.0)


def test_unknown_key_raises():
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        catalogue().text(Lang.EN, "no.such.key")


def test_missing_parameter_raises_with_its_name():
    with pytest.raises(KeyError, match="error_id"):
        catalogue().text(Lang.VI, "error.unexpected")


def test_template_returns_none_for_a_missing_key():
    assert catalogue().template(Lang.VI, "no.such.key") is None
    assert catalogue().template(Lang.VI, "commands.animate.name") == "tạo-video"


def test_flatten_builds_dotted_keys_and_refuses_non_strings():
    assert flatten({"a": {"b": "x", "c": {"d": "y"}}, "e": "z"}) == {"a.b": "x", "a.c.d": "y", "e": "z"}
    with pytest.raises(ValueError, match=r"a\.n"):
        flatten({"a": {"n": 3}})


def test_a_catalogue_can_be_built_from_mappings():
    cat = Catalogue({Lang.EN: {"hi": "Hello {name}"}, Lang.VI: {"hi": "Chào {name}"}})
    assert cat.text(Lang.VI, "hi", name="An") == "Chào An"


@pytest.mark.parametrize(
    ("seconds", "english", "vietnamese"),
    [
        (0, "0 sec", "0 giây"),
        (-5, "0 sec", "0 giây"),
        (1, "1 sec", "1 giây"),
        (45.9, "45 sec", "45 giây"),
        (60, "1 min", "1 phút"),
        (72, "1 min 12 sec", "1 phút 12 giây"),
        (3599, "59 min 59 sec", "59 phút 59 giây"),
        (3600, "1 hr", "1 giờ"),
        (3725, "1 hr 2 min", "1 giờ 2 phút"),
    ],
)
def test_format_duration(seconds, english, vietnamese):
    assert format_duration(seconds, Lang.EN) == english
    assert format_duration(seconds, Lang.VI) == vietnamese


@pytest.mark.parametrize(
    ("percent", "width", "bar"),
    [
        (0, 10, "▱▱▱▱▱▱▱▱▱▱"),
        (30, 10, "▰▰▰▱▱▱▱▱▱▱"),
        (99, 10, "▰▰▰▰▰▰▰▰▰▱"),
        (100, 10, "▰▰▰▰▰▰▰▰▰▰"),
        (150, 10, "▰▰▰▰▰▰▰▰▰▰"),
        (-3, 10, "▱▱▱▱▱▱▱▱▱▱"),
        (50, 4, "▰▰▱▱"),
    ],
)
def test_progress_bar(percent, width, bar):
    assert progress_bar(percent, width) == bar


def test_progress_bar_needs_a_width():
    with pytest.raises(ValueError, match="width"):
        progress_bar(50, 0)


def test_discord_timestamp():
    when = dt.datetime(2026, 1, 2, 0, 0, tzinfo=dt.UTC)
    assert discord_timestamp(when) == 1767312000
    with pytest.raises(ValueError, match="timezone-aware"):
        discord_timestamp(dt.datetime(2026, 1, 2))  # noqa: DTZ001 (the naive value is the point)


def test_relative_timestamps_read_naturally_after_the_word_before_them():
    """Discord renders <t:…:R> as "in 5 minutes": after "about" it would read "about in 5 minutes"."""
    cat = catalogue()
    awkward = ("about ", "around ", "since ", "khoảng ", "chừng ")
    found = [
        (lang.value, key)
        for lang in Lang
        for key in cat.keys(lang)
        if any(f"{word}<t:" in (cat.template(lang, key) or "") for word in awkward)
    ]
    assert found == []
    assert cat.text(Lang.EN, "quota.next_slot", next_slot_at=1) == "The next free slot opens <t:1:R>."


@pytest.mark.parametrize(
    ("key", "params", "english", "vietnamese"),
    [
        ("options.clips", {}, ["0 clips", "1 clip", "2 clips"], ["0 clip", "1 clip", "2 clip"]),
        (
            "card.state.delivered",
            {},
            ["Done: 0 clips below", "Done: 1 clip below", "Done: 2 clips below"],
            ["Hoàn tất: 0 clip ở bên dưới", "Hoàn tất: 1 clip ở bên dưới", "Hoàn tất: 2 clip ở bên dưới"],
        ),
    ],
)
def test_plural_forms_at_0_1_and_2_follow_each_languages_rules(key, params, english, vietnamese):
    cat = catalogue()
    assert [cat.text(Lang.EN, key, count=n, **params) for n in (0, 1, 2)] == english
    assert [cat.text(Lang.VI, key, count=n, **params) for n in (0, 1, 2)] == vietnamese


def test_a_plural_is_chosen_by_the_parameter_it_names():
    cat = catalogue()
    one = cat.text(Lang.EN, "quota.member", used=1, limit=1, remaining=0)
    assert one == "You: 1 of 1 video today, 0 left."
    assert (
        cat.text(Lang.EN, "quota.member", used=1, limit=5, remaining=4) == "You: 1 of 5 videos today, 4 left."
    )
    assert cat.text(Lang.EN, "extend.max_reached", clip=2, max=1).endswith(
        "extended 1 time, the most allowed."
    )
    with pytest.raises(KeyError, match="limit"):
        cat.text(Lang.EN, "quota.member", used=1, remaining=0)


def test_english_has_one_and_other_where_vietnamese_has_one_form():
    cat = catalogue()
    plurals = [key for key in cat.keys(Lang.EN) if cat.plural_forms(Lang.EN, key)]
    assert len(plurals) >= 9
    for key in plurals:
        assert set(cat.plural_forms(Lang.EN, key)) == {"one", "other"}, key
        assert set(cat.plural_forms(Lang.VI, key)) == {"other"}, key


# Discord's own Vietnamese names of the permissions the texts mention.
PERMISSION_LABELS = {
    "Manage Messages": "Quản lý tin nhắn",
    "Manage Server": "Quản lý máy chủ",
    "View Channel": "Xem kênh",
    "Send Messages": "Gửi tin nhắn",
    "Embed Links": "Nhúng liên kết",
    "Attach Files": "Đính kèm tệp",
    "Read Message History": "Đọc lịch sử tin nhắn",
}


def test_vietnamese_names_permissions_as_discord_does():
    cat = catalogue()
    mentioned = 0
    for key in cat.keys(Lang.EN):
        english, vietnamese = cat.template(Lang.EN, key) or "", cat.template(Lang.VI, key) or ""
        for label, translated in PERMISSION_LABELS.items():
            if label in english:
                mentioned += 1
                assert translated in vietnamese, (key, label)
    assert mentioned >= 8


def test_vietnamese_avoids_the_stilted_words():
    cat = catalogue()
    stilted = ("nối dài", "Nối dài", "Quá thời gian", "Đang chờ: đợi đến lượt")
    found = [
        key for key in cat.keys(Lang.VI) for word in stilted if word in (cat.template(Lang.VI, key) or "")
    ]
    assert found == []
    assert cat.text(Lang.VI, "status.timed_out") == "Hết thời gian chờ"
    assert cat.text(Lang.VI, "card.extension", count=1, max=3) == "Lần kéo dài 1/3"
