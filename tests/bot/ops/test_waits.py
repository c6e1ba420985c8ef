"""WaitWatch: a warning naming the oldest wait, NoAnswer past the limit, and nothing left running."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.ops.waits import NoAnswer, WaitWatch, watched

WARNING = "late {waited:.1f} for {what}; {fix} (limit {limit:.1f})"
GAVE_UP = "gave up after {waited:.1f} on {what}; {fix}"


def make_watch(limit: float = 0.6, first_warning: float = 0.1) -> WaitWatch:
    """A watch with short, real-time delays."""
    return WaitWatch(limit, warning=WARNING, gave_up=GAVE_UP, first_warning=first_warning)


async def test_a_late_answer_is_warned_about_then_given_up_on_and_the_work_is_cancelled(caplog):
    """The oldest wait is named in the warning and in NoAnswer; the work waiting on it is cancelled."""
    caplog.set_level(logging.WARNING, logger="bot.ops.waits")
    watch = make_watch()
    cancelled = asyncio.Event()

    async def work() -> None:
        watch.begin("login", "an answer to GET /users/@me", "check the network")
        watch.begin("other", "something younger", "check something else")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(
        NoAnswer, match=r"^gave up after 0\.\d on an answer to GET /users/@me; check the network$"
    ):
        await watched(work(), watch)
    assert cancelled.is_set()
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings and all(w.startswith("late 0.") and "GET /users/@me" in w for w in warnings)


async def test_an_answer_in_time_ends_the_wait_and_finish_ends_the_watch():
    """Waits that end before the limit cost nothing; after finish() the work goes on unwatched."""
    watch = make_watch(limit=0.3)

    async def work() -> str:
        for _ in range(3):
            watch.begin("request", "an answer", "fix")
            await asyncio.sleep(0.05)
            watch.end("request")
        watch.finish()
        watch.begin("late", "ignored once finished", "fix")
        await asyncio.sleep(0.5)  # longer than the limit: nobody watches any more
        return "done"

    assert await watched(work(), watch) == "done"


async def test_the_same_wait_begun_again_keeps_its_start_so_retries_cannot_hide_it():
    """discord.py retries a gateway connection: each retry begins the same wait, which must still expire."""
    watch = make_watch(limit=0.4)

    async def retrying() -> None:
        while True:
            watch.begin(("gateway", 0), "HELLO", "check DISCORD_GATEWAY_URL")
            await asyncio.sleep(0.05)

    with pytest.raises(NoAnswer, match="HELLO"):
        await watched(retrying(), watch)


@pytest.mark.parametrize("turns", range(5))
async def test_cancelling_the_watched_work_ends_the_watch_too_even_as_a_wait_begins(turns: int) -> None:
    """A stop just as a wait wakes the watch leaves neither the work nor the watch running.

    On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that lands while the awaited event has
    just been set; the watch, built on it, outlived the start-up it watched and the process hung.
    ``turns`` moves the cancellation across the loop turns of that window.
    """
    watch = make_watch(limit=60, first_warning=30)
    started = asyncio.Event()

    async def work() -> None:
        watch.begin("gateway", "HELLO", "fix")
        started.set()
        await asyncio.Event().wait()

    outer = asyncio.ensure_future(watched(work(), watch))
    await started.wait()
    await asyncio.sleep(0)  # the watch waits for a change, or for the time to warn about HELLO
    watch.begin("gateway", "READY", "fix")  # wakes the watch ...
    for _ in range(turns):
        await asyncio.sleep(0)
    outer.cancel()  # ... and the stop comes within a few turns
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(outer, 2)
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert leftover == []
