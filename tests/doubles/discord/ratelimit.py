"""Per-route rate-limit buckets with Discord's headers, 429 bodies, and injectable faults."""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
OWN_REACTION = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
WEBHOOK = "/webhooks/{webhook_id}/{token}"


@dataclass(frozen=True)
class BucketRule:
    """``limit`` requests per ``per`` seconds, for each major parameter (channel, guild, webhook)."""

    limit: int
    per: float


DEFAULT_RULES: dict[str, BucketRule] = {
    f"POST {MESSAGES}": BucketRule(5, 5.0),
    f"PATCH {MESSAGE}": BucketRule(5, 5.0),
    f"DELETE {MESSAGE}": BucketRule(5, 1.0),
    f"PUT {OWN_REACTION}": BucketRule(1, 0.25),
    f"DELETE {OWN_REACTION}": BucketRule(1, 0.25),
    f"POST {WEBHOOK}": BucketRule(5, 2.0),
    f"PATCH {WEBHOOK}/messages/{{message_id}}": BucketRule(5, 2.0),
}


@dataclass
class _Window:
    reset_at: float
    count: int = 0


@dataclass
class Fault:
    """An injected failure: a 429 (with ``Via``) or a 5xx, served instead of the real answer."""

    status: int
    retry_after: float
    is_global: bool


@dataclass(frozen=True)
class Verdict:
    """Headers to add to the real response, or a ready-made rejection (status, headers, body)."""

    headers: dict[str, str]
    rejection: tuple[int, dict[str, str], dict[str, Any]] | None = None


@dataclass
class RateLimiter:
    """Counts requests per bucket and answers 429s the way discord.py expects to retry them."""

    rules: dict[str, BucketRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    default_rule: BucketRule = field(default_factory=lambda: BucketRule(50, 1.0))
    global_rule: BucketRule | None = field(default_factory=lambda: BucketRule(50, 1.0))
    route_counts: Counter[str] = field(default_factory=Counter)
    limited_counts: Counter[str] = field(default_factory=Counter)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)

    @property
    def rate_limited_count(self) -> int:
        """How many 429 responses were served (real and injected)."""
        return sum(self.limited_counts.values())

    def set_rule(self, route: str, limit: int, per: float) -> None:
        """Configure the bucket of ``route``, e.g. ``"PATCH /channels/{channel_id}/messages"``."""
        self.rules[route] = BucketRule(limit, per)

    def inject(
        self,
        route: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """Serve ``status`` for the next ``times`` requests on ``route`` (``"*"`` matches every route)."""
        queue = self._faults.setdefault(route, deque())
        queue.extend(Fault(status, retry_after, is_global) for _ in range(times))

    def pending_faults(self, route: str) -> int:
        """How many injected faults are still waiting on ``route``."""
        return len(self._faults.get(route, ()))

    def check(self, route: str, major: str, *, global_scope: bool) -> Verdict:
        """Count one request on ``route`` and decide whether it is served."""
        self.route_counts[route] += 1
        fault = self._take_fault(route)
        if fault is not None:
            return self._fault_verdict(route, fault)
        now = time.monotonic()
        if global_scope and self.global_rule is not None:
            window = self._window(("<global>", ""), self.global_rule, now)
            if window.count >= self.global_rule.limit:
                return self._limited(
                    route, "<global>", self.global_rule, window.reset_at - now, is_global=True
                )
            window.count += 1
        rule = self.rules.get(route, self.default_rule)
        window = self._window((route, major), rule, now)
        if window.count >= rule.limit:
            return self._limited(route, route, rule, window.reset_at - now, is_global=False)
        window.count += 1
        return Verdict(_headers(route, rule, rule.limit - window.count, window.reset_at - now))

    def _take_fault(self, route: str) -> Fault | None:
        for key in (route, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _window(self, key: tuple[str, str], rule: BucketRule, now: float) -> _Window:
        window = self._windows.get(key)
        if window is None or now >= window.reset_at:
            window = self._windows[key] = _Window(reset_at=now + rule.per)
        return window

    def _fault_verdict(self, route: str, fault: Fault) -> Verdict:
        rule = self.rules.get(route, self.default_rule)
        if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
            return self._limited(route, route, rule, fault.retry_after, is_global=fault.is_global)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        body = {"message": f"{fault.status}: {phrase}", "code": 0}
        return Verdict({}, (fault.status, {"Via": "1.1 google"}, body))

    def _limited(
        self, route: str, bucket: str, rule: BucketRule, retry_after: float, *, is_global: bool
    ) -> Verdict:
        self.limited_counts[route] += 1
        retry_after = max(retry_after, 0.001)
        headers = _headers(bucket, rule, 0, retry_after)
        headers["Retry-After"] = str(math.ceil(retry_after))
        headers["X-RateLimit-Scope"] = "global" if is_global else "user"
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        return Verdict({}, (HTTPStatus.TOO_MANY_REQUESTS, headers, body))


def _headers(bucket: str, rule: BucketRule, remaining: int, reset_after: float) -> dict[str, str]:
    reset_after = max(reset_after, 0.0)
    return {
        "X-RateLimit-Limit": str(rule.limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": hashlib.sha256(bucket.encode()).hexdigest()[:32],
    }
