"""A typed prompt folded to what it means: NFKC, then every dash and minus sign to ASCII ``-``. Pure.

Unicode writes a hyphen-minus many ways (fullwidth ``－``, small ``﹣``, the minus sign ``−``, the hyphen
``‐``, dashes from figure to two-em), and a client or the provider may fold any of them back into
``-``: a flag typed in one of them would slip past a parser that looks for ASCII ``--`` only. So the
prompt is folded first and parsed after, and what the provider gets is the folded text.

- NFKC turns fullwidth, small and other compatibility forms into their plain characters (``－－ｒａｗ``
  reads ``--raw``); letters with diacritics keep their meaning (Vietnamese stays Vietnamese).
- Every dash and minus sign becomes ``-``, one for one, so two of them in a row are ``--``.
- A dash as long as an en dash or longer stands for ``--`` where it opens a flag: at the start of a
  word (Discord clients auto-correct a typed ``--`` into ``—``, and Midjourney reads ``—raw`` as
  ``--raw``), or glued to a word's end before a Midjourney parameter's name (``cat—raw``). Anywhere
  else it is punctuation and becomes one ``-`` (``a cat — sleeping``, ``1990–2000``, ``New York–Paris``).
"""

from __future__ import annotations

import re
import unicodedata

# Minus signs and hyphen-like marks outside the dash punctuation category (Pd). The fullwidth and small
# hyphen-minus and the super/subscript minus are NFKC-folded already; listed so folding alone is enough.
MINUS_SIGNS = frozenset("\u2212\u2796\u02d7\u2043\ufe63\uff0d\u207b\u208b")
# Pd characters that are not dashes to a reader: wave dashes and the katakana double hyphen (゠).
_NOT_DASHES = frozenset("\u301c\u3030\u30a0")
# As long as an en dash or longer: figure dash, en/em dash, horizontal bar, two-/three-em dash,
# double hyphen, and the small and vertical em/en dash forms.
LONG_DASHES = frozenset("\u2012\u2013\u2014\u2015\u2e3a\u2e3b\u2e40\ufe58\ufe31\ufe32")
# Midjourney's parameter names (its documented --parameters, old and new, and the upstream's --bs).
MIDJOURNEY_PARAMETERS = frozenset(
    {
        *("ar", "aspect", "batch", "batchsize", "bs", "c", "chaos", "cref", "cw", "draft", "end", "exp"),
        *("fast", "hd", "iw", "loop", "motion", "niji", "no", "oref", "ow", "p", "personalize", "profile"),
        *("public", "q", "quality", "r", "raw", "relax", "repeat", "s", "sameseed", "seed", "sref"),
        *("stealth", "stop", "style", "stylize", "sv", "sw", "test", "testp", "tile", "turbo", "upbeta"),
        *("uplight", "v", "version", "video", "w", "weird"),
    }
)
_LEADING_LETTERS = re.compile(r"[^\W\d_]*")


def is_dash(char: str) -> bool:
    """Return True for every character the prompt folds into ``-``."""
    if char in _NOT_DASHES:
        return False
    return char == "-" or char in MINUS_SIGNS or unicodedata.category(char) == "Pd"


def normalize_prompt(text: str) -> str:
    """Return ``text`` folded: NFKC, then each dash and minus sign as ASCII (idempotent)."""
    folded = unicodedata.normalize("NFKC", text)
    parts: list[str] = []
    start = 0
    while start < len(folded):
        end = start
        while end < len(folded) and is_dash(folded[end]):
            end += 1
        if end == start:
            parts.append(folded[start])
            start += 1
            continue
        parts.append(_fold_run(folded, start, end))
        start = end
    return "".join(parts)


def _fold_run(text: str, start: int, end: int) -> str:
    """Return the ASCII for the dashes ``text[start:end]`` in their place in ``text``."""
    run = text[start:end]
    if not all(char in LONG_DASHES for char in run):
        return "-" * len(run)
    return "--" if _opens_flag(text, start, end) else "-"


def _opens_flag(text: str, start: int, end: int) -> bool:
    """Return True where long dashes stand for ``--``: a word's start, or glued before a parameter."""
    after = text[end:]
    if not after or after[0].isspace():
        return False
    if start == 0 or text[start - 1].isspace():
        return True
    name = _LEADING_LETTERS.match(after)
    return name is not None and name.group().casefold() in MIDJOURNEY_PARAMETERS
