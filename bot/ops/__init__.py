"""Running the process: metrics, the health server, logs, watched waits, a clean stop.

Prometheus metrics on the bot's own registry and the ``/healthz`` / ``/metrics`` server, log lines
(text or JSON, secrets redacted), ``WaitWatch`` for answers an outside service owes, and
``until_stopped`` for SIGTERM / SIGINT. May import: ``bot.provider``, ``bot.store`` and the shared
vocabulary.
"""

from bot.ops.health import HealthServer, HealthServerError, standard_checks
from bot.ops.logs import RedactingFilter, configure_logging, describe_error, job_fields
from bot.ops.metrics import Metrics
from bot.ops.stopping import until_stopped
from bot.ops.waits import NoAnswer, WaitWatch, trace_waits, watched

__all__ = [
    "HealthServer",
    "HealthServerError",
    "Metrics",
    "NoAnswer",
    "RedactingFilter",
    "WaitWatch",
    "configure_logging",
    "describe_error",
    "job_fields",
    "standard_checks",
    "trace_waits",
    "until_stopped",
    "watched",
]
