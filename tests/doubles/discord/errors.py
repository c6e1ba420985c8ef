"""Discord's JSON error bodies and the exception the double's handlers raise to produce them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FormPath = Sequence[str | int]


class DiscordAPIError(Exception):
    """An HTTP error answered exactly as Discord does: ``{"message": ..., "code": ...}``."""

    def __init__(self, status: int, code: int, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends with this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class FormErrors:
    """Collects field errors and raises them as one 400 Invalid Form Body (code 50035)."""

    def __init__(self, prefix: FormPath = ()) -> None:
        self._prefix = tuple(prefix)
        self._tree: dict[str, Any] = {}

    def add(self, path: FormPath, code: str, message: str) -> None:
        """Record an error at ``path`` (e.g. ``("components", 0, "custom_id")``)."""
        node = self._tree
        for part in (*self._prefix, *path):
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: FormPath, value: str | None, limit: int) -> None:
        """Record BASE_TYPE_MAX_LENGTH if ``value`` is longer than ``limit``."""
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_length(self, path: FormPath, value: str | None, low: int, high: int) -> None:
        """Record BASE_TYPE_BAD_LENGTH unless ``low <= len(value) <= high``."""
        if value is None or not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: FormPath) -> None:
        """Record BASE_TYPE_REQUIRED at ``path``."""
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    @property
    def empty(self) -> bool:
        """Whether no error was recorded."""
        return not self._tree

    @property
    def tree(self) -> dict[str, Any]:
        """The errors recorded so far, as Discord's ``errors`` object."""
        return self._tree

    def raise_if_any(self) -> None:
        """Raise the collected errors as a 400/50035 :class:`DiscordAPIError`."""
        if self._tree:
            raise DiscordAPIError(400, 50035, "Invalid Form Body", errors=self._tree)


def unknown_message() -> DiscordAPIError:
    """404 Unknown Message (10008)."""
    return DiscordAPIError(404, 10008, "Unknown Message")


def unknown_channel() -> DiscordAPIError:
    """404 Unknown Channel (10003)."""
    return DiscordAPIError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordAPIError:
    """404 Unknown Guild (10004)."""
    return DiscordAPIError(404, 10004, "Unknown Guild")


def unknown_member() -> DiscordAPIError:
    """404 Unknown Member (10007)."""
    return DiscordAPIError(404, 10007, "Unknown Member")


def unknown_user() -> DiscordAPIError:
    """404 Unknown User (10013)."""
    return DiscordAPIError(404, 10013, "Unknown User")


def unknown_webhook() -> DiscordAPIError:
    """404 Unknown Webhook (10015)."""
    return DiscordAPIError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> DiscordAPIError:
    """404 Unknown interaction (10062): unknown, or answered after the 3 second deadline."""
    return DiscordAPIError(404, 10062, "Unknown interaction")


def already_acknowledged() -> DiscordAPIError:
    """400 Interaction has already been acknowledged (40060)."""
    return DiscordAPIError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> DiscordAPIError:
    """401 Invalid Webhook Token (50027): the 15-minute interaction token has expired."""
    return DiscordAPIError(401, 50027, "Invalid Webhook Token")


def missing_permissions() -> DiscordAPIError:
    """403 Missing Permissions (50013)."""
    return DiscordAPIError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordAPIError:
    """403 Missing Access (50001)."""
    return DiscordAPIError(403, 50001, "Missing Access")


def entity_too_large() -> DiscordAPIError:
    """413 Request entity too large (40005)."""
    return DiscordAPIError(413, 40005, "Request entity too large")


def empty_message() -> DiscordAPIError:
    """400 Cannot send an empty message (50006)."""
    return DiscordAPIError(400, 50006, "Cannot send an empty message")


def unauthorized() -> DiscordAPIError:
    """401 Unauthorized (code 0): a missing or wrong bot token."""
    return DiscordAPIError(401, 0, "401: Unauthorized")


def too_many_followups() -> DiscordAPIError:
    """400 (40094): an app installed only to the user made its 5 follow-ups (opcodes-and-status-codes.mdx)."""
    return DiscordAPIError(400, 40094, "This interaction has hit the maximum number of follow up messages")
