"""Reads before an interaction's first answer, bounded so the member hears something within Discord's 3 s.

``checked_before_answer`` is how a button or command runs its checks before answering: the reads
bounded by ``within_deadline``, a ``Refusal`` shown privately, anything else apologised for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import discord

from bot.checks import Refusal
from bot.client.replies import apologize, refuse

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord wants the first answer within 3 s of the event; this leaves a second for sending it.
PRE_RESPONSE_BUDGET = 2.0
# Pre-response work that ran past its budget: kept referenced until it ends, its outcome dropped.
_ABANDONED: set[asyncio.Task[Any]] = set()


async def within_deadline(work: Coroutine[Any, Any, T], *, budget: float = PRE_RESPONSE_BUDGET) -> T:
    """Return what ``work`` (database reads before an interaction's first answer) gives within ``budget``.

    Past the budget, raise ``Refusal("error.busy")`` so the member hears "busy, try again" before
    Discord's deadline instead of "the application did not respond". The work runs in its own task
    and is abandoned (cancelled, not awaited), so not even a stuck read's clean-up delays the answer.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=budget)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    log.warning("pre-response work took over %g s; answered that the bot is busy", budget)
    task.cancel()
    _ABANDONED.add(task)
    task.add_done_callback(_forget)
    raise Refusal("error.busy")


async def checked_before_answer(
    interaction: discord.Interaction, checks: Coroutine[Any, Any, T], what: str
) -> T | None:
    """Return what ``checks`` (reads only) give within the deadline, else None once the member was answered.

    A ``Refusal`` (one of the checks', or "busy" past the deadline) is shown privately in the member's
    language; any other error is logged with an id and apologised for, ``what`` naming the work in
    the log. On None the interaction has had its answer: the caller stops there.
    """
    try:
        return await within_deadline(checks)
    except Refusal as refusal:
        await refuse(interaction, refusal)
    except Exception as exc:
        await apologize(interaction, exc, what)
    return None


def _forget(task: asyncio.Task[Any]) -> None:
    _ABANDONED.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("abandoned pre-response work failed", exc_info=task.exception())
