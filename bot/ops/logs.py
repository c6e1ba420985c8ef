"""Logging set-up: one line per event, human-readable or JSON, with secrets and Discord tokens redacted.

Two kinds of secret are replaced in every line (message and traceback) of every logger, at every level
and in both formats: the configured secrets (the bot token, the CometAPI key, database passwords), and
interaction and webhook tokens, wherever Discord or discord.py put them. At DEBUG, discord.py prints
whole gateway payloads (an INTERACTION_CREATE carries its ``token``) and every request URL
(``/interactions/{id}/{token}/callback``, ``/webhooks/{application_id}/{token}/…``); whoever holds such a
token can post as the bot for 15 minutes. Ids stay, so a redacted line still says which interaction it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable

from bot.models import Job


def job_fields(job: Job) -> dict[str, int | None]:
    """Return the ``extra=`` fields that put a job's ids into JSON log lines."""
    return {"job_id": job.id, "guild_id": job.guild_id, "user_id": job.requester_id}


NOISY_LOGGERS = {"discord.http": logging.WARNING, "discord.gateway": logging.INFO}
REDACTED = "[redacted]"
# Interaction and webhook tokens, with what comes before them kept (group 1): a request URL's path
# (discord.http, discord.webhook), a payload's "token" key (gateway dicts, JSON), a repr's or query's
# ``…token=``, and, anywhere else, an interaction token by its look (base64 of "interaction:").
TOKEN_PATTERNS = (
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?#\s'\"\\]+"),
    re.compile(r"""(['"]\w*token['"]\s*:\s*['"])[^'"\\]+"""),
    re.compile(r"""(\btoken=['"]?|_token=['"]?)[^'"\s,)&]+"""),
    re.compile(r"()aW50ZXJhY3Rpb246[\w=-]+"),
)
_TOKEN_HINTS = ("token", "/interactions/", "/webhooks/", "aW50ZXJhY3Rpb246")


class RedactingFilter(logging.Filter):
    """Replace any secret, interaction token or webhook token in a log record's message or traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if len(secret) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it, and keep the record."""
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret and every interaction or webhook token replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return redact_tokens(text)


def redact_tokens(text: str) -> str:
    """Return ``text`` with interaction and webhook tokens replaced (their ids kept)."""
    if not any(hint in text for hint in _TOKEN_HINTS):
        return text
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line with time, level, logger, message and extras."""
        payload: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("job_id", "guild_id", "user_id", "error_id"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info or record.exc_text:
            payload["traceback"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str, fmt: str, secrets: Iterable[str]) -> None:
    """Send logs to stderr at ``level`` in ``fmt`` ("text" or "json"), redacting ``secrets``."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        )
    if level != "DEBUG":
        handler.addFilter(one_line_shard_retries)
    handler.addFilter(RedactingFilter(secrets))
    handler.addFilter(_drop_voice_notices)
    handler.setLevel(level)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # The root logger lets WARNING through even at LOG_LEVEL=ERROR so that the metrics' log watcher
    # still counts discord.py's rate-limit warnings; the stream handler applies LOG_LEVEL itself.
    root.setLevel(min(logging.getLevelName(level), logging.WARNING))
    if level != "DEBUG":
        for name, floor in NOISY_LOGGERS.items():
            logging.getLogger(name).setLevel(floor)


def _drop_voice_notices(record: logging.LogRecord) -> bool:
    """Hide discord.py's start-up notice about optional voice packages: Motionbot never uses voice."""
    return not (record.name == "discord.client" and "voice will NOT be supported" in record.getMessage())


def one_line_shard_retries(record: logging.LogRecord) -> bool:
    """Shorten discord.py's "Failed to connect for shard_id" (sent every 5 s with a traceback) to one line.

    A gateway that refuses the connection would otherwise fill the log with tracebacks while the
    start-up watch (``bot.ops.waits``) already says what is being waited for and what to check.
    """
    if record.name == "discord.shard" and str(record.msg).startswith("Failed to connect for shard_id"):
        error = record.exc_info[1] if record.exc_info else None
        shard = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = "could not connect shard %s to the gateway (%s); retrying in 5 s"
        record.args = (shard, describe_error(error) if error else "no detail")
        record.exc_info = record.exc_text = None
    return True


def describe_error(exc: BaseException) -> str:
    """Name an exception for a one-line message: ``Type: message``, or the type alone when it has none."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
