"""Faults, canned answers and submit rules of the CometAPI double, and the seeded chaos mode.

A fault replaces the double's normal answer for one request: an HTTP 5xx, a 429 (with or without
``Retry-After``), a slow answer, a malformed JSON body, an HTML error page, a reset connection, or
any canned status/body. A submit rule decides, by prompt, how a valid submit is answered.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

from tests.doubles.cometapi_jobs import TaskPlan

RATE_LIMIT_BODY = {"description": "当前分组负载已饱和，请稍后再试", "type": "upstream_error", "code": 30}
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>api.cometapi.com | 502: Bad gateway</title></head>"
    "<body><h1>Bad gateway</h1><p>Error code 502. The web server reported a bad gateway error.</p>"
    "</body></html>"
)
MALFORMED_JSON = '{"code":1,"description":"提交成功","result":"17'
CHAOS_STATUSES = (500, 502, 503, 504, 524)


class FaultKind(StrEnum):
    """What goes wrong with one request."""

    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    SLOW = "slow"
    MALFORMED_JSON = "malformed_json"
    HTML = "html"
    RESET = "reset"
    CANNED = "canned"


@dataclass
class Fault:
    """One injected fault; ``endpoint`` None matches every endpoint kind.

    ``status`` is the HTTP status of SERVER_ERROR (default 500), HTML (default 502), MALFORMED_JSON
    (default 200) and CANNED answers; ``delay`` is how long a SLOW answer waits (the request is still
    processed, so a client that times out may have created a task); ``body``/``headers`` are for CANNED.
    """

    kind: FaultKind
    endpoint: str | None = None
    status: int | None = None
    retry_after: str | None = None
    delay: float = 1.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, endpoint: str) -> bool:
        """Return True when the fault applies to requests of ``endpoint``."""
        return self.endpoint is None or self.endpoint == endpoint


@dataclass
class Hold:
    """The next ``times`` requests of ``endpoint`` wait, unanswered, until the test calls ``release()``.

    A test control rather than a fault (no service rule behind it): it makes "the answer is in flight"
    a moment the test acts in, such as pausing the process that asked, or changing the task meanwhile.
    ``arrived`` is set by the first held request and ``full`` by the last; each is then handled
    normally, so its answer shows the task as it is at the release.
    """

    endpoint: str
    times: int = 1
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    full: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0

    def take(self, endpoint: str) -> bool:
        """Return True (and count it) when a request of ``endpoint`` is to be held."""
        if endpoint != self.endpoint or self.held >= self.times:
            return False
        self.held += 1
        self.arrived.set()
        if self.held == self.times:
            self.full.set()
        return True

    def release(self) -> None:
        """Let every held request (and any later one this hold takes) be answered."""
        self.released.set()

    async def wait_released(self, closing: asyncio.Event) -> None:
        """Wait for ``release()``, or until the double shuts down."""
        waiters = [asyncio.ensure_future(event.wait()) for event in (self.released, closing)]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


async def wait_if_held(holds: list[Hold], endpoint: str, closing: asyncio.Event) -> None:
    """Wait for the release of the first hold that takes this request of ``endpoint``, if one does."""
    held = next((hold for hold in holds if hold.take(endpoint)), None)
    if held is not None:
        await held.wait_released(closing)


@dataclass
class CannedReply:
    """A fixed answer to a submit."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class SubmitRule:
    """Decides what a submit whose prompt contains ``prompt_contains`` (None: any) gets.

    ``times`` is how many submits it applies to (None: all). With ``reply`` the submit gets that answer
    and no task is created; otherwise a task is created with ``plan`` and ``accept_code``.
    ``video_type`` (None: any) limits the rule to submits asking for that ``videoType``.
    """

    prompt_contains: str | None = None
    times: int | None = 1
    plan: TaskPlan | None = None
    accept_code: int = 1
    reply: CannedReply | None = None
    video_type: str | None = None

    def matches(self, body: dict[str, Any]) -> bool:
        """Return True when the rule applies to the submit ``body``."""
        if self.prompt_contains is not None and self.prompt_contains not in str(body.get("prompt", "")):
            return False
        return self.video_type is None or body.get("videoType") == self.video_type


def fault_response(fault: Fault) -> web.StreamResponse:
    """Return the answer that stands for ``fault`` (SLOW and RESET are handled by the caller)."""
    if fault.kind is FaultKind.SERVER_ERROR:
        body = fault.body or comet_error("upstream request failed", code="do_request_failed")
        return web.json_response(body, status=fault.status or 500)
    if fault.kind is FaultKind.RATE_LIMITED:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return web.json_response(RATE_LIMIT_BODY, status=429, headers=headers)
    if fault.kind is FaultKind.MALFORMED_JSON:
        return web.Response(text=MALFORMED_JSON, status=fault.status or 200, content_type="application/json")
    if fault.kind is FaultKind.HTML:
        return web.Response(text=HTML_PAGE, status=fault.status or 502, content_type="text/html")
    return canned_response(fault.status or 200, fault.body, fault.headers)


def canned_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    """Return ``body`` (JSON unless it is already text or bytes) with ``status`` and ``headers``."""
    if isinstance(body, bytes | str):
        return web.Response(body=body, status=status, headers=headers)
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def reset_connection(request: web.Request) -> web.Response:
    """Drop the connection without an answer; the client sees a disconnect."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never written: the transport is gone


async def slow_down(delay: float, closing: asyncio.Event) -> None:
    """Wait ``delay`` seconds, or less if the double is shutting down."""
    try:
        await asyncio.wait_for(closing.wait(), timeout=delay)
    except TimeoutError:
        return


def comet_error(message: str, *, code: str = "", error_type: str = "comet_api_error") -> dict[str, Any]:
    """Return CometAPI's own error envelope."""
    return {
        "error": {"code": code, "message": f"{message} (request id: 20250101000000000)", "type": error_type}
    }


def upstream_error(description: str, code: int) -> dict[str, Any]:
    """Return the gateway's HTTP 400 body for MJ routes."""
    return {"description": description, "type": "upstream_error", "code": code}


def submit_body(code: int, description: str, result: str | None = None, **properties: Any) -> dict[str, Any]:
    """Return a midjourney-proxy submit answer."""
    return {"code": code, "description": description, "result": result, "properties": properties}


CHAOS_KINDS = (
    FaultKind.SERVER_ERROR,
    FaultKind.RATE_LIMITED,
    FaultKind.SLOW,
    FaultKind.RESET,
    FaultKind.MALFORMED_JSON,
    FaultKind.HTML,
)


class Chaos:
    """Seeded random faults: each request (of ``endpoints``, None: all) fails with probability ``rate``."""

    def __init__(
        self,
        rate: float = 0.0,
        *,
        seed: int = 0,
        slow_delay: float = 2.0,
        endpoints: frozenset[str] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the fault rate must be within 0..1")
        self.rate = rate
        self.slow_delay = slow_delay
        self.endpoints = endpoints
        self._random = random.Random(seed)

    def pick(self, endpoint: str) -> Fault | None:
        """Return a random fault for this request, or None to answer normally."""
        if self.endpoints is not None and endpoint not in self.endpoints:
            return None
        if self.rate <= 0 or self._random.random() >= self.rate:
            return None
        kind = self._random.choice(CHAOS_KINDS)
        if kind is FaultKind.SERVER_ERROR:
            return Fault(kind, endpoint, status=self._random.choice(CHAOS_STATUSES))
        if kind is FaultKind.RATE_LIMITED:
            return Fault(kind, endpoint, retry_after=self._random.choice([None, "0", "1"]))
        return Fault(kind, endpoint, delay=self.slow_delay)
