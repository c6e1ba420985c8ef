"""Collect what a run leaves behind (logs, SQLite files, Discord traffic, provider bodies) and search it
for secrets and for the interaction tokens Discord issued. Used by ``bench/reliability_report.py`` and
the secrets tests; ``production_logs`` logs a run the way ``python -m bot`` does.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ops.logs import configure_logging
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble

RAW_FORMAT = "%(levelname)s %(name)s: %(message)s"
NOISY = ("discord.http", "discord.gateway")


@contextlib.contextmanager
def production_logs(folder: Path, fmt: str, secrets: Sequence[str]) -> Iterator[tuple[Path, Path]]:
    """Yield (the bot's DEBUG log in ``fmt``, every raw record) while inside; restore the root logger after.

    The bot's log is set up by ``configure_logging`` as ``python -m bot`` sets it up at LOG_LEVEL=DEBUG.
    The second file keeps every record of every logger before any redaction, so a test can show that
    what it looks for was logged at all.
    """
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in NOISY})
    bot_log, raw_log = folder / f"bot-{fmt}.log", folder / f"raw-{fmt}.log"
    with bot_log.open("w", encoding="utf-8") as stream, raw_log.open("w", encoding="utf-8") as raw:
        with contextlib.redirect_stderr(stream):  # configure_logging writes to stderr, as in production
            configure_logging("DEBUG", fmt, secrets)
        everything = logging.StreamHandler(raw)
        everything.setFormatter(logging.Formatter(RAW_FORMAT))
        # First in line: the production handler's redacting filter rewrites records in place.
        root.handlers.insert(0, everything)
        try:
            yield bot_log, raw_log
        finally:
            root.handlers[:] = saved[0]
            root.setLevel(saved[1])
            for name, level in saved[2].items():
                logging.getLogger(name).setLevel(level)


def interaction_tokens(discord: DiscordDouble) -> dict[str, str]:
    """Return every interaction token the double issued, by a name that says which interaction."""
    return {
        f"interaction {handle.id} token": token
        for token, handle in discord.state.interactions_by_token.items()
    }


def log_messages(path: Path, fmt: str) -> str:
    """Return a log file's text; for JSON lines, each line's message and traceback, one per line."""
    text = path.read_text(encoding="utf-8")
    if fmt != "json":
        return text
    records = [json.loads(line) for line in text.splitlines()]
    return "\n".join(f"{record['message']}\n{record.get('traceback', '')}" for record in records)


def database_files(database: Path) -> list[Path]:
    """Return the SQLite file and its WAL and shared-memory companions."""
    return [database, Path(f"{database}-wal"), Path(f"{database}-shm")]


@dataclass
class Evidence:
    """Named blobs of bytes to search; ``kind`` is the last word of each label."""

    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, data: bytes | str) -> None:
        """Add one blob (text is encoded as UTF-8)."""
        self.blobs.append((label, data.encode() if isinstance(data, str) else data))

    def add_files(self, label: str, paths: Iterable[Path]) -> None:
        """Add every file among ``paths`` that exists."""
        for path in paths:
            if path.exists():
                self.add(f"{label} {path.name}", path.read_bytes())

    def add_discord(self, label: str, discord: DiscordDouble) -> None:
        """Add every request body (JSON and files) the double received and every revision of every message.

        The interaction tokens it issued are noted too, for ``find_tokens_in_logs``.
        """
        self.tokens.update(interaction_tokens(discord))
        for request in discord.requests:
            self.add(f"{label} request", _json(request.payload))
            for upload in request.files:
                self.add(f"{label} upload", upload.data)
        for message in discord.state.messages.values():
            for revision in message.history:
                self.add(f"{label} message", _json([revision.content, revision.embeds, revision.components]))
            self.add(f"{label} message", _json([message.content, message.embeds, message.components]))

    def add_provider(self, label: str, comet: CometAPIDouble) -> None:
        """Add every submit body the provider received."""
        self.add(f"{label} submit", _json(comet.submissions))

    @property
    def size(self) -> int:
        """Return the number of bytes collected."""
        return sum(len(blob) for _, blob in self.blobs)

    @property
    def kinds(self) -> list[str]:
        """Return the kinds of blob collected, sorted."""
        return sorted({label.rsplit(" ", 1)[-1] for label, _ in self.blobs})

    def find_tokens_in_logs(self) -> list[tuple[str, str]]:
        """Return (token name, log label) for every interaction token found in a log file (``*.log``).

        Only logs: the job store keeps each job's token on purpose (cards are edited through it), and
        the double's own records hold them as Discord does.
        """
        logs = Evidence([(label, blob) for label, blob in self.blobs if label.endswith(".log")])
        return logs.find(self.tokens)

    def find(self, secrets: Mapping[str, str]) -> list[tuple[str, str]]:
        """Return (secret name, blob label) for every blob that contains a secret."""
        return [
            (name, label)
            for name, secret in secrets.items()
            for label, blob in self.blobs
            if secret.encode() in blob
        ]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
