"""Links in a (folded) prompt: with a scheme, ``www.``, a ``data:`` URI, or scheme-less. Pure.

Midjourney reads a link in a prompt as an image prompt, fetched from wherever it points, so a link
is refused however it is written. Scheme-less links are words like ``cdn.example.com/x.png``: a host
name ending in a real top-level domain (``bot/checks/tlds.txt``), or an IPv4 address, followed by a path.
A bare name without a path (``node.js``, ``3.5 seconds``, ``cat.png``) is left alone.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_TLD_FILE = Path(__file__).with_name("tlds.txt")
_WITH_SCHEME = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\bdata:[a-z]+/\S*")
# Labels of letters, digits and inner hyphens, dot-separated (the ideographic full stops count:
# URL parsers read them as dots), then the last label, an optional port, and the path's slash.
_HOST_WITH_PATH = re.compile(
    r"(?<![\w.\-\u3002\uff61])(?:[^\W_](?:[\w-]*[^\W_])?[.\u3002\uff61])+"
    r"(?P<tld>[^\W_](?:[\w-]*[^\W_])?)(?::\d{1,5})?/"
)
_IPV4_WITH_PATH = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?/")


@cache
def top_level_domains() -> frozenset[str]:
    """Return the known top-level domains, lower case (read once from ``bot/checks/tlds.txt``)."""
    lines = _TLD_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


def has_link(text: str) -> bool:
    """Return True if ``text`` (folded: NFKC, ASCII dashes) carries a link in any form."""
    if _WITH_SCHEME.search(text) or _IPV4_WITH_PATH.search(text):
        return True
    tlds = top_level_domains()
    return any(match.group("tld").casefold() in tlds for match in _HOST_WITH_PATH.finditer(text))
