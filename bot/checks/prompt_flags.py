"""Midjourney video flags: read the ones a member typed, and build the ones the bot sends. Pure.

Midjourney video knows ``--motion low|high``, ``--raw``, ``--loop``, ``--end <image>`` and ``--bs 1|2|4``
(shared/reference/cometapi.md §3.1, §6). A member's prompt may carry the first four kinds in words;
they become options (``TypedOptions``). Anything else that looks like a flag, any link (with a scheme
or without, ``bot.checks.prompt_links``), ``--end`` (its image would skip the image checks) and multi-prompt
weights (``::``, whose ``::-0.5`` acts like ``--no``) are refused with ``FlagRejected`` naming what to
remove. The prompt is folded first (``bot.checks.prompt_unicode``: NFKC, every dash and minus to ``-``), so a
flag in Unicode disguise is read like the ASCII one. The words left are folded text with no ``--`` and
no ``::``, so nothing typed reaches the provider as a flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from bot.checks.prompt_links import has_link
from bot.checks.prompt_unicode import normalize_prompt
from bot.models import CLIP_CHOICES, Motion

# "--" anywhere in the folded prompt, also glued to a word ("cat--raw"); a long dash that opened a
# flag was folded into "--" already ("—raw", "cat—raw").
_FLAG = re.compile(r"-{2,}(?P<name>[^\s-]*)")
_WEIGHTS = "::"
_UNSAFE = re.compile(r"[^\w.:=]|_")  # keeps what can name a flag, drops markup and mention characters
_VALUE_FLAGS = frozenset({"motion", "bs"})
_SWITCH_FLAGS = frozenset({"raw", "loop"})
T = TypeVar("T")


class FlagRejected(Exception):  # noqa: N818 - an expected outcome of member input
    """A typed flag or URL the bot will not take; ``key``/``params`` explain what to fix."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, object] = params


@dataclass(frozen=True, slots=True)
class TypedOptions:
    """What the prompt said: its words without flags, and each option a flag set (None: not typed)."""

    words: str
    motion: Motion | None = None
    clips: int | None = None
    raw: bool | None = None
    loop: bool | None = None


def parse_prompt(text: str) -> TypedOptions:
    """Split a prompt, folded first, into words and typed options, or raise ``FlagRejected``."""
    text = normalize_prompt(text)
    if has_link(text):
        raise FlagRejected("prompt.url_refused")
    if _WEIGHTS in text:
        raise FlagRejected("prompt.flag_unsupported", flag=_WEIGHTS)
    found: dict[str, object] = {}
    words: list[str] = []
    position = skip_until = 0
    for match in _FLAG.finditer(text):
        if match.start() < skip_until:
            continue
        words.append(text[position : match.start()])
        name = match.group("name").casefold()
        value, position = _flag_value(name, text, match.end())
        _record(found, name, value)
        skip_until = position
    words.append(text[position:])
    remaining = " ".join(" ".join(words).split())
    return _typed(remaining, found)


def _flag_value(name: str, text: str, end: int) -> tuple[str | None, int]:
    """Return the value after a value flag and where the words resume."""
    if name not in _VALUE_FLAGS:
        return None, end
    value = re.match(r"\s*(\S*)", text[end:])
    token = value.group(1) if value else ""
    if not token or _FLAG.match(token):
        raise FlagRejected("prompt.flag_needs_value", flag=f"--{name}")
    return token.casefold(), end + (value.end() if value else 0)


def _record(found: dict[str, object], name: str, value: str | None) -> None:
    if name == "end":
        raise FlagRejected("prompt.flag_end")
    if name not in _VALUE_FLAGS and name not in _SWITCH_FLAGS:
        raise FlagRejected("prompt.flag_unsupported", flag=f"--{shown(name)}")
    parsed = _parse_value(name, value)
    if name in found and found[name] != parsed:
        raise FlagRejected("prompt.flag_repeated", flag=f"--{name}")
    found[name] = parsed


def _parse_value(name: str, value: str | None) -> object:
    if name == "motion":
        try:
            return Motion(value or "")
        except ValueError:
            params = {"flag": "--motion", "value": shown(value or ""), "allowed": "low, high"}
            raise FlagRejected("prompt.flag_bad_value", **params) from None
    if name == "bs":
        if value is None or not value.isascii() or not value.isdecimal() or int(value) not in CLIP_CHOICES:
            params = {"flag": "--bs", "value": shown(value or ""), "allowed": "1, 2, 4"}
            raise FlagRejected("prompt.flag_bad_value", **params)
        return int(value)
    return True


def shown(typed: str) -> str:
    """Return typed text safe to quote in a message: letters, digits and ``.:=_`` only, at most 30."""
    return _UNSAFE.sub("", typed)[:30]


def _typed(words: str, found: dict[str, object]) -> TypedOptions:
    motion, clips = found.get("motion"), found.get("bs")
    return TypedOptions(
        words=words,
        motion=motion if isinstance(motion, Motion) else None,
        clips=clips if isinstance(clips, int) else None,
        raw=True if "raw" in found else None,
        loop=True if "loop" in found else None,
    )


def merge_option(chosen: T | None, typed: T | None, option: str) -> T | None:
    """Return the chosen option, else the typed one; refuse when both are given and differ."""
    if chosen is not None and typed is not None and chosen != typed:
        raise FlagRejected("prompt.flag_conflict", option=option, chosen=str(chosen), typed=str(typed))
    return chosen if chosen is not None else typed


def provider_words(words: str) -> str:
    """Return stored words as the provider gets them: folded and checked again, or ``FlagRejected``.

    The intake stored words that parse to themselves; this guards the last step (a prompt stored by an
    older version, a path that skipped the intake) so no flag or link is ever sent as words.
    """
    typed = parse_prompt(words)
    if typed != TypedOptions(typed.words):
        raise FlagRejected("prompt.flag_unsupported", flag="--")
    return typed.words


def provider_flags(*, clips: int, raw: bool, loop: bool, end_image_url: str | None) -> str:
    """Return the flags the bot appends to the prompt, in the upstream order.

    The upstream builds ``<image> <prompt> --video 1 [--end …] --motion <m> [--bs N]`` and adds
    ``--video 1`` and ``--motion`` itself from the request's ``motion`` field (cometapi.md §3.1), so
    sending them in the prompt too would repeat them. ``--bs 4`` is the upstream default, never sent.
    """
    flags: list[str] = []
    if end_image_url:
        flags.append(f"--end {end_image_url}")
    if clips != max(CLIP_CHOICES):
        flags.append(f"--bs {clips}")
    if raw:
        flags.append("--raw")
    if loop:
        flags.append("--loop")
    return " ".join(flags)


def provider_prompt(words: str, flags: str) -> str:
    """Return the member's words followed by the bot's flags."""
    return f"{words} {flags}".strip() if flags else words
