"""The benchmarks' naive baseline still runs: a job through it is delivered.

The e2e and queue benchmarks compare Motionbot with ``bench.naive_tracker``, a subclass of the real
tracker that reaches into its internals; a refactor of the tracker must not break it unnoticed.
"""

from __future__ import annotations

import asyncio

from bench.e2e_world import doubles, running_naive_bot
from bot.models import JobStatus
from tests.doubles.media import png_bytes
from tests.e2e.harness import settings_for


async def test_a_job_through_the_naive_tracker_is_delivered(tmp_path):
    async with doubles(job_seconds=0.2) as (discord, comet):
        settings = settings_for(discord, comet, tmp_path)
        async with running_naive_bot(settings, discord) as bot:
            attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
            handle = await discord.slash(discord.alice, "animate", {}, attachment=attachment)
            await handle.wait_response()
            store = bot.services.store
            async with asyncio.timeout(10):
                while not [job for job in await store.all_jobs() if job.status is JobStatus.DELIVERED]:
                    await asyncio.sleep(0.05)
    assert comet.counts["submit"] == 1
