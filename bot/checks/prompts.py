"""Prompt cleaning: folded (NFKC, ASCII dashes), control characters out, whitespace collapsed, length capped.

Nothing here knows about Discord. ``PromptRejected`` carries a reason and parameters for a localized
"what to fix" message, like ``bot.checks.images.ImageRejected``.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from bot.checks.prompt_unicode import normalize_prompt
from bot.models import MAX_PROMPT_LENGTH

# Cc: C0/C1 controls; Cf: format characters (zero-width spaces and joiners, bidi overrides and
# isolates, soft hyphen, byte order mark); Cs: lone surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


class PromptRejectReason(StrEnum):
    """Why a prompt was refused; the value is the tail of its catalogue key (``prompt.<value>``)."""

    TOO_LONG = "too_long"


class PromptRejected(Exception):  # noqa: N818 (name fixed by the module contract)
    """A prompt the bot will not send, with what the user needs to know to fix it."""

    def __init__(self, reason: PromptRejectReason, **params: object) -> None:
        super().__init__(f"prompt rejected: {reason}")
        self.reason = reason
        self.params: dict[str, object] = params

    @property
    def key(self) -> str:
        """Return the catalogue key of the message that explains this refusal."""
        return f"prompt.{self.reason}"


def clean_prompt(text: str | None, *, max_length: int = MAX_PROMPT_LENGTH) -> str:
    """Return the prompt folded, with control characters removed and whitespace collapsed.

    Folding (``bot.checks.prompt_unicode``) is NFKC, then every dash and minus sign as ASCII, so what is
    checked and stored is what the provider gets. Line breaks and tabs count as spaces. A prompt that
    is empty after cleaning comes back as "" (the caller decides whether that is fine). Raises
    ``PromptRejected`` when longer than ``max_length`` characters after cleaning.
    """
    if not text:
        return ""
    compatible = unicodedata.normalize("NFKC", text)
    kept = "".join(_visible_or_space(char) for char in compatible)
    # Folded after the invisible characters are gone, so "-\u200b-raw" reads "--raw".
    cleaned = normalize_prompt(" ".join(kept.split()))
    if len(cleaned) > max_length:
        raise PromptRejected(PromptRejectReason.TOO_LONG, length=len(cleaned), limit=max_length)
    return cleaned


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _visible_or_space(char: str) -> str:
    if char.isspace():
        return " "
    if unicodedata.category(char) in _DROPPED_CATEGORIES:
        return ""
    return char
