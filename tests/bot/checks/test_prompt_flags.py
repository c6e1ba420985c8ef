"""The prompt flag parser and the flags the bot builds: a table of tricky prompts."""

from __future__ import annotations

import pytest

from bot.checks.prompt_flags import FlagRejected, TypedOptions, merge_option, parse_prompt, provider_flags
from bot.models import Motion

ACCEPTED = [
    ("a cat walking", TypedOptions("a cat walking")),
    ("a cat --raw", TypedOptions("a cat", raw=True)),
    ("a cat --RAW --Loop", TypedOptions("a cat", raw=True, loop=True)),
    ("cat--loop walking", TypedOptions("cat walking", loop=True)),
    ("--bs 2 dog", TypedOptions("dog", clips=2)),
    ("dog --BS 1", TypedOptions("dog", clips=1)),
    ("a --motion HIGH b", TypedOptions("a b", motion=Motion.HIGH)),
    ("x —raw", TypedOptions("x", raw=True)),  # an em dash: Discord's auto-corrected "--"
    ("–loop y", TypedOptions("y", loop=True)),  # an en dash
    ("—motion high sea", TypedOptions("sea", motion=Motion.HIGH)),
    ("---raw", TypedOptions("", raw=True)),
    ("x --raw --raw", TypedOptions("x", raw=True)),  # repeated, same meaning
    ("--motion low a --motion low", TypedOptions("a", motion=Motion.LOW)),
    ("a cat — sleeping", TypedOptions("a cat - sleeping")),  # a lone dash is punctuation, folded
    ("well-known x-ray", TypedOptions("well-known x-ray")),
    ("cat: 2 dog", TypedOptions("cat: 2 dog")),
    ("cat --bs ２", TypedOptions("cat", clips=2)),  # a fullwidth two is folded (NFKC) into 2
]


@pytest.mark.parametrize(("prompt", "expected"), ACCEPTED)
def test_accepted_prompts(prompt: str, expected: TypedOptions) -> None:
    """Known flags become options; the words left carry no "--" at all."""
    typed = parse_prompt(prompt)
    assert typed == expected
    assert "--" not in typed.words


REFUSED = [
    ("--", "prompt.flag_unsupported", "--"),
    ("a -- b", "prompt.flag_unsupported", "--"),
    ("https://evil.example/x.png a cat", "prompt.url_refused", None),
    ("a cat at www.example.com", "prompt.url_refused", None),
    ("see HTTP://X.Y", "prompt.url_refused", None),
    ("--end foo", "prompt.flag_end", None),
    ("cat —end loop", "prompt.flag_end", None),
    ("cat --video 1", "prompt.flag_unsupported", "--video"),
    ("cat --fast", "prompt.flag_unsupported", "--fast"),
    ("cat —relax", "prompt.flag_unsupported", "--relax"),
    ("cat --turbo", "prompt.flag_unsupported", "--turbo"),
    ("cat --ar 16:9", "prompt.flag_unsupported", "--ar"),
    ("cat --v 7", "prompt.flag_unsupported", "--v"),
    ("cat --seed 5", "prompt.flag_unsupported", "--seed"),
    ("cat --batch 2", "prompt.flag_unsupported", "--batch"),
    ("cat --batchsize 2", "prompt.flag_unsupported", "--batchsize"),
    ("cat --motion=high", "prompt.flag_unsupported", "--motion=high"),
    ("cat --motion", "prompt.flag_needs_value", "--motion"),
    ("cat --bs --raw", "prompt.flag_needs_value", "--bs"),
    ("cat --motion medium", "prompt.flag_bad_value", "--motion"),
    ("cat --bs 3", "prompt.flag_bad_value", "--bs"),
    ("cat --bs ٢", "prompt.flag_bad_value", "--bs"),  # an Arabic-Indic two: a digit, not ASCII
    ("--motion low --motion high", "prompt.flag_repeated", "--motion"),
    ("--bs 1 x --bs 2", "prompt.flag_repeated", "--bs"),
    ("cat:: 2 dog", "prompt.flag_unsupported", "::"),  # a multi-prompt weight
]


@pytest.mark.parametrize(("prompt", "key", "flag"), REFUSED)
def test_refused_prompts(prompt: str, key: str, flag: str | None) -> None:
    """Unknown and unsafe flags and every URL are refused, naming what to remove."""
    with pytest.raises(FlagRejected) as caught:
        parse_prompt(prompt)
    assert caught.value.key == key
    if flag is not None:
        assert caught.value.params.get("flag") == flag


def test_merge_option_takes_the_typed_value_only_when_none_was_chosen() -> None:
    """A chosen option wins over nothing typed, a typed one fills a gap, a disagreement is refused."""
    assert merge_option(Motion.LOW, None, "motion") is Motion.LOW
    assert merge_option(None, Motion.HIGH, "motion") is Motion.HIGH
    assert merge_option(2, 2, "clips") == 2
    with pytest.raises(FlagRejected) as caught:
        merge_option(Motion.LOW, Motion.HIGH, "motion")
    assert caught.value.key == "prompt.flag_conflict"
    assert caught.value.params == {"option": "motion", "chosen": "low", "typed": "high"}


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({"clips": 4, "raw": False, "loop": False, "end_image_url": None}, ""),
        ({"clips": 1, "raw": False, "loop": False, "end_image_url": None}, "--bs 1"),
        ({"clips": 2, "raw": True, "loop": True, "end_image_url": None}, "--bs 2 --raw --loop"),
        (
            {"clips": 4, "raw": True, "loop": False, "end_image_url": "https://cdn/x.png"},
            "--end https://cdn/x.png --raw",
        ),
    ],
)
def test_provider_flags_in_upstream_order(options: dict[str, object], flags: str) -> None:
    """--end first, then --bs (never the default 4), --raw, --loop; the upstream adds --video and --motion."""
    assert provider_flags(**options) == flags  # type: ignore[arg-type]
