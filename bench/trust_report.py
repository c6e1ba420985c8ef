"""Issue 9's trust boundaries, as rows of the reliability report (``bench/reliability_report.py``).

Items 1 to 5 are hostile inputs replayed from the bad-input catalogue (``ISSUE_9_CASES``); their
verdicts come from the catalogue run, so nothing is replayed twice. Items 6 and 7 run the scenarios
of ``tests/e2e/test_provider_key_e2e.py`` and ``tests/e2e/test_provider_success_e2e.py`` once more
and print what they measured. Item 4's second process and item 8's busy database have rows in the
restart and busy-database sections. Nothing here asserts: an unmet promise prints MISS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from bot.models import Job, JobStatus, utcnow
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.e2e.harness import World, make_world, settings_for
from tests.e2e.test_provider_key_e2e import (
    PROVIDER_ACCEPTS,
    ask_three_videos,
    bot_with_health,
    every_job_failed,
    free_port,
    healthz,
    owner_dms,
)
from tests.e2e.test_provider_success_e2e import (
    LATE_NOTE,
    LOCK_RETRY_SECONDS,
    TIMEOUT_MINUTES,
    bot_uploads,
    footer,
    submitted,
)
from tests.reliability.bad_input_replay import Verdict
from tests.reliability.bad_inputs import ISSUE_9_CASES
from tests.reliability.lock_holder import write_lock_held

SETTLE_SECONDS = 20.0
ITEM_TITLES = {
    1: "forged Extend ids (another server, channel or card)",
    2: "server settings above the operator's .env limits",
    3: "images off Discord's hosts, or redirecting off them",
    4: "the same member, message and trigger twice",
    5: "markdown, links and mentions in member text",
}


class Rows(Protocol):
    """The report section the rows go to."""

    def add(self, ok: bool, text: str) -> None:
        """Append one PASS/MISS line."""


def catalogue_rows(section: Rows, verdicts: Mapping[str, Verdict]) -> None:
    """One row per item 1-5: how many of its hostile inputs were refused as promised."""
    for item, cases in ISSUE_9_CASES.items():
        judged = [verdicts[case.name] for case in cases if case.name in verdicts]
        refused = sum(verdict.refused for verdict in judged)
        section.add(
            bool(cases) and refused == len(cases),
            f"item {item}, {ITEM_TITLES[item]}: {refused} of {len(cases)} handled as promised "
            "(private refusal in the member's language or silence; 0 provider calls, nothing stored)",
        )


async def rejected_key_rows(section: Rows, folder: Path) -> None:
    """Item 6: three jobs meet a rejected key; health says so with the fix, the operator hears once."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=PROVIDER_ACCEPTS) as comet,
    ):
        settings = settings_for(discord, comet, folder, http_port=free_port())
        owner = discord.state.owner_user
        async with bot_with_health(settings, discord, comet) as world:
            await ask_three_videos(world)
            jobs = await every_job_failed(world)
            async with asyncio.timeout(SETTLE_SECONDS):
                while len(jobs) < 3:  # a job still being stored when the first ones had failed
                    await asyncio.sleep(0.05)
                    jobs = await every_job_failed(world)
            await world.wait_card(lambda m: m.channel_id == discord.dm_channel(owner).id)
            status, body = await healthz(settings)
        alerts = len(owner_dms(discord, owner))
    detail = str(body.get("detail", {}).get("provider", ""))
    section.add(
        status == 503 and body.get("failing") == ["provider"] and "COMETAPI_KEY" in detail,
        f"item 6, /healthz with a rejected key: HTTP {status}, failing {body.get('failing')}: {detail[:90]}",
    )
    section.add(alerts == 1, f"item 6, operator alerts for {len(jobs)} jobs failed by the key: {alerts}")


async def provider_success_rows(section: Rows, folder: Path) -> None:
    """Item 7: a success whose write meets a locked database, and a success after the bot's timeout."""
    (folder / "locked").mkdir()
    (folder / "late").mkdir()
    locked = await _success_behind_a_lock(folder / "locked")
    section.add(
        locked is not None and locked.status is JobStatus.DELIVERED and locked.timed_out_at is None,
        f"item 7, provider success while the database stayed locked past the timeout: {_status(locked)}",
    )
    late, note, uploads, charged = await _late_success(folder / "late")
    section.add(
        late is not None and late.status is JobStatus.DELIVERED and note and uploads == 1 and charged == 1,
        f"item 7, provider success after the bot timed the job out: {_status(late)}, "
        f"late note {'shown' if note else 'MISSING'}, uploads {uploads}, charged {charged}",
    )


async def _success_behind_a_lock(folder: Path) -> Job | None:
    async with make_world(
        folder, job_timeout_minutes=TIMEOUT_MINUTES, database_lock_retry_seconds=LOCK_RETRY_SECONDS
    ) as world:
        job = await submitted(world)
        async with write_lock_held(world.settings.database_path) as holder:
            world.release(job)
            past_timeout = job.created_at + dt.timedelta(minutes=TIMEOUT_MINUTES, seconds=1)
            await asyncio.sleep((past_timeout - utcnow()).total_seconds())
            await holder.release()
        return await _settled(world, job.id)


async def _late_success(folder: Path) -> tuple[Job | None, bool, int, int]:
    async with make_world(folder, job_timeout_minutes=TIMEOUT_MINUTES) as world:
        job = await submitted(world)
        await world.wait_job(lambda j: j.id == job.id and j.status is JobStatus.TIMED_OUT)
        world.release(job)
        settled = await _settled(world, job.id)
        card = world.discord.state.messages.get(job.card_message_id or 0)
        note = card is not None and LATE_NOTE in footer(card)
        usage = await world.store.usage_today(job.guild_id, job.requester_id)
        return settled, note, len(bot_uploads(world)), usage.user_today


async def _settled(world: World, job_id: int) -> Job | None:
    """Wait for the job to be delivered (or for the deadline); return it as stored then."""
    try:
        return await world.wait_delivered(job_id, timeout=SETTLE_SECONDS)
    except TimeoutError:
        return await world.store.get_job(job_id)


def _status(job: Job | None) -> str:
    return "no job" if job is None else job.status.value
