"""The video provider, CometAPI: its client, typed requests and errors, its state, a rejected key.

``CometAPIClient`` turns every answer into a typed result or one exception of ``cometapi_types``;
``ProviderState`` is the provider's condition as the tracker sees it (normal, busy, unreachable) and
the busy back-off; ``key_alert`` names the fix for a rejected key and remembers that the operator
was told. May import: the shared vocabulary (``bot.models``, ``bot.settings``) only.
"""

from bot.provider.cometapi import CometAPIClient, classify_response
from bot.provider.cometapi_types import (
    AuthenticationError,
    CometAPIError,
    ExtendTaskRequest,
    InvalidRequestError,
    ModerationError,
    NoInstanceError,
    ProviderBusyError,
    ProviderUnavailableError,
    RequestRefusedError,
    SubmitResult,
    TaskNotFoundError,
    TaskSnapshot,
    TaskState,
    VideoRequest,
)
from bot.provider.key_alert import KeyAlertMemory, rejected_key_fix, rejected_key_problem
from bot.provider.state import ProviderCondition, ProviderState, busy_delay

__all__ = [
    "AuthenticationError",
    "CometAPIClient",
    "CometAPIError",
    "ExtendTaskRequest",
    "InvalidRequestError",
    "KeyAlertMemory",
    "ModerationError",
    "NoInstanceError",
    "ProviderBusyError",
    "ProviderCondition",
    "ProviderState",
    "ProviderUnavailableError",
    "RequestRefusedError",
    "SubmitResult",
    "TaskNotFoundError",
    "TaskSnapshot",
    "TaskState",
    "VideoRequest",
    "busy_delay",
    "classify_response",
    "rejected_key_fix",
    "rejected_key_problem",
]
