"""Smaller jobs offered under refusals, kept in this process until taken or stale.

The offer's button carries only a random token (``mb:o:<token>``); the request behind it (image,
options, prompt) stays here, so nothing a member could forge reaches the intake. An offer is taken
once, lives ``OFFER_SECONDS`` (a refusal is private and its interaction lasts 15 minutes anyway), and
the book keeps at most ``CAPACITY`` offers, forgetting the oldest first.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.checks import OfferedRefusal

OFFER_SECONDS = 600.0
CAPACITY = 1000
TOKEN_HEX = 16  # characters of the random token in a custom id


class OfferBook:
    """The open offers of this process, by token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = OFFER_SECONDS) -> None:
        self._clock = clock
        self._ttl = ttl
        self._offers: OrderedDict[str, tuple[float, OfferedRefusal]] = OrderedDict()

    def keep(self, refusal: OfferedRefusal) -> str:
        """File the offer of ``refusal`` and return its token."""
        self._drop_stale()
        token = secrets.token_hex(TOKEN_HEX // 2)
        self._offers[token] = (self._clock() + self._ttl, refusal)
        while len(self._offers) > CAPACITY:
            self._offers.popitem(last=False)
        return token

    def find(self, token: str) -> OfferedRefusal | None:
        """Return the open offer filed under ``token``, or None when it is unknown, taken or stale."""
        self._drop_stale()
        entry = self._offers.get(token)
        return None if entry is None else entry[1]

    def take(self, token: str) -> OfferedRefusal | None:
        """Return the offer and close it, so a second press cannot start it twice."""
        offer = self.find(token)
        self._offers.pop(token, None)
        return offer

    def _drop_stale(self) -> None:
        now = self._clock()
        while self._offers:
            token, (expires, _refusal) = next(iter(self._offers.items()))
            if expires > now:
                return
            del self._offers[token]
