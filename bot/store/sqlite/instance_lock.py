"""One running bot per database: an ``flock`` on ``<database>.lock`` held for the life of the process.

On real Discord every process logged in with the token receives every event, so two bots on one
database would each start (and bill) a job for the same reaction. The kernel drops an ``flock``
when its process ends, however it ends (``kill -9`` included), so the lock never outlives its
holder; the file itself stays, holding the pid of the last holder for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.store.errors import StoreError


class AlreadyRunning(StoreError):  # noqa: N818 - reads as the condition, like FileExistsError
    """Another process holds the database's instance lock."""

    def __init__(self, database: Path, pid: str) -> None:
        holder = f"pid {pid}" if pid else "another process"
        super().__init__(
            f"another Motionbot ({holder}) is already running on the database {database}; "
            "stop it first, or give this one its own DATABASE_PATH (two bots would answer every event twice)"
        )
        self.pid = pid


def lock_path(database: Path) -> Path:
    """Return the lock file beside ``database``."""
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def instance_lock(database: Path) -> Iterator[Path]:
    """Hold the instance lock of ``database`` inside the block; raise ``AlreadyRunning`` if taken."""
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"the lock file {path} cannot be opened ({exc.strerror}); check the folder's owner"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(database, _read_pid(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _read_pid(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else ""
