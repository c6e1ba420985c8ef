"""Requests to animate another member's image, waiting for the poster's answer (issue 22, consent).

A request is decided once (allowed, denied or expired), so a second press, or a press racing the
timeout sweep, finds nothing left to decide. A new request is not opened while one of the same
requester waits for the same poster (each one pings the poster), nor once the poster denied that
requester this image: the answer stands.
"""

from __future__ import annotations

import datetime as dt

from bot.models import ConsentRequest, ConsentStatus, JobSource
from bot.store.core import StoreCore
from bot.store.engine import Tx
from bot.store.rows import Row, decode_optional_time, decode_time, utc


class ConsentRequests(StoreCore):
    """``JobStore``'s requests for consent: opened, given their prompt, decided, found when due."""

    async def open_consent(
        self,
        request: ConsentRequest,
    ) -> tuple[ConsentRequest, bool]:
        """Store ``request`` (its id and status ignored) unless an earlier one stops it.

        Returns the stored request and True when it is new; else the one that stops it and False: a
        request of this requester still waiting for this poster (about this image or another), or
        the poster's Deny of this image to this requester.
        """

        async def work(tx: Tx) -> tuple[ConsentRequest, bool]:
            now = utc(self._now())
            params = (request.requester_id, request.source_message_id, now, request.poster_id)
            blocking = await tx.rows(tx.sql.SELECT_BLOCKING_CONSENT, params)
            if blocking:
                return consent_from_row(blocking[0]), False
            rows = await tx.rows(tx.sql.INSERT_CONSENT, consent_params(request, now))
            return consent_from_row(rows[0]), True

        return await self._db.write(work)

    async def get_consent(self, consent_id: int) -> ConsentRequest | None:
        """Return the request with this id, or None."""

        async def work(tx: Tx) -> ConsentRequest | None:
            rows = await tx.rows(tx.sql.SELECT_CONSENT, (consent_id,))
            return consent_from_row(rows[0]) if rows else None

        return await self._db.read(work)

    async def set_consent_prompt(self, consent_id: int, message_id: int) -> None:
        """Remember the message that asks the poster (edited once the request is decided)."""
        await self._db.write(lambda tx: tx.execute(tx.sql.SET_CONSENT_PROMPT, (message_id, consent_id)))

    async def decide_consent(self, consent_id: int, status: ConsentStatus) -> ConsentRequest | None:
        """Decide a waiting request; None when it was decided already (or never existed)."""

        async def work(tx: Tx) -> ConsentRequest | None:
            params = (status.value, utc(self._now()), consent_id)
            rows = await tx.rows(tx.sql.DECIDE_CONSENT, params)
            return consent_from_row(rows[0]) if rows else None

        return await self._db.write(work)

    async def due_consents(self) -> list[ConsentRequest]:
        """Return the requests still waiting past their expiry."""

        async def work(tx: Tx) -> list[ConsentRequest]:
            rows = await tx.rows(tx.sql.DUE_CONSENTS, (utc(self._now()),))
            return [consent_from_row(row) for row in rows]

        return await self._db.read(work)

    async def next_consent_expiry(self) -> dt.datetime | None:
        """Return when the next waiting request expires, or None when none waits."""

        async def work(tx: Tx) -> dt.datetime | None:
            rows = await tx.rows(tx.sql.NEXT_CONSENT_EXPIRY)
            return decode_optional_time(rows[0][0]) if rows else None

        return await self._db.read(work)


def consent_params(request: ConsentRequest, now: dt.datetime) -> tuple[object, ...]:
    """Return the parameters of ``INSERT_CONSENT`` for ``request`` opened at ``now``."""
    return (
        request.guild_id,
        request.channel_id,
        request.source_message_id,
        request.poster_id,
        request.requester_id,
        request.source.value,
        request.locale,
        now,
        utc(request.expires_at),
    )


def consent_from_row(row: Row) -> ConsentRequest:
    """Return the ``ConsentRequest`` of a ``consent_requests`` row."""
    return ConsentRequest(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        source_message_id=row["source_message_id"],
        poster_id=row["poster_id"],
        requester_id=row["requester_id"],
        source=JobSource(row["source"]),
        locale=row["locale"],
        status=ConsentStatus(row["status"]),
        created_at=decode_time(row["created_at"]),
        expires_at=decode_time(row["expires_at"]),
        prompt_message_id=row["prompt_message_id"],
    )


def consent_copy_params(row: Row) -> tuple[object, ...]:
    """Return the PostgreSQL ``COPY_CONSENT`` parameters of an SQLite ``consent_requests`` row."""
    request = consent_from_row(row)
    decided = decode_optional_time(row["decided_at"])
    return (
        request.id,
        *consent_params(request, request.created_at),
        request.status.value,
        decided,
        request.prompt_message_id,
    )
