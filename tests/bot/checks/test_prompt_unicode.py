"""Flags and links in Unicode disguise: folded (NFKC, ASCII dashes) before parsing, so none gets through.

A table of disguises (each refused with its key, or read as the option it spells), a table of ordinary
prompts that must come through with their meaning, and property tests: whatever string is built from
dashes, minus signs, flag names and separators, the words left for the provider carry no flag that even
a pessimistic reader (every dash-like character a hyphen, every long dash two) could see.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checks.prompt_flags import FlagRejected, TypedOptions, parse_prompt, provider_flags, provider_prompt
from bot.checks.prompt_links import has_link
from bot.checks.prompt_unicode import LONG_DASHES, MIDJOURNEY_PARAMETERS, normalize_prompt
from bot.checks.prompts import PromptRejected, clean_prompt
from bot.models import Motion

UNSUPPORTED, LINK = "prompt.flag_unsupported", "prompt.url_refused"

DISGUISES = [
    ("doubled fullwidth hyphen-minus", "a cat －－fast", UNSUPPORTED, "--fast"),
    ("doubled small hyphen-minus", "a cat ﹣﹣turbo", UNSUPPORTED, "--turbo"),
    ("doubled minus sign", "a cat −−no dogs", UNSUPPORTED, "--no"),
    ("doubled hyphen", "a cat ‐‐ar 16:9", UNSUPPORTED, "--ar"),
    ("doubled non-breaking hyphen", "a cat ‑‑seed 5", UNSUPPORTED, "--seed"),
    ("figure dash opening a word", "a cat ‒relax", UNSUPPORTED, "--relax"),
    ("horizontal bar opening a word", "a cat ―video 1", UNSUPPORTED, "--video"),
    ("two-em dash opening a word", "a cat ⸺chaos 50", UNSUPPORTED, "--chaos"),
    ("hyphen then em dash", "a cat -—stylize 900", UNSUPPORTED, "--stylize"),
    ("em dash glued to a word's end", "a cat—no dogs", UNSUPPORTED, "--no"),
    ("en dash glued to a word's end", "a cat–sref 123", UNSUPPORTED, "--sref"),
    ("minus sign glued twice to a word's end", "a cat−−weird 3", UNSUPPORTED, "--weird"),
    ("a zero-width space between two hyphens", "a cat -\u200b-fast", UNSUPPORTED, "--fast"),
    ("fullwidth flag letters", "a cat --ｆａｓｔ", UNSUPPORTED, "--fast"),
    ("fullwidth --end", "a cat －－end loop", "prompt.flag_end", None),
    ("a negative multi-prompt weight", "a cat::-0.5 dog", UNSUPPORTED, "::"),
    ("a weight with a minus sign", "a cat ::−0.5 dog", UNSUPPORTED, "::"),
    ("fullwidth colons", "a cat：：2 dog", UNSUPPORTED, "::"),
    ("a fullwidth scheme", "ｈｔｔｐｓ：／／evil.example／x.png a cat", LINK, None),
    ("a link without a scheme", "evil.com/x.png a cat", LINK, None),
    ("a Discord link without a scheme", "cdn.discordapp.com/attachments/1/2/x.png cat", LINK, None),
    ("www with fullwidth dots", "a cat at www．evil．com", LINK, None),
    ("ideographic full stops", "a cat evil。com/x.png", LINK, None),
    ("an address with a port and a path", "a cat 127.0.0.1:9/x.png", LINK, None),
    ("a Vietnamese host name", "mèo ví-dụ.vn/ảnh.png", LINK, None),
    ("an internationalised top-level domain", "кот пример.рф/кот.png", LINK, None),
]


@pytest.mark.parametrize(("what", "prompt", "key", "flag"), DISGUISES, ids=[d[0] for d in DISGUISES])
def test_disguised_flags_and_links_are_refused_with_their_key(what, prompt, key, flag):
    with pytest.raises(FlagRejected) as caught:
        parse_prompt(clean_prompt(prompt))
    assert caught.value.key == key, what
    if flag is not None:
        assert caught.value.params["flag"] == flag


READ_AS_OPTIONS = [
    ("a cat －－raw", TypedOptions("a cat", raw=True)),
    ("a cat ﹣﹣loop", TypedOptions("a cat", loop=True)),
    ("sea −−motion high", TypedOptions("sea", motion=Motion.HIGH)),
    ("sea ‐‐bs ２", TypedOptions("sea", clips=2)),
    ("sea ⸺raw", TypedOptions("sea", raw=True)),
    ("sea—raw", TypedOptions("sea", raw=True)),
    ("sea -—loop", TypedOptions("sea", loop=True)),
]


@pytest.mark.parametrize(("prompt", "expected"), READ_AS_OPTIONS)
def test_disguised_supported_flags_are_read_as_the_options_they_spell(prompt, expected):
    assert parse_prompt(clean_prompt(prompt)) == expected


ORDINARY = [
    ("a cat, sleeping", "a cat, sleeping"),
    ("3.5 seconds of rain", "3.5 seconds of rain"),
    ("a well-lit room, an x-ray of a fish", "a well-lit room, an x-ray of a fish"),
    (
        "Một chú mèo đang ngủ dưới ánh trăng, máy quay lia chậm",
        "Một chú mèo đang ngủ dưới ánh trăng, máy quay lia chậm",
    ),
    ("Mo\u0323\u0302t chu\u0301 me\u0300o", "Một chú mèo"),  # decomposed Vietnamese, composed
    ("a cat — sleeping", "a cat - sleeping"),
    ("the 1990–2000 skyline", "the 1990-2000 skyline"),
    ("a New York–Paris flight, the cat—sleeping—purrs", "a New York-Paris flight, the cat-sleeping-purrs"),
    ("at −5 °C", "at -5 °C"),
    ("cat.png on node.js, ratio 16:9, 3:45 pm", "cat.png on node.js, ratio 16:9, 3:45 pm"),
    ("すごい〜〜 コーヒー", "すごい〜〜 コーヒー"),  # wave dashes and the prolonged sound mark are no dashes
    ("ｆｕｌｌｗｉｄｔｈ letters", "fullwidth letters"),
    ("1/2 cup, 10/10 rating, A.I. art", "1/2 cup, 10/10 rating, A.I. art"),
]


@pytest.mark.parametrize(("prompt", "words"), ORDINARY)
def test_ordinary_prompts_keep_their_meaning(prompt, words):
    typed = parse_prompt(clean_prompt(prompt))
    assert typed == TypedOptions(words)


def test_folding_is_idempotent_and_leaves_ascii_alone():
    for prompt, _ in ORDINARY + [(p, None) for _, p, _, _ in DISGUISES]:
        once = normalize_prompt(prompt)
        assert normalize_prompt(once) == once
    assert normalize_prompt("plain -- ascii - text") == "plain -- ascii - text"


def test_a_scheme_less_name_needs_a_real_top_level_domain_and_a_path():
    assert has_link("see evil.com/x") and has_link("see sub.evil.io/")
    assert not has_link("see evil.com") and not has_link("a cat.sleeping/dog")
    assert not has_link("3.5/10") and not has_link("1.2.3/4")


# -- properties ------------------------------------------------------------------------------------

# Every character a reader might take for a hyphen: dash punctuation and the minus signs. Wave dashes
# and the katakana double hyphen are left out on purpose (Japanese text doubles them: "すごい〜〜").
NOT_READ_AS_DASHES = {"WAVE DASH", "WAVY DASH", "KATAKANA-HIRAGANA DOUBLE HYPHEN"}
MINUS_NAMES = {"MINUS SIGN", "HEAVY MINUS SIGN", "MODIFIER LETTER MINUS SIGN", "SUPERSCRIPT MINUS"}
MINUS_NAMES |= {"SUBSCRIPT MINUS", "HYPHEN BULLET", "SMALL HYPHEN-MINUS", "FULLWIDTH HYPHEN-MINUS"}


def read_as_dash(char: str) -> bool:
    name = unicodedata.name(char, "")
    if name in NOT_READ_AS_DASHES:
        return False
    return char == "-" or unicodedata.category(char) == "Pd" or name in MINUS_NAMES


READ_AS_DASHES = sorted(c for c in map(chr, range(0x110000)) if read_as_dash(c))
DASHES = [*READ_AS_DASHES, "〜", "±", "_"]
NAMES = [*sorted(MIDJOURNEY_PARAMETERS), "RAW", "ｒａｗ", "sleeping", "2000", "end", ""]
SEPARATORS = [" ", "", "\u00a0", "\u200b", "\u3000", "::", ":", "：", ".", "/", ",", "x", "mèo", "5"]


def flags_a_pessimist_sees(text: str) -> list[str]:
    """Flags in ``text`` if every dash-like character were a hyphen and every long dash two."""
    folded = unicodedata.normalize("NFKC", text)
    hyphens = "".join(("--" if c in LONG_DASHES else "-") if read_as_dash(c) else c for c in folded)
    return re.findall(r"-{2,}[^\s-]*", hyphens)


def assert_nothing_reaches_the_provider_as_a_flag(text: str) -> None:
    try:
        typed = parse_prompt(clean_prompt(text))
    except (FlagRejected, PromptRejected):
        return
    options = {"clips": typed.clips or 4, "raw": bool(typed.raw), "loop": bool(typed.loop)}
    flags = provider_flags(**options, end_image_url=None)
    sent = provider_prompt(typed.words, flags)
    assert flags_a_pessimist_sees(typed.words) == [], (text, typed.words)
    assert flags_a_pessimist_sees(sent) == flags_a_pessimist_sees(flags)
    assert "::" not in typed.words and not has_link(typed.words)
    assert clean_prompt(typed.words) == typed.words  # the words are already folded and clean


pieces = st.one_of(st.sampled_from(DASHES), st.sampled_from(NAMES), st.sampled_from(SEPARATORS))


@settings(max_examples=400, deadline=None)
@given(st.lists(pieces, max_size=12).map("".join))
def test_no_mix_of_dashes_names_and_separators_reaches_the_provider_as_a_flag(text):
    assert_nothing_reaches_the_provider_as_a_flag(text)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(SEPARATORS),
    st.lists(st.sampled_from(DASHES), min_size=1, max_size=3).map("".join),
    st.sampled_from(NAMES),
    st.sampled_from(SEPARATORS),
)
def test_a_flag_name_behind_any_dashes_never_reaches_the_provider_as_a_flag(before, dashes, name, after):
    assert_nothing_reaches_the_provider_as_a_flag(f"a cat{before}{dashes}{name}{after} sleeping")


@pytest.mark.parametrize("dash", READ_AS_DASHES, ids=lambda c: f"U+{ord(c):04X}")
def test_any_dash_doubled_spells_a_flag_and_any_long_one_opens_one(dash):
    with pytest.raises(FlagRejected) as doubled:
        parse_prompt(clean_prompt(f"a cat {dash}{dash}fast"))
    assert doubled.value.params == {"flag": "--fast"}
    if dash in LONG_DASHES:
        with pytest.raises(FlagRejected) as single:
            parse_prompt(clean_prompt(f"a cat {dash}fast"))
        assert single.value.params == {"flag": "--fast"}
