"""The notes a delivered card's footer carries about its clips (pure, no Discord).

Each note is a catalogue key with its parameters: a clip linked instead of attached
(``bot.media.delivery.LinkedClip``), a clip attached as a smaller re-encode, a clip left out because it is
not a video, and that links expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

MIB = 1024 * 1024


class Note(Protocol):
    """A line of the delivered card's footer: a catalogue key and its parameters."""

    @property
    def key(self) -> str:
        """Return the catalogue key."""
        ...

    @property
    def params(self) -> Mapping[str, object]:
        """Return the message parameters."""
        ...


@dataclass(frozen=True, slots=True)
class FixedNote:
    """A footer line that needs no clip: ``key`` with ``params``."""

    key: str
    params: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ReducedClip:
    """A clip attached as a smaller re-encode; its original stays behind the "Clip N file" button.

    ``index`` counts from 0; ``original_size`` and ``limit`` are in bytes.
    """

    index: int
    original_size: int
    limit: int
    key = "delivery.reduced"

    @property
    def params(self) -> dict[str, object]:
        """Return the message parameters (1-based clip number, sizes in MiB)."""
        return {
            "clip": self.index + 1,
            "size_mb": round(self.original_size / MIB, 1),
            "limit_mb": round(self.limit / MIB, 1),
        }


@dataclass(frozen=True, slots=True)
class LeftOutClip:
    """A clip left out of the card: its URL served something else than a video (``index`` from 0)."""

    index: int
    key = "delivery.not_video"

    @property
    def params(self) -> dict[str, object]:
        """Return the message parameters (the 1-based clip number)."""
        return {"clip": self.index + 1}


LINKS_EXPIRE = FixedNote("delivery.links_expire", {})
