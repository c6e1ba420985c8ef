"""The optional HTTP server: ``GET /healthz`` and ``GET /metrics`` (Prometheus), on aiohttp.

It is off unless ``HTTP_PORT`` is set and binds ``HTTP_HOST`` (127.0.0.1 by default). ``/healthz``
answers 200 when every check passes and 503 naming the failing ones, with one line per failing
check under ``detail`` saying what is wrong (and, where known, the fix); each check is a coroutine
function returning a bool, bounded by a timeout, and an exception in one counts as a failure
(``HealthProblem`` carries its own line).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Protocol, Self

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.models import utcnow
from bot.ops.metrics import Metrics
from bot.provider import rejected_key_problem

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool]]
"""One health check: resolves to True when the part it checks is healthy."""

CHECK_TIMEOUT_SECONDS = 5.0
TRACKER_STALE_FACTOR = 3
HEALTH_META_KEY = "healthcheck"
DEFAULT_PROVIDER_URL = "https://api.cometapi.com"


class HealthServerError(Exception):
    """Raised when the HTTP server cannot listen on the configured address."""


class HealthProblem(Exception):  # noqa: N818 - a reported condition, not a fault
    """Raised by a check that fails for a known reason; its message is the line shown under ``detail``."""


class KeyProbe(Protocol):
    """The part of the job tracker the provider check needs (``bot.tracking.JobTracker`` fits)."""

    @property
    def auth_failed(self) -> bool:
        """Return True once the provider rejected the API key."""


class MetaWriter(Protocol):
    """The part of the job store the database check needs (``bot.store.JobStore`` fits)."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""


class TrackerProbe(Protocol):
    """The part of the job tracker the tracker check needs (``bot.tracking.JobTracker`` fits)."""

    @property
    def running(self) -> bool:
        """Return True while the loop task is alive."""

    @property
    def last_cycle_at(self) -> float | None:
        """Return the ``time.monotonic()`` at which the last cycle ended."""

    @property
    def max_poll_interval(self) -> float:
        """Return the longest the loop waits between two cycles."""


def gateway_check(is_connected: Callable[[], bool]) -> HealthCheck:
    """Return a check that the Discord gateway is connected, e.g. ``lambda: bot.is_ready()``."""

    async def check() -> bool:
        return is_connected()

    return check


def database_check(store: MetaWriter) -> HealthCheck:
    """Return a check that the database takes a write (a tiny meta value with the current time)."""

    async def check() -> bool:
        await store.set_meta(HEALTH_META_KEY, utcnow().isoformat())
        return True

    return check


def tracker_check(tracker: TrackerProbe, *, clock: Callable[[], float] = time.monotonic) -> HealthCheck:
    """Return a check that the tracker's loop runs and finished a cycle within 3 × its longest wait."""

    async def check() -> bool:
        last = tracker.last_cycle_at
        if not tracker.running or last is None:
            return False
        return clock() - last <= TRACKER_STALE_FACTOR * tracker.max_poll_interval

    return check


def provider_check(tracker: KeyProbe, base_url: str) -> HealthCheck:
    """Return a check that fails while the provider at ``base_url`` rejects the API key."""

    async def check() -> bool:
        if tracker.auth_failed:
            raise HealthProblem(rejected_key_problem(base_url))
        return True

    return check


class StandardProbe(TrackerProbe, KeyProbe, Protocol):
    """What the standard checks read from the job tracker."""


def standard_checks(
    is_connected: Callable[[], bool],
    store: MetaWriter,
    tracker: StandardProbe,
    provider_url: str = DEFAULT_PROVIDER_URL,
) -> dict[str, HealthCheck]:
    """Return the bot's four checks: gateway, database, tracker and provider (the API key)."""
    return {
        "gateway": gateway_check(is_connected),
        "database": database_check(store),
        "tracker": tracker_check(tracker),
        "provider": provider_check(tracker, provider_url),
    }


class HealthServer:
    """Serves ``/healthz`` and ``/metrics`` on ``host:port`` until stopped."""

    def __init__(
        self,
        metrics: Metrics,
        checks: Mapping[str, HealthCheck],
        host: str,
        port: int,
        *,
        check_timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self._metrics = metrics
        self._checks = dict(checks)
        self._host = host
        self._port = port
        self._check_timeout = check_timeout
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        """Start listening; raises ``HealthServerError`` with advice when the address is unusable."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise HealthServerError(
                f"the HTTP server cannot listen on {self._host}:{self._port} ({exc.strerror or exc}); "
                "set HTTP_PORT to a free port, or leave it empty to turn the server off"
            ) from None
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health and metrics server listening on http://%s:%d", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening (safe to call twice)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def diagnose(self) -> dict[str, str | None]:
        """Run every check concurrently; return None for a passing one, else the line saying why not."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_check(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _run_check(self, name: str) -> str | None:
        try:
            async with asyncio.timeout(self._check_timeout):
                return None if await self._checks[name]() else f"{name} check failed"
        except HealthProblem as exc:
            return str(exc)
        except TimeoutError:
            log.warning("health check %s did not answer within %.0f s", name, self._check_timeout)
            return f"{name} check did not answer within {self._check_timeout:g} s"
        except Exception as exc:
            log.warning("health check %s failed: %s", name, exc)
            return f"{name} check failed: {exc}"

    async def _healthz(self, request: web.Request) -> web.Response:
        problems = await self.diagnose()
        checks = {name: problem is None for name, problem in problems.items()}
        detail = {name: problem for name, problem in problems.items() if problem is not None}
        if not detail:
            return web.json_response({"status": "ok", "checks": checks})
        body = {"status": "fail", "checks": checks, "failing": list(detail), "detail": detail}
        return web.json_response(body, status=503)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        body = await self._metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
