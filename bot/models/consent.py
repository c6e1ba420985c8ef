"""Consent to animate an image another member posted (issue 22): the server's rule and one request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.models.job import JobSource


class ConsentMode(StrEnum):
    """Who may animate an image someone else posted (a server setting; moderators are exempt)."""

    ANYONE = "anyone"
    ASK = "ask"  # the poster allows or denies each request first
    POSTER_ONLY = "poster_only"


class ConsentStatus(StrEnum):
    """Where a request to animate someone else's image stands."""

    PENDING = "pending"
    ALLOWED = "allowed"
    DENIED = "denied"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A member's request to animate another member's image, waiting for (or given) the poster's answer.

    Nothing is admitted, reserved or sent before ``ALLOWED``; the job is then started from these fields.
    """

    id: int
    guild_id: int
    channel_id: int
    source_message_id: int
    poster_id: int
    requester_id: int
    source: JobSource
    locale: str
    status: ConsentStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    prompt_message_id: int | None = None
