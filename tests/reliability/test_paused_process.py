"""Issue 18 item 1 end to end: two real processes on PostgreSQL, one paused with SIGSTOP/SIGCONT.

Process A (shard 0's) is stopped while its poll answer (the job's success) is in flight; B takes
the job over once A's lease expires and starts delivering; A resumes and acts on its stale answer.
Each clip reaches Discord once, A leaves the card alone and logs that it lost the job. The steps are
in ``pause_scenario.py``; the reliability report runs them ten times.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import JobStatus, state_tag
from tests.reliability.kill_scenario import expected_clips
from tests.reliability.pause_scenario import PAUSE_SETTINGS, paused_mid_delivery, paused_run
from tests.reliability.two_process_scenario import (
    LEASE_SECONDS,
    POLL_SECONDS,
    log_problems,
    two_process_world,
)


async def test_a_process_paused_with_its_poll_answer_in_flight_posts_no_clip_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    async with two_process_world(tmp_path, postgres_url, **PAUSE_SETTINGS) as world:
        async with world.processes_running() as (paused, survivor):
            run = await paused_run(world, "paused with its answer in flight")
            paused_log, survivor_log = paused.log_text(), survivor.log_text()

        # The lease expired under the pause (its last renewal came up to a poll interval before it).
        assert run.paused_seconds > LEASE_SECONDS - POLL_SECONDS
        assert run.job.status is JobStatus.DELIVERED and run.owner == survivor.process.pid
        assert world.clip_uploads() == expected_clips([run.job])  # each clip exactly once
        assert run.card_edits_by_a == 0  # A did not touch the card after the takeover
        assert run.dropped, paused_log  # A says it lost the job and dropped its work
        assert world.submits()[state_tag(run.job.id)] == 1
        assert "took over" in survivor_log and not log_problems(survivor_log)
        assert not log_problems(paused_log)


async def test_a_process_paused_while_downloading_its_clips_posts_none_after_the_takeover(
    tmp_path: Path, postgres_url: str
) -> None:
    """A stored the success and stops mid-download; B delivers; A resumes about to post: its claim fails."""
    async with two_process_world(tmp_path, postgres_url, **PAUSE_SETTINGS) as world:
        async with world.processes_running() as (paused, survivor):
            run = await paused_mid_delivery(world, "paused while downloading")
            paused_log = paused.log_text()

        assert run.paused_seconds > LEASE_SECONDS - POLL_SECONDS
        assert run.job.status is JobStatus.DELIVERED and run.owner == survivor.process.pid
        assert world.clip_uploads() == expected_clips([run.job])
        assert run.card_edits_by_a == 0  # no card edit, no extra message from A after it resumed
        assert run.dropped and "its delivery is dropped" in paused_log, paused_log
        assert not log_problems(paused_log)
