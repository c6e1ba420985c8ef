"""Interactions the driver created, and what the bot answered to them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Channel, Message, MessageFlag, User
from .notify import ChangeNotifier

if TYPE_CHECKING:
    from .gateway import GatewayEvent


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (``files[n]``)."""

    index: int
    filename: str
    data: bytes
    content_type: str

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class CallbackRecord:
    """One ``POST /interactions/{id}/{token}/callback`` attempt and how the double answered it."""

    type: int | None
    payload: dict[str, Any]
    files: list[UploadedFile]
    status: int
    code: int | None
    latency: float

    @property
    def accepted(self) -> bool:
        """Whether the double accepted this response (HTTP 200)."""
        return self.status == 200

    @property
    def data(self) -> dict[str, Any]:
        """The callback's ``data`` object (empty for types 5/6 without data)."""
        return dict(self.payload.get("data") or {})


@dataclass
class InteractionHandle:
    """An INTERACTION_CREATE the driver sent; tests await what the bot did with it."""

    id: int
    token: str
    type: int
    user: User
    channel: Channel
    payload: dict[str, Any]
    created_at: datetime.datetime
    attachment_size_limit: int
    source_message: Message | None = None
    event: GatewayEvent | None = None
    response: CallbackRecord | None = None
    attempts: list[CallbackRecord] = field(default_factory=list)
    original_message_id: int | None = None
    awaiting_deferred_followup: bool = False
    responding: bool = False
    followup_ids: list[int] = field(default_factory=list)
    user_install_only: bool = False  # authorized by the user's install alone (no bot in that place)
    modal: dict[str, Any] | None = None
    _notifier: ChangeNotifier = field(default_factory=ChangeNotifier, repr=False)

    @property
    def dispatched_at(self) -> float | None:
        """Event-loop time at which INTERACTION_CREATE went out on the wire (None while buffered)."""
        return self.event.sent_at if self.event is not None else None

    @property
    def data(self) -> dict[str, Any]:
        """The interaction's ``data`` object as dispatched."""
        return dict(self.payload.get("data") or {})

    @property
    def acknowledged(self) -> bool:
        """Whether an initial response was accepted."""
        return self.response is not None

    @property
    def original_message(self) -> Message | None:
        """The message the initial response created or targets (``@original``)."""
        if self.original_message_id is None:
            return None
        return self.channel.messages.get(self.original_message_id)

    @property
    def ephemeral(self) -> bool:
        """Whether the original response is ephemeral."""
        message = self.original_message
        return message is not None and bool(message.flags & MessageFlag.EPHEMERAL)

    @property
    def followups(self) -> list[Message]:
        """Follow-up messages that were created as new messages, in order."""
        return [self.channel.messages[i] for i in self.followup_ids]

    def record_attempt(self, record: CallbackRecord) -> None:
        """Store a callback attempt; the first accepted one becomes ``response``."""
        self.attempts.append(record)
        if record.accepted and self.response is None:
            self.response = record
            self.responding = False
        self._notifier.notify()

    def changed(self) -> None:
        """Wake waiters after the original message or follow-ups changed."""
        self._notifier.notify()

    async def wait_response(self, timeout: float = 5.0) -> CallbackRecord:
        """Wait for the bot's first callback attempt (accepted or refused) and return it."""
        return await self._notifier.wait_for(
            lambda: self.attempts[0] if self.attempts else None, timeout, f"a response to {self.id}"
        )

    async def wait_original(
        self, predicate: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait until the original response exists (and satisfies ``predicate``, if given)."""

        def probe() -> Message | None:
            message = self.original_message
            if message is None or (predicate is not None and not predicate(message)):
                return None
            return message

        return await self._notifier.wait_for(probe, timeout, f"the original response of {self.id}")

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Wait until at least ``count`` follow-ups were created as new messages."""
        return await self._notifier.wait_for(
            lambda: self.followups if len(self.followup_ids) >= count else None,
            timeout,
            f"{count} follow-up(s) of {self.id}",
        )
