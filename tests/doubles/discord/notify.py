"""Wake-ups for tests that wait on the double's state (no polling sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeNotifier:
    """Signals "something changed"; waiters re-check their own condition on every signal."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every waiter."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Return the first truthy ``probe()`` result; raise ``TimeoutError`` naming ``what``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._event
                    result = probe()
                    if result:
                        return result
                    await event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout:.2f} s waiting for {what}") from None
