"""Prompt cleaning: control characters removed, whitespace collapsed, length capped."""

from __future__ import annotations

import pytest

from bot.checks.prompts import PromptRejected, PromptRejectReason, clean_prompt, shorten
from bot.i18n import Lang, catalogue
from bot.models import MAX_PROMPT_LENGTH


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("a cat walking", "a cat walking"),
        ("  a   cat\n\twalking  ", "a cat walking"),
        ("line one\r\nline two", "line one line two"),
        ("bell\x07 and escape\x1b[31m red", "bell and escape[31m red"),
        ("null\x00byte", "nullbyte"),
        ("zero\u200bwidth\u200c joiners\u200d", "zerowidth joiners"),
        ("bidi \u202eoverride\u202c and \u2066isolate\u2069", "bidi override and isolate"),
        ("\ufeffbyte order mark", "byte order mark"),
        ("soft\u00adhyphen", "softhyphen"),
        ("c1\x85control", "c1 control"),  # NEL is whitespace: it becomes a space
        ("\x9bcsi", "csi"),
        ("line\u2028separator", "line separator"),
        ("no\u00a0break", "no break"),
        ("\x00\x01\u200b\u202e\x7f", ""),
        ("Mèo đi dạo trên bãi biển", "Mèo đi dạo trên bãi biển"),
        ("Me\u0300o", "Mèo"),  # decomposed Vietnamese is stored composed (NFC)
        ("🎬 camera pans left 🐈", "🎬 camera pans left 🐈"),
        ("слон 象 फ़िल्म", "слон 象 फ़िल्म"),
    ],
)
def test_clean_prompt(raw, cleaned):
    assert clean_prompt(raw) == cleaned


def test_prompt_at_the_limit_is_kept():
    prompt = "a" * MAX_PROMPT_LENGTH
    assert clean_prompt(prompt) == prompt


def test_length_counts_after_cleaning():
    padded = "  " + "a" * MAX_PROMPT_LENGTH + "\u200b" * 50 + "\n\n"
    assert clean_prompt(padded) == "a" * MAX_PROMPT_LENGTH


@pytest.mark.parametrize("length", [MAX_PROMPT_LENGTH + 1, 5000])
def test_too_long_prompt_is_refused_with_length_and_limit(length):
    with pytest.raises(PromptRejected) as caught:
        clean_prompt("b" * length)
    error = caught.value
    assert error.reason is PromptRejectReason.TOO_LONG
    assert error.params == {"length": length, "limit": MAX_PROMPT_LENGTH}
    assert error.key == "prompt.too_long"
    english = catalogue().text(Lang.EN, error.key, **error.params)
    vietnamese = catalogue().text(Lang.VI, error.key, **error.params)
    assert str(length) in english
    assert str(length) in vietnamese


def test_custom_limit():
    with pytest.raises(PromptRejected):
        clean_prompt("abcdef", max_length=5)
    assert clean_prompt("abcde", max_length=5) == "abcde"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a long prompt here", 8, "a long…"),
        ("abcdef", 1, "…"),
    ],
)
def test_shorten(text, limit, expected):
    result = shorten(text, limit)
    assert result == expected
    assert len(result) <= limit


def test_shorten_refuses_a_zero_limit():
    with pytest.raises(ValueError, match="at least 1"):
        shorten("abc", 0)
