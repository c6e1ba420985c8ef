"""Member-written text is shown literally: no markdown, links or mentions survive, and it reads the same."""

import re

import pytest

from bot.client import shown_params
from bot.client.literal_text import MARKDOWN_CHARACTERS, literal

ZWSP = "\u200b"


def as_discord_shows(text: str) -> str:
    """What a reader sees: Discord drops a backslash before punctuation; a zero-width space is invisible."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text).replace(ZWSP, "")


def unescaped_markdown(text: str) -> list[str]:
    """Markdown characters not preceded by an escaping backslash."""
    found, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in MARKDOWN_CHARACTERS:
            found.append(text[index])
        index += 1
    return found


TABLE = [
    ("a cat running", "a cat running"),
    ("", ""),
    ("[Download HD](https://evil.example)", "\\[Download HD\\]\\(https:" + ZWSP + "//evil.example\\)"),
    ("[[nested](x)](https://e.x)", "\\[\\[nested\\]\\(x\\)\\]\\(https:" + ZWSP + "//e.x\\)"),
    ("see https://evil.example/a_b", "see https:" + ZWSP + "//evil.example/a\\_b"),
    ("<https://evil.example>", "\\<https:" + ZWSP + "//evil.example\\>"),
    ("@everyone and @here", "@" + ZWSP + "everyone and @" + ZWSP + "here"),
    ("<@123456789012345678>", "\\<@" + ZWSP + "123456789012345678\\>"),
    ("<@!123456789012345678>", "\\<@" + ZWSP + "!123456789012345678\\>"),
    ("<@&123456789012345678>", "\\<@" + ZWSP + "&123456789012345678\\>"),
    ("<#123456789012345678>", "\\<\\#123456789012345678\\>"),
    ("</animate:123>", "\\</animate:123\\>"),
    ("<t:1700000000:R>", "\\<t:1700000000:R\\>"),
    ("**bold** __under__ ~~strike~~", "\\*\\*bold\\*\\* \\_\\_under\\_\\_ \\~\\~strike\\~\\~"),
    ("||spoiler||", "\\|\\|spoiler\\|\\|"),
    ("`code` ```block```", "\\`code\\` \\`\\`\\`block\\`\\`\\`"),
    ("# Heading", "\\# Heading"),
    ("-# subtext", "\\-\\# subtext"),
    ("> quote\n>>> all", "\\> quote\n\\>\\>\\> all"),
    ("- item\n* item\n+ item", "\\- item\n\\* item\n\\+ item"),
    ("1. first\n2. second", "1\\. first\n2\\. second"),
    ("version 3.5 is fine.", "version 3.5 is fine."),
    ("already \\*escaped\\*", "already \\\\\\*escaped\\\\\\*"),
    ("back\\slash", "back\\\\slash"),
    ("mail me@example.com", "mail me@" + ZWSP + "example.com"),
    ("a @ sign alone", "a @ sign alone"),
    ("Mèo đang chạy 🐈 nhanh", "Mèo đang chạy 🐈 nhanh"),
    ("猫が走る（速く）", "猫が走る（速く）"),
    ("zero" + ZWSP + "width", "zero" + ZWSP + "width"),
]


@pytest.mark.parametrize(("typed", "shown"), TABLE)
def test_tricky_inputs_are_escaped(typed, shown):
    assert literal(typed) == shown


@pytest.mark.parametrize("typed", [typed for typed, _ in TABLE])
def test_the_text_reads_the_same_and_nothing_renders(typed):
    shown = literal(typed)
    assert as_discord_shows(shown) == typed.replace(ZWSP, "")
    assert "://" not in shown
    assert unescaped_markdown(shown) == []
    assert not re.search(r"<@[!&]?\d|<#\d|@(everyone|here)", shown)


def test_a_limit_counts_the_escapes_and_never_cuts_one():
    typed = "*" * 2000
    shown = literal(typed, 1024)
    assert len(shown) <= 1024 and shown.endswith("…")
    assert shown[:-1] == "\\*" * ((1024 - 1) // 2)


def test_a_limit_never_splits_a_broken_url_or_mention():
    for limit in range(1, 40):
        shown = literal("go https://evil.example @everyone", limit)
        assert len(shown) <= limit
        assert "://" not in shown and "@everyone" not in shown


def test_text_within_the_limit_is_not_cut():
    assert literal("a [b]", 7) == "a \\[b\\]"
    assert literal("a [b]", 6) == "a \\[b…"
    assert literal("a [b]", 5) == "a \\[…"


def test_refusal_parameters_are_literal_but_the_bots_channel_mentions_stay():
    params = shown_params({"found": "[x](https://e.x)", "channels": "<#1> <#2>", "limit": 3})
    assert params == {"found": "\\[x\\]\\(https:" + ZWSP + "//e.x\\)", "channels": "<#1> <#2>", "limit": 3}
    assert len(str(shown_params({"found": "*" * 5000})["found"])) <= 300
