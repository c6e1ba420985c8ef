"""Prometheus metrics of one Motionbot process, on a registry of its own.

Every ``Metrics`` owns its ``CollectorRegistry`` (never the global one), so tests and several bots in
one process do not clash. Counters are fed by hooks (the CometAPI client's ``on_request``, the Cards
cog's ``delivered``, a logging handler that sees discord.py's 429 warnings); the job, tracker and
in-flight figures, and the whole bot's spend and reservations in money (the ledger, issue 21; no
per-member or per-server labels), are read from the store and the tracker when ``/metrics`` is scraped.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import logging
import math
import platform
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot import __version__
from bot.models import JobSource, JobStatus, SpendTotals
from bot.provider import ProviderCondition, ProviderState
from bot.store import StoreError

if TYPE_CHECKING:
    from bot.store import JobStore

log = logging.getLogger(__name__)

# prometheus_client adds a "<name>_created" timestamp series to every counter and histogram
# ("motionbot_jobs_created_created"); Prometheus has no use for them and they confuse readers.
# The switch is process-wide and read when a metric is made, so it is flipped at import.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus_client 0.26

NAMESPACE = "motionbot"
DELIVERY_METHODS = ("attachment", "link", "repost")
DISCORD_LOGGERS = ("discord.http", "discord.webhook.async_")
# Provider calls are ~50 ms to a few seconds; retries with backoff stretch to tens of seconds.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# The exact texts discord.py logs at WARNING for every 429 (discord/http.py, discord/webhook/async_.py).
_REST_429 = re.compile(r"^We are being rate limited\. ")
_WEBHOOK_429 = re.compile(r"^Webhook ID \S+ is rate limited\. ")


class TrackerStats(Protocol):
    """What the metrics read from the job tracker at scrape time (``bot.tracking.JobTracker`` fits)."""

    @property
    def last_cycle_at(self) -> float | None:
        """Return the ``time.monotonic()`` at which the last cycle ended, or None before the first."""

    @property
    def last_cycle_cpu(self) -> float:
        """Return the CPU seconds the last cycle took."""

    @property
    def cpu_seconds_total(self) -> float:
        """Return the CPU seconds all polls took since start (only ever grows)."""

    @property
    def in_flight(self) -> int:
        """Return how many jobs are being submitted or polled."""

    @property
    def cycles(self) -> int:
        """Return how many cycles have run."""

    @property
    def auth_failed(self) -> bool:
        """Return True once the provider rejected the API key."""

    @property
    def waiting(self) -> int:
        """Return how many jobs wait in line for a provider slot."""

    @property
    def provider_running(self) -> int:
        """Return how many jobs are at the provider or on their way there."""

    @property
    def provider_state(self) -> ProviderState:
        """Return the provider's condition as last seen."""

    @property
    def jobs_taken_over(self) -> int:
        """Return how many jobs this process took over from processes that stopped (shared store)."""

    @property
    def jobs_let_go(self) -> int:
        """Return how many jobs this process let go because another process holds them now."""

    @property
    def jobs_lost(self) -> int:
        """Return how many times this process dropped its work on a job another process took over."""


class Metrics:
    """Motionbot's metrics: job counts, provider latency and errors, tracker health, 429s, deliveries."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry()
        self._store: JobStore | None = None
        self._tracker_collector = _TrackerCollector(clock)
        self._log_handler = DiscordRateLimitHandler(self.rate_limited)
        registry = self.registry
        self._jobs = Gauge(
            "jobs", "Jobs in the store by status.", ["status"], namespace=NAMESPACE, registry=registry
        )
        self._partly_delivered = Gauge(
            "jobs_partly_delivered",
            "Delivered jobs some of whose clips could not be posted yet.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self._created = _counter(registry, "jobs_created", "Jobs created since start, by source.", "source")
        self._money = _money_gauges(registry)
        self._latency = Histogram(
            "provider_request_duration_seconds",
            "CometAPI request attempts by endpoint and outcome.",
            ["endpoint", "outcome"],
            buckets=LATENCY_BUCKETS,
            namespace=NAMESPACE,
            registry=registry,
        )
        self._provider_errors = _counter(
            registry,
            "provider_errors",
            "Failed CometAPI attempts by endpoint and kind.",
            "endpoint",
            "outcome",
        )
        self._rate_limits = _counter(registry, "discord_rate_limits", "HTTP 429s from Discord.", "client")
        self._deliveries = _counter(
            registry, "deliveries", "Clips delivered to Discord, by method.", "method"
        )
        self.registry.register(self._tracker_collector)
        _build_info(registry)
        self._initialise_labels()

    def _initialise_labels(self) -> None:
        """Create every known label set at zero, so each series exists from the first scrape."""
        for status in JobStatus:
            self._jobs.labels(status=status.value)
        for source in JobSource:
            self._created.labels(source=source.value)
        for method in DELIVERY_METHODS:
            self._deliveries.labels(method=method)
        for client in ("rest", "webhook"):
            self._rate_limits.labels(client=client)

    # -- sources read at scrape time ----------------------------------------------------------

    def attach(self, *, store: JobStore | None = None, tracker: TrackerStats | None = None) -> None:
        """Read job counts from ``store`` and loop figures from ``tracker`` at every scrape."""
        if store is not None:
            self._store = store
        if tracker is not None:
            self._tracker_collector.tracker = tracker

    async def refresh(self) -> None:
        """Refresh the job gauge from ``store.count_by_status()``; a store fault keeps the last values."""
        if self._store is None:
            return
        try:
            counts = await self._store.count_by_status()
            partly = await self._store.count_partly_delivered()
            totals = await self._store.spend_totals()
        except StoreError as exc:
            log.warning("metrics: could not count jobs: %s", exc)
            return
        self.set_job_counts(counts)
        self._partly_delivered.set(partly)
        self.set_spend(totals)

    def set_spend(self, totals: SpendTotals) -> None:
        """Set the money gauges (in the operator's currency) from the ledger's totals."""
        for name, amount in dataclasses.asdict(totals).items():
            self._money[name].set(amount / MONEY_UNITS)

    def set_job_counts(self, counts: Mapping[JobStatus, int]) -> None:
        """Set the job gauge to ``counts`` (statuses left out count as 0)."""
        for status in JobStatus:
            self._jobs.labels(status=status.value).set(counts.get(status, 0))

    async def render(self) -> bytes:
        """Refresh what is read at scrape time and return the Prometheus text exposition."""
        await self.refresh()
        return generate_latest(self.registry)

    # -- hooks --------------------------------------------------------------------------------

    def observe_provider_request(self, endpoint: str, seconds: float, outcome: str) -> None:
        """Record one CometAPI attempt (the client's ``on_request`` hook)."""
        self._latency.labels(endpoint=endpoint, outcome=outcome).observe(max(0.0, seconds))
        if outcome != "ok":
            self._provider_errors.labels(endpoint=endpoint, outcome=outcome).inc()

    def job_created(self, source: JobSource | str) -> None:
        """Count one job stored by the intake."""
        self._created.labels(source=JobSource(source).value).inc()

    def delivered(self, method: str, count: int = 1) -> None:
        """Count ``count`` clips delivered as ``method``: "attachment", "link" or "repost"."""
        if method not in DELIVERY_METHODS:
            raise ValueError(f"delivery method must be one of {', '.join(DELIVERY_METHODS)}, not {method!r}")
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        self._deliveries.labels(method=method).inc(count)

    def rate_limited(self, client: str) -> None:
        """Count one 429 from Discord; ``client`` is "rest" (bot API) or "webhook" (interactions)."""
        self._rate_limits.labels(client=client).inc()

    # -- discord.py's 429 warnings ------------------------------------------------------------

    def watch_discord_logs(self) -> None:
        """Count discord.py's "rate limited" warnings from now on (idempotent)."""
        for name in DISCORD_LOGGERS:
            logger = logging.getLogger(name)
            if self._log_handler not in logger.handlers:
                logger.addHandler(self._log_handler)

    def unwatch_discord_logs(self) -> None:
        """Stop counting discord.py's warnings (safe to call when not watching)."""
        for name in DISCORD_LOGGERS:
            logging.getLogger(name).removeHandler(self._log_handler)


def build_labels() -> dict[str, str]:
    """Return the running Motionbot, Python and discord.py versions (from the installed packages)."""
    return {
        "version": _package_version("motionbot", __version__),
        "python_version": platform.python_version(),
        "discordpy_version": _package_version("discord.py", "unknown"),
    }


@functools.cache  # reading the installed packages' metadata takes ~10 ms; it cannot change while running
def _package_version(name: str, fallback: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return fallback


def _build_info(registry: CollectorRegistry) -> None:
    labels = build_labels()
    gauge = Gauge(
        "build_info",
        "Always 1; the labels name the running versions.",
        list(labels),
        namespace=NAMESPACE,
        registry=registry,
    )
    gauge.labels(**labels).set(1)


MONEY_UNITS = 1_000_000  # the ledger's amounts are millionths of PRICE_CURRENCY (bot.budget.Money)
# SpendTotals field -> (metric name, what it holds); the amounts are in PRICE_CURRENCY.
MONEY_GAUGES = {
    "charged_day": (
        "spend_day",
        "Money charged this UTC day (the provider has the jobs), in PRICE_CURRENCY.",
    ),
    "charged_month": ("spend_month", "Money charged this UTC month, in PRICE_CURRENCY."),
    "reserved_day": ("reserved_day", "Money reserved by jobs admitted this UTC day, not sent yet."),
    "reserved_month": ("reserved_month", "Money reserved by jobs admitted this UTC month, not sent yet."),
}


def _money_gauges(registry: CollectorRegistry) -> dict[str, Gauge]:
    return {
        field: Gauge(name, documentation, namespace=NAMESPACE, registry=registry)
        for field, (name, documentation) in MONEY_GAUGES.items()
    }


def _counter(registry: CollectorRegistry, name: str, documentation: str, *labels: str) -> Counter:
    return Counter(name, documentation, labels, namespace=NAMESPACE, registry=registry)


class DiscordRateLimitHandler(logging.Handler):
    """A logging handler that recognises discord.py's warning for each HTTP 429 it receives.

    discord.py retries 429s itself and only logs them, so its log is the one place they show. The
    loggers must let WARNING through (``LOG_LEVEL=ERROR`` would hide them).
    """

    def __init__(self, on_rate_limit: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self._on_rate_limit = on_rate_limit

    def emit(self, record: logging.LogRecord) -> None:
        """Call back with "rest" or "webhook" when ``record`` reports a 429."""
        client = rate_limit_client(record)
        if client is not None:
            self._on_rate_limit(client)


def rate_limit_client(record: logging.LogRecord) -> str | None:
    """Return "rest" or "webhook" if ``record`` is discord.py's 429 warning, else None."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return None
    if record.name == "discord.http" and _REST_429.match(message):
        return "rest"
    if record.name == "discord.webhook.async_" and _WEBHOOK_429.match(message):
        return "webhook"
    return None


class _TrackerCollector(Collector):
    """Reads the tracker's loop figures at scrape time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.tracker: TrackerStats | None = None
        self._clock = clock

    def collect(self) -> Iterable[Metric]:
        """Yield tracker lag, cycle CPU, cycles, in-flight jobs and the key state (NaN/0 before a tracker)."""
        tracker = self.tracker
        last = tracker.last_cycle_at if tracker is not None else None
        lag = math.nan if last is None else max(0.0, self._clock() - last)
        yield GaugeMetricFamily(
            f"{NAMESPACE}_tracker_lag_seconds", "Seconds since the tracker's last cycle ended.", value=lag
        )
        cpu = tracker.last_cycle_cpu if tracker is not None else math.nan
        yield GaugeMetricFamily(
            f"{NAMESPACE}_tracker_cycle_cpu_seconds", "CPU seconds of the tracker's last cycle.", value=cpu
        )
        total = tracker.cpu_seconds_total if tracker is not None else 0.0
        yield CounterMetricFamily(
            f"{NAMESPACE}_tracker_cpu_seconds",
            "CPU seconds the tracker's polls took since start.",
            value=total,
        )
        cycles = tracker.cycles if tracker is not None else 0
        yield CounterMetricFamily(f"{NAMESPACE}_tracker_cycles", "Tracker cycles run.", value=cycles)
        in_flight = tracker.in_flight if tracker is not None else 0
        yield GaugeMetricFamily(
            f"{NAMESPACE}_jobs_in_flight", "Jobs the tracker is submitting or polling.", value=in_flight
        )
        rejected = 1 if tracker is not None and tracker.auth_failed else 0
        yield GaugeMetricFamily(
            f"{NAMESPACE}_provider_key_rejected", "1 while CometAPI rejects the API key.", value=rejected
        )
        yield from _queue_metrics(tracker)
        yield from _lease_metrics(tracker)


def _lease_metrics(tracker: TrackerStats | None) -> Iterable[Metric]:
    """Yield the job hand-overs between processes on a shared store (always 0 on SQLite)."""
    taken = tracker.jobs_taken_over if tracker is not None else 0
    yield CounterMetricFamily(
        f"{NAMESPACE}_jobs_taken_over",
        "Jobs this process took over after their process stopped renewing its leases.",
        value=taken,
    )
    let_go = tracker.jobs_let_go if tracker is not None else 0
    yield CounterMetricFamily(
        f"{NAMESPACE}_jobs_let_go",
        "Jobs this process let go because another process took them over.",
        value=let_go,
    )
    lost = tracker.jobs_lost if tracker is not None else 0
    yield CounterMetricFamily(
        f"{NAMESPACE}_lease_lost_writes",
        "Writes this process dropped, unmade, because another process had taken the job over.",
        value=lost,
    )


def _queue_metrics(tracker: TrackerStats | None) -> Iterable[Metric]:
    """Yield the waiting line, the jobs at the provider and the provider's condition (1: current)."""
    waiting = tracker.waiting if tracker is not None else 0
    yield GaugeMetricFamily(f"{NAMESPACE}_jobs_waiting", "Jobs waiting for a provider slot.", value=waiting)
    running = tracker.provider_running if tracker is not None else 0
    yield GaugeMetricFamily(f"{NAMESPACE}_provider_running", "Jobs at CometAPI or being sent.", value=running)
    current = tracker.provider_state.condition if tracker is not None else ProviderCondition.NORMAL
    family = GaugeMetricFamily(
        f"{NAMESPACE}_provider_condition",
        "CometAPI as last seen: normal, busy or unreachable.",
        labels=["condition"],
    )
    for condition in ProviderCondition:
        family.add_metric([condition.value], 1 if condition is current else 0)
    yield family
