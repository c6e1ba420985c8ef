"""Async client for CometAPI's Midjourney video endpoints.

Every outcome becomes a typed result or one of the exceptions in ``bot.provider.cometapi_types``. Busy and
transient failures are retried with exponential backoff and jitter (tenacity), honouring
``Retry-After``; authentication failures and refusals are never retried.
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

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
    VideoRequest,
    parse_retry_after,
    parse_task,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
OnRequest = Callable[[str, float, str], None]
"""Called after every HTTP attempt with (endpoint kind, seconds, outcome)."""

ACCEPTED_CODES = frozenset({1, 21, 22})
BUSY_CODES = frozenset({23, 30})
# Code 3 "无可用的账号实例" (trueai TaskService.SubmitVideo; new-api RelayMidjourneySubmit: "No available
# account instance") is capacity; the upstream's other code 3, a gone extend parent, is a refusal.
NO_INSTANCE_CODE = 3
_MISSING_TASK_PHRASES = ("不存在", "已失效", "not found", "not exist")
MODERATION_CODE = 24
_BUSY_PHRASES = ("queue full", "队列已满", "负载已饱和")
_NO_INSTANCE_PHRASES = ("无可用的账号实例", "no available account")
_NOT_FOUND_PHRASES = ("task_no_found", "task_not_found")
_RETRYABLE = (ProviderBusyError, ProviderUnavailableError)
_NOT_JSON = object()
_MIN_REDACTED_KEY_LENGTH = 8  # shorter "keys" would mangle ordinary response text
_OUTCOMES: tuple[tuple[type[CometAPIError], str], ...] = (
    (AuthenticationError, "auth"),
    (ProviderBusyError, "busy"),
    (ProviderUnavailableError, "unavailable"),
    (ModerationError, "moderation"),
    (TaskNotFoundError, "not_found"),
    (RequestRefusedError, "refused"),
)


class CometAPIClient:
    """Submits, extends and polls Midjourney video tasks through CometAPI.

    The caller owns ``session`` (one per process). ``request_counts`` counts every HTTP attempt per
    endpoint kind ("submit", "fetch", "list"), retries included; ``on_request`` is called after each
    attempt with its duration and outcome ("ok", "busy", "unavailable", "refused", ...).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: SecretStr,
        *,
        timeout: float = 30,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30,
        list_chunk_size: int = 50,
        on_request: OnRequest | None = None,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"CometAPI base URL must be http(s), not {base_url!r}")
        if max_retries < 0 or list_chunk_size < 1:
            raise ValueError("max_retries must be >= 0 and list_chunk_size >= 1")
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_retries = max_retries
        self._backoff_max = backoff_max
        # Full jitter, but never sooner than half the base wait: a retry must not follow a fault at once.
        floor = min(backoff_base, backoff_max) / 2
        self._jitter_wait = wait_random_exponential(multiplier=backoff_base, max=backoff_max, min=floor)
        self._list_chunk_size = list_chunk_size
        self._on_request = on_request
        self.request_counts: collections.Counter[str] = collections.Counter()

    def __repr__(self) -> str:
        return f"CometAPIClient(base_url={self._base_url!r})"

    async def submit_video(self, request: VideoRequest) -> SubmitResult:
        """Start animating an image; return the provider's task id."""
        return await self._submit(request.to_body(), task_id="")

    async def extend_video(self, request: ExtendTaskRequest) -> SubmitResult:
        """Start extending one clip of a finished video task; return the new task id."""
        body = request.to_body()
        return await self._submit(body, task_id=body["taskId"])

    async def fetch_task(self, task_id: str) -> TaskSnapshot:
        """Return the current snapshot of one task (``GET /mj/task/{id}/fetch``)."""
        wanted = _checked_task_id(task_id)
        path = f"/mj/task/{quote(wanted, safe='')}/fetch"
        interpret = functools.partial(_snapshot_from_payload, task_id=wanted)
        return await self._call("fetch", "GET", path, interpret, task_id=wanted)

    async def fetch_tasks(self, task_ids: Sequence[str]) -> dict[str, TaskSnapshot]:
        """Return snapshots keyed by task id, via chunked ``list-by-condition``.

        Ids the provider does not return (unknown, or someone else's) are simply absent.
        """
        if isinstance(task_ids, str):
            raise InvalidRequestError("fetch_tasks takes a sequence of task ids, not one string")
        wanted = list(dict.fromkeys(_checked_task_id(task_id) for task_id in task_ids))
        found: dict[str, TaskSnapshot] = {}
        for chunk in _chunks(wanted, self._list_chunk_size):
            path = "/mj/task/list-by-condition"
            tasks = await self._call("list", "POST", path, _snapshots_from_payload, body={"ids": chunk})
            found.update((task_id, tasks[task_id]) for task_id in chunk if task_id in tasks)
        return found

    async def _submit(self, body: dict[str, Any], *, task_id: str) -> SubmitResult:
        # Submits are retried on transient errors too. A submit whose answer was lost may already
        # have created a task, so a retry can leave an orphan task at the provider (it carries our
        # `state` tag, but the API cannot be searched by it, so the bot follows only the task id it
        # was given). Accepted: lost answers are rare, and never retrying would fail many more jobs.
        path = "/mj/submit/video"
        return await self._call("submit", "POST", path, _submit_result, body=body, task_id=task_id)

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        interpret: Callable[[Any], T],
        *,
        body: object = None,
        task_id: str = "",
    ) -> T:
        """Run one logical request with retries, interpreting each answer inside the attempt."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_RETRYABLE),
            before_sleep=functools.partial(_log_retry, endpoint),
            reraise=True,
        )

        async def attempt_once() -> T:
            return interpret(await self._attempt(endpoint, method, path, body, task_id))

        async for attempt in retrying:
            with attempt:
                result = await self._timed(endpoint, attempt_once)
        return result

    async def _timed(self, endpoint: str, run: Callable[[], Awaitable[T]]) -> T:
        """Count one attempt and report its duration and outcome."""
        self.request_counts[endpoint] += 1
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await run()
            outcome = "ok"
            return result
        except CometAPIError as exc:
            outcome = _outcome_of(exc)
            raise
        finally:
            if self._on_request is not None:
                self._on_request(endpoint, time.perf_counter() - started, outcome)

    async def _attempt(self, endpoint: str, method: str, path: str, body: object, task_id: str) -> Any:
        """Send one HTTP request and return its JSON payload, or raise the error it stands for."""
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        try:
            async with self._session.request(
                method, self._base_url + path, json=body, headers=headers, timeout=self._timeout
            ) as response:
                status, response_headers, raw = response.status, response.headers, await response.read()
        except TimeoutError:
            raise ProviderUnavailableError(
                f"CometAPI did not answer within {self._timeout.total:g} s ({endpoint})"
            ) from None
        except aiohttp.ClientError as exc:
            # `from None`: some aiohttp errors carry the request headers, and so the key.
            reason = self._redact(f"{type(exc).__name__}: {exc}")
            raise ProviderUnavailableError(f"could not reach CometAPI ({endpoint}): {reason}") from None
        text = self._redact(raw.decode("utf-8", errors="replace"))
        return classify_response(status, response_headers, text, task_id=task_id)

    def _redact(self, text: str) -> str:
        """Remove the API key from provider text, in case an error message echoes it."""
        secret = self._api_key.get_secret_value()
        if len(secret) < _MIN_REDACTED_KEY_LENGTH:
            return text
        return text.replace(secret, "[redacted]")

    def _wait(self, retry_state: RetryCallState) -> float:
        """Exponential backoff with jitter, or the provider's ``Retry-After`` (capped) when given."""
        backoff = float(self._jitter_wait(retry_state))
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = error.retry_after if isinstance(error, ProviderBusyError) else None
        if retry_after is None:
            return backoff
        return min(max(retry_after, backoff), self._backoff_max)


def classify_response(status: int, headers: Mapping[str, str], text: str, *, task_id: str = "") -> Any:
    """Return the JSON payload of a usable answer, or raise the error the answer stands for."""
    if status in (401, 403):
        raise AuthenticationError(
            f"CometAPI rejected the API key (HTTP {status}): {_message_of(_load_json(text)) or 'no reason'}."
            " Check COMETAPI_KEY."
        )
    payload = _load_json(text)
    if status == 429:
        message = _message_of(payload) or "too many requests"
        retry_after = parse_retry_after(headers.get("Retry-After"))
        raise ProviderBusyError(f"CometAPI is rate limiting (HTTP 429): {message}", retry_after=retry_after)
    if payload is _NOT_JSON:
        kind = headers.get("Content-Type", "unknown type")
        raise ProviderUnavailableError(f"CometAPI sent an unreadable answer (HTTP {status}, {kind})")
    if status >= 500:
        message = _message_of(payload) or "server error"
        raise ProviderUnavailableError(f"CometAPI is unavailable (HTTP {status}): {message}")
    if status >= 400:
        raise error_from_payload(payload, status=status, task_id=task_id)
    return payload


def error_from_payload(payload: object, *, status: int = 200, task_id: str = "") -> CometAPIError:
    """Return the exception for an error body (submit codes, upstream_error, comet_api_error)."""
    if not isinstance(payload, Mapping):
        return ProviderUnavailableError(f"CometAPI sent an answer of an unexpected shape (HTTP {status})")
    code, message = _code_and_message(payload)
    lowered = message.lower()
    if any(phrase in lowered for phrase in _NOT_FOUND_PHRASES):
        return TaskNotFoundError(task_id or "?", code=code)
    if code == MODERATION_CODE:
        properties = payload.get("properties")
        banned = properties.get("bannedWord") if isinstance(properties, Mapping) else None
        reason = message or "the provider flagged the prompt or image"
        return ModerationError(reason, banned_word=str(banned) if banned else None, code=code)
    if _is_no_instance(code, lowered):
        return NoInstanceError(
            f"CometAPI has no account for this request (code {code}): {message or 'no instance available'}"
        )
    if code in BUSY_CODES or any(phrase in lowered for phrase in _BUSY_PHRASES):
        return ProviderBusyError(f"CometAPI is busy (code {code}): {message or 'queue full'}")
    return RequestRefusedError(message or f"CometAPI refused the request (code {code})", code=code)


def _is_no_instance(code: int | str, lowered: str) -> bool:
    """Return True when no upstream account can take the request now (capacity, maybe for one kind)."""
    if any(phrase in lowered for phrase in _NO_INSTANCE_PHRASES):
        return True
    return code == NO_INSTANCE_CODE and not any(phrase in lowered for phrase in _MISSING_TASK_PHRASES)


def _submit_result(payload: object) -> SubmitResult:
    """Return the accepted submit, or raise what a refused one stands for."""
    if isinstance(payload, Mapping):
        code = _as_code(payload.get("code"))
        task_id = _text(payload.get("result")).strip()
        description = _text(payload.get("description"))
        if isinstance(code, int) and code in ACCEPTED_CODES:
            if task_id:
                return SubmitResult(task_id=task_id, code=code, description=description)
            raise RequestRefusedError(
                f"CometAPI accepted the request but returned no task id: {description}", code=code
            )
    raise error_from_payload(payload)


def _snapshot_from_payload(payload: object, *, task_id: str) -> TaskSnapshot:
    """Return the snapshot in a fetch answer, or raise what an error body stands for."""
    if payload is None or payload == {}:
        raise TaskNotFoundError(task_id)
    if isinstance(payload, Mapping) and not _looks_like_error(payload):
        snapshot = parse_task(payload)
        if snapshot.task_id:
            return snapshot
        return parse_task({**payload, "id": task_id})
    raise error_from_payload(payload, task_id=task_id)


def _snapshots_from_payload(payload: object) -> dict[str, TaskSnapshot]:
    """Return the snapshots of a list-by-condition answer keyed by task id."""
    if payload is None:  # a Go gateway encodes an empty result as null
        return {}
    if not isinstance(payload, list):
        raise error_from_payload(payload)
    snapshots = (parse_task(item) for item in payload if isinstance(item, Mapping))
    return {snapshot.task_id: snapshot for snapshot in snapshots if snapshot.task_id}


def _looks_like_error(payload: Mapping[str, Any]) -> bool:
    """Tell an error body that came with HTTP 200 from a task object."""
    if isinstance(payload.get("error"), Mapping) or payload.get("success") is False:
        return True
    return "code" in payload and "id" not in payload


def _code_and_message(payload: Mapping[str, Any]) -> tuple[int | str, str]:
    """Return the provider code and its human text from any of the known error shapes."""
    error = payload.get("error")
    if isinstance(error, Mapping):
        return _as_code(error.get("code")), _text(error.get("message")).strip()
    message = _text(payload.get("description")).strip() or _text(payload.get("message")).strip()
    return _as_code(payload.get("code")), message


def _message_of(payload: object) -> str:
    """Return the human text of a body, whatever its shape, or the empty string."""
    return _code_and_message(payload)[1] if isinstance(payload, Mapping) else ""


def _as_code(value: object) -> int | str:
    """Return a provider code as an int when it is numeric, else as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _load_json(text: str) -> Any:
    """Parse JSON, returning the ``_NOT_JSON`` marker for anything unreadable (HTML pages too)."""
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _text(value: object) -> str:
    """Return a provider field as text, with ``None`` as the empty string."""
    return "" if value is None else str(value)


def _checked_task_id(task_id: object) -> str:
    """Return a stripped task id, refusing an empty one."""
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError("the task id is empty")
    return task_id.strip()


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    """Yield consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _outcome_of(error: CometAPIError) -> str:
    """Return the short outcome name of an error, for ``on_request``."""
    return next((name for kind, name in _OUTCOMES if isinstance(error, kind)), "error")


def _log_retry(endpoint: str, retry_state: RetryCallState) -> None:
    """Log a retry at WARNING with the endpoint, the attempt and the (key-free) reason."""
    error = retry_state.outcome.exception() if retry_state.outcome else None
    delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.warning(
        "CometAPI %s attempt %d failed (%s); retrying in %.2f s",
        endpoint,
        retry_state.attempt_number,
        error,
        delay,
    )
