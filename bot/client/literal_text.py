"""Member-written text shown on Discord exactly as typed: no markdown, no links, no mentions.

``discord.utils.escape_markdown`` is not enough for text the bot repeats on its own messages: it
escapes ``* _ ~ ` |`` only when paired, puts one backslash before a masked link (whose URL Discord
still auto-links), leaves bare URLs, headings after the first characters, ``<#channel>`` and
``<@user>`` untouched. ``literal`` escapes every markdown character instead (Discord drops a
backslash before any punctuation, so the text reads the same), and breaks what a backslash cannot:
auto-linked URLs and mentions get a zero-width space.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"
# Characters that start or close Discord markdown: emphasis, code, spoilers, quotes, headings,
# list items and subtext, masked links, and <…> mentions, channels, timestamps and emoji.
MARKDOWN_CHARACTERS = frozenset("\\*_~`|>#-+[]()<")
# One unit of output each: a URL scheme separator, an @ that would mention someone, a "1." that
# would start an ordered list, or one character.
_UNIT = re.compile(r"(?P<scheme>://)|(?P<at>@)(?=[\w!&])|(?P<number>\d+)\.(?=\s)|(?P<char>.)", re.DOTALL)


def literal(text: str, limit: int | None = None) -> str:
    """Return ``text`` ready to show literally in a Discord message or embed.

    With ``limit``, the result (escapes included) has at most ``limit`` characters: the text is
    cut between units, never inside an escape, and ends with an ellipsis when cut.
    """
    units = [_escaped(match) for match in _UNIT.finditer(text)]
    shown = "".join(units)
    if limit is None or len(shown) <= limit:
        return shown
    kept: list[str] = []
    size = len(ELLIPSIS)
    for unit in units:
        if size + len(unit) > limit:
            break
        kept.append(unit)
        size += len(unit)
    return "".join(kept).rstrip() + ELLIPSIS


def _escaped(unit: re.Match[str]) -> str:
    if unit["scheme"]:
        return ":" + ZERO_WIDTH_SPACE + "//"
    if unit["at"]:
        return "@" + ZERO_WIDTH_SPACE
    if unit["number"]:
        return unit["number"] + "\\."
    char = unit["char"]
    return "\\" + char if char in MARKDOWN_CHARACTERS else char
