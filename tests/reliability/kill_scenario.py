"""The ``kill -9`` scenario, step by step: 50 jobs in four states, SIGKILL, restart on the same database.

Shared by ``test_restarts.py`` (which asserts each step) and ``bench/reliability_report.py`` (which
prints the figures). The jobs are steered by prompt at the CometAPI double:

- ``[queued]``: refused as "queue full" (code 23), so the bot puts them back in its queue and holds
  its whole line (sent last, after every other group is at the provider);
- ``[submitted]``: accepted, but the provider shows ``status:""``/``SUBMITTED`` for minutes;
- ``[generating]``: accepted and ``IN_PROGRESS`` with rising progress for minutes;
- ``[finished]``: accepted, then finished by the test while every clip download stalls, so the
  provider is done but the clips never reached Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.models import Job, JobStatus, UsageCounts, state_tag
from bot.store import JobStore
from bot.store.rows import job_from_row
from bot.store.sqlite import sql as store_sql
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, InteractionHandle, Message, StoredFile, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import card_parts
from tests.reliability.subprocess_bot import BotProcess, running_subprocess_bot

# In sending order: a busy answer holds every later submission, so the "queue full" group goes last.
GROUPS: dict[str, int] = {"submitted": 12, "generating": 14, "finished": 14, "queued": 10}
LONG_TASK = 600.0
CLIP_STALL = 60.0
SEND_BATCH = 10
KILL_SETTINGS: dict[str, object] = {
    "max_concurrent_jobs_per_user": 20,
    "provider_max_running": 100,  # every job not refused as "queue full" reaches the provider
    "max_daily_jobs_per_user": 1000,
    "max_daily_jobs_per_guild": 10000,
    "provider_max_retries": 1,
    # Long enough that a stalled clip download is still pending when the process is killed.
    "provider_timeout_seconds": 10,
    "poll_interval_seconds": 0.1,
    "card_edit_interval_seconds": 0.3,
}
POLL_TICK = 0.05
CLIP_NAME = re.compile(r"motionbot-[0-9]+-clip[0-9]+\.mp4")


async def read_jobs(database: Path) -> list[Job]:
    """Return every job in the bot's database, read through a separate SQLite connection."""

    def read() -> list[Job]:
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            return [job_from_row(row) for row in conn.execute(store_sql.ALL_JOBS)]

    return await asyncio.to_thread(read)


async def wait_for_jobs(
    database: Path, predicate: Callable[[list[Job]], bool], timeout: float, what: str
) -> list[Job]:
    """Re-read the database on a short tick until ``predicate`` holds for its jobs.

    The bot runs in another process and its database has no change feed, so this polls.
    """
    jobs: list[Job] = []
    try:
        async with asyncio.timeout(timeout):
            while not predicate(jobs := await read_jobs(database)):
                await asyncio.sleep(POLL_TICK)
    except TimeoutError:
        statuses = Counter(job.status.value for job in jobs)
        raise TimeoutError(f"waited {timeout} s for {what}; jobs by status: {dict(statuses)}") from None
    return jobs


def group_of(job: Job) -> str:
    """Return the scenario group a job belongs to, from the tag in its prompt ("" for other jobs)."""
    return next((name for name in GROUPS if f"[{name}]" in job.prompt), "")


def clip_job_ids(message: Message) -> set[int]:
    """Return the jobs whose clips are attached to ``message`` now."""
    return _clip_jobs(message.files)


@dataclass
class KillWorld:
    """Both doubles, the bot's database and log, and what the scenario observed along the way."""

    discord: DiscordDouble
    comet: CometAPIDouble
    folder: Path
    settings: dict[str, object]
    handles: dict[str, InteractionHandle] = field(default_factory=dict)
    at_kill: list[Job] = field(default_factory=list)
    kill_exit_code: int | None = None
    bot: BotProcess | None = None

    @property
    def database(self) -> Path:
        """The SQLite file both bot processes use."""
        return self.folder / "motionbot.sqlite3"

    @property
    def log_path(self) -> Path:
        """The file every bot process writes its log to."""
        return self.folder / "bot.log"

    @property
    def members(self) -> list[User]:
        """The members who send the jobs, in turn."""
        d = self.discord
        return [d.alice, d.bob, d.mod, d.admin, d.owner]

    @contextlib.asynccontextmanager
    async def bot_running(self) -> AsyncIterator[BotProcess]:
        """Run one bot process on the shared database until the block ends (killed if still alive)."""
        async with running_subprocess_bot(
            self.discord, self.comet, self.database, self.log_path, **self.settings
        ) as bot:
            self.bot = bot
            yield bot

    async def animate(self, user: User, prompt: str) -> InteractionHandle:
        """Send /animate with a fresh PNG and ``prompt`` as ``user``; return the handle once answered."""
        image = png_bytes(width=256, height=256, seed=prompt)
        handle = await self.discord.slash(
            user, "animate", {"prompt": prompt}, attachment=("cat.png", image, "image/png")
        )
        await handle.wait_response()
        self.handles[prompt] = handle
        return handle

    async def deliver_one_before_the_kill(self) -> Job:
        """Run one quick job to the end, so a delivered card with Extend buttons predates the kill."""
        await self.animate(self.discord.alice, "made before the kill")
        jobs = await wait_for_jobs(self.database, _all_delivered, 10, "the first job to be delivered")
        return jobs[0]

    def steer_provider(self) -> None:
        """Make the provider hold each group's jobs in the state the group is named after."""
        self.comet.refuse_submits(23, "队列已满，请稍后尝试", prompt="[queued]", times=None)
        self.comet.plan_tasks(
            TaskPlan(duration=LONG_TASK, initial_fraction=0.45), prompt="[submitted]", times=None
        )
        for name in ("generating", "finished"):
            self.comet.plan_tasks(
                TaskPlan(duration=LONG_TASK, initial_fraction=0.0), prompt=f"[{name}]", times=None
            )

    async def send_all_groups(self) -> None:
        """Send the 50 jobs from the members in turn, a batch at a time, each answered in time."""
        prompts = [f"clip {n} [{name}]" for name in GROUPS for n in range(GROUPS[name])]
        members = itertools.cycle(self.members)
        for start in range(0, len(prompts), SEND_BATCH):
            batch = prompts[start : start + SEND_BATCH]
            await asyncio.gather(*(self.animate(next(members), prompt) for prompt in batch))

    async def finish_the_finished_group(self) -> None:
        """Finish the ``[finished]`` tasks at the provider while every clip download stalls."""
        await wait_for_jobs(
            self.database, _finished_group_submitted, 15, "the [finished] jobs to be submitted"
        )
        self.comet.inject(FaultKind.SLOW, endpoint="clip", times=4 * GROUPS["finished"], delay=CLIP_STALL)
        for task in list(self.comet.tasks.values()):
            if "[finished]" in task.prompt:
                self.comet.finish(task.task_id)

    async def wait_kill_state(self, timeout: float = 15.0) -> list[Job]:
        """Wait until every group's jobs are stored in the state the scenario wants at the kill."""
        jobs = await wait_for_jobs(
            self.database, self._in_kill_state, timeout, "the jobs to reach their kill state"
        )
        await self.discord.wait_for_message(self._generating_cards_show_progress, timeout)
        return jobs

    async def kill(self) -> int:
        """SIGKILL the running bot, remember the stored jobs at that moment, and return the exit code."""
        assert self.bot is not None
        self.bot.kill()
        self.kill_exit_code = await self.bot.wait_exit()
        self.at_kill = await read_jobs(self.database)
        return self.kill_exit_code

    def let_the_provider_finish(self) -> None:
        """Lift every rule and fault and finish every task, as if the provider caught up meanwhile."""
        self.comet.rules.clear()
        self.comet.faults.clear()
        self.comet.default_plan = TaskPlan(duration=0.3)
        for task_id in list(self.comet.tasks):
            self.comet.finish(task_id)

    async def wait_all_delivered(self, count: int, timeout: float = 15.0) -> list[Job]:
        """Wait until ``count`` jobs exist and all of them are delivered."""
        return await wait_for_jobs(
            self.database,
            lambda jobs: len(jobs) == count and _all_delivered(jobs),
            timeout,
            f"{count} delivered jobs",
        )

    async def extend_after_restart(self, parent: Job) -> InteractionHandle:
        """Press "Extend clip 1 (low motion)" on the card the first bot process delivered."""
        card = self.discord.state.messages[_card_id(parent)]
        return await self.discord.click(self.discord.alice, card, f"mb:x:{parent.id}:0:l")

    # -- what the scenario checks ------------------------------------------------------------

    def in_flight_at_kill(self) -> Counter[JobStatus]:
        """Return how many jobs were in each non-final status when the process was killed."""
        return Counter(job.status for job in self.at_kill if not job.status.is_final)

    def public_bot_messages(self) -> list[Message]:
        """Return the bot's visible messages (not ephemeral, not deleted) in the server."""
        return [m for m in self.discord.bot_messages() if not m.ephemeral and not m.deleted]

    def clip_uploads(self) -> Counter[str]:
        """Return how often each clip file reached Discord (in a new message or a card edit)."""
        return clip_uploads(self.discord.bot_messages())

    def duplicate_deliveries(self) -> int:
        """Return how many clip uploads went beyond one per clip file."""
        return sum(count - 1 for count in self.clip_uploads().values() if count > 1)

    def provider_tasks_per_job(self) -> Counter[str]:
        """Return how many provider tasks carry each job's ``state`` tag."""
        return Counter(task.state for task in self.comet.tasks.values())

    def submits_of(self, job: Job) -> int:
        """Return how many submit bodies for ``job`` reached the provider."""
        return sum(1 for body in self.comet.submissions if body.get("state") == state_tag(job.id))

    def _in_kill_state(self, jobs: list[Job]) -> bool:
        if len(jobs) != 1 + sum(GROUPS.values()) or any(job.card_message_id is None for job in jobs):
            return False
        return all(self._in_group_state(job) for job in jobs)

    def _in_group_state(self, job: Job) -> bool:
        group = group_of(job)
        if group == "queued":
            return job.status is JobStatus.QUEUED and self.submits_of(job) > 0
        if group == "submitted":
            return job.status is JobStatus.SUBMITTED and job.provider_task_id is not None
        if group == "generating":
            return job.status is JobStatus.RUNNING and job.progress > 0
        wanted = JobStatus.SUCCEEDED if group == "finished" else JobStatus.DELIVERED
        return job.status is wanted

    def _generating_cards_show_progress(self, _: Message) -> bool:
        # Checked on every message change; looks at all the [generating] cards, not just the one.
        cards = [
            self.discord.state.messages.get(handle.original_message_id or 0)
            for prompt, handle in self.handles.items()
            if "[generating]" in prompt
        ]
        return all(card is not None and "%" in _description(card) for card in cards)


def clip_uploads(messages: Iterable[Message]) -> Counter[str]:
    """Count, per clip file name, the message revisions that attached it anew (not kept from before)."""
    uploads: Counter[str] = Counter()
    for message in messages:
        previous: set[int] = set()
        for revision in message.history:
            fresh = [file for file in revision.attachments if file.id not in previous]
            uploads.update(file.filename for file in fresh if CLIP_NAME.fullmatch(file.filename))
            previous = {file.id for file in revision.attachments}
    return uploads


def expected_clips(jobs: Iterable[Job]) -> Counter[str]:
    """Return every clip file of ``jobs`` once: what exactly-once delivery uploads."""
    return Counter(
        f"motionbot-{job.id}-clip{n}.mp4" for job in jobs for n in range(1, len(job.clip_urls) + 1)
    )


def _clip_jobs(files: Iterable[StoredFile]) -> set[int]:
    return {int(f.filename.split("-")[1]) for f in files if CLIP_NAME.fullmatch(f.filename)}


def _description(message: Message) -> str:
    return card_parts(message).state


def _card_id(job: Job) -> int:
    assert job.card_message_id is not None
    return job.card_message_id


def _all_delivered(jobs: list[Job]) -> bool:
    # A job delivered in part is DELIVERED too, with clips missing: here every clip must have arrived.
    return bool(jobs) and all(job.fully_delivered for job in jobs)


def _finished_group_submitted(jobs: list[Job]) -> bool:
    group = [job for job in jobs if group_of(job) == "finished"]
    return len(group) == GROUPS["finished"] and all(job.provider_task_id for job in group)


async def stored_usage(database: Path, job: Job) -> UsageCounts:
    """Return today's charged jobs of the job's requester, read once the bot process is gone."""
    async with await JobStore.open(database) as store:
        return await store.usage_today(job.guild_id, job.requester_id)


@contextlib.asynccontextmanager
async def kill_world(folder: Path, **settings: object) -> AsyncIterator[KillWorld]:
    """Start both doubles for the kill scenario; the bot processes are started by the steps."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3)
        yield KillWorld(discord, comet, folder, {**KILL_SETTINGS, **settings})
