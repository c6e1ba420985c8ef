"""Whether animating an image needs its poster's consent (issue 22), without Discord.

A server chooses who may animate an image someone else posted (``GuildSettings.consent``): anyone
(the default), only after the poster allows it (``ask``), or only the poster. A member's own image, and
every image for a moderator (Manage Messages in the channel), never needs consent. An image a bot or a
webhook posted has nobody to ask: where consent matters, only a moderator may animate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.checks import Refusal
from bot.models import ConsentMode, GuildSettings


class Consent(StrEnum):
    """What the poster's consent means for one request."""

    NOT_NEEDED = "not_needed"
    ASK = "ask"


@dataclass(frozen=True, slots=True)
class ImageOwner:
    """Who posted the image a member wants to animate (``bot``: a bot or webhook, nobody to ask)."""

    poster_id: int
    bot: bool = False


def consent_needed(
    settings: GuildSettings | None, requester_id: int, owner: ImageOwner, *, moderator: bool
) -> Consent:
    """Return whether the poster must be asked first; raise ``Refusal`` where the server forbids it."""
    mode = ConsentMode.ANYONE if settings is None else settings.consent
    if mode is ConsentMode.ANYONE or moderator or owner.poster_id == requester_id:
        return Consent.NOT_NEEDED
    if owner.bot:
        raise Refusal("consent.no_poster_to_ask")
    if mode is ConsentMode.POSTER_ONLY:
        raise Refusal("consent.poster_only")
    return Consent.ASK
