"""Collect what a run leaves behind (logs, SQLite files, Discord traffic, provider bodies) and search it
for secrets. Used by ``bench/reliability_report.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble


def database_files(database: Path) -> list[Path]:
    """Return the SQLite file and its WAL and shared-memory companions."""
    return [database, Path(f"{database}-wal"), Path(f"{database}-shm")]


@dataclass
class Evidence:
    """Named blobs of bytes to search; ``kind`` is the last word of each label."""

    blobs: list[tuple[str, bytes]] = field(default_factory=list)

    def add(self, label: str, data: bytes | str) -> None:
        """Add one blob (text is encoded as UTF-8)."""
        self.blobs.append((label, data.encode() if isinstance(data, str) else data))

    def add_files(self, label: str, paths: Iterable[Path]) -> None:
        """Add every file among ``paths`` that exists."""
        for path in paths:
            if path.exists():
                self.add(f"{label} {path.name}", path.read_bytes())

    def add_discord(self, label: str, discord: DiscordDouble) -> None:
        """Add every request body (JSON and files) the double received and every revision of every message."""
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
