"""Another process holding SQLite's write lock on a database, as a backup tool or a second bot might."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
released = time.time()
conn.execute("COMMIT")
print(f"released {released}", flush=True)
"""


class LockHolder:
    """Another process holding SQLite's write lock on a database until told to let go."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    async def read_line(self) -> str:
        """Return the next line the holder printed."""
        assert self._process.stdout is not None
        return (await self._process.stdout.readline()).decode().strip()

    async def release(self) -> float:
        """Commit and return the wall-clock time just before the lock was let go."""
        assert self._process.stdin is not None
        self._process.stdin.write(b"release\n")
        await self._process.stdin.drain()
        released = float((await self.read_line()).split()[1])
        await self._process.wait()
        return released


@contextlib.asynccontextmanager
async def write_lock_held(database: Path) -> AsyncIterator[LockHolder]:
    """Hold the write lock on ``database`` from another process until ``release()`` (or the block ends)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LOCK_HOLDER,
        str(database),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    holder = LockHolder(process)
    try:
        assert await holder.read_line() == "locked"
        yield holder
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
