"""Provider faults end to end: chaos, backoff, Retry-After, lost answers and a rejected key.

The real bot runs between the Discord double and the CometAPI double. Requests are counted from the
CometAPI double's own log; under chaos, the double's seeded fault sequence is replayed so every
request can be told apart as faulted or healthy.
"""

import asyncio
import itertools
import logging
import time

from bot.i18n import Lang
from bot.models import FailureKind, Job, JobStatus
from cogs.cards import CardRenderer
from tests.doubles.cometapi_double import RequestRecord
from tests.doubles.cometapi_faults import Chaos, FaultKind
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.fixtures_cometapi import make_cometapi_client
from tests.e2e.harness import World, card_parts, make_world

# Half of CometAPIClient's default backoff_base (0.5 s), which the composition root keeps: no retry
# follows a fault sooner than this.
BACKOFF_FLOOR = 0.25
API_ENDPOINTS = frozenset({"submit", "fetch", "list"})
CHAOS_RATE, CHAOS_SEED, SLOW_DELAY = 0.3, 20_251_124, 1.2
CHAOS_JOBS = 20
CHAOS_RETRIES = 5  # 6 attempts: a job ends "provider busy" (re-queued for 30 s) about once in 400 runs
CHAOS_SETTINGS = {
    "provider_timeout_seconds": 1,  # the minimum; SLOW answers (1.2 s) become timeouts
    "provider_max_retries": CHAOS_RETRIES,
    "max_concurrent_jobs_per_user": CHAOS_JOBS,
    "max_daily_jobs_per_user": 100,
}
REVOKED_KEY = "sk-revoked-0123456789abcdef"
TRACEBACK_MARKERS = ("Traceback", "Error:", "Exception", "aiohttp", 'File "')


async def wait_final(world: World, count: int, timeout: float) -> list[Job]:
    """Wait until ``count`` jobs exist and all are final; fail naming the stuck ones."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = await world.store.all_jobs()
        if len(jobs) == count and all(job.status.is_final for job in jobs):
            return jobs
        if time.monotonic() > deadline:
            stuck = [(job.id, job.status.value) for job in jobs if not job.status.is_final]
            raise AssertionError(f"jobs stuck after {timeout} s: {stuck} ({len(jobs)} of {count} exist)")
        await asyncio.sleep(0.05)


def card_of(world: World, job: Job):
    """Return the job's card message as the Discord double holds it."""
    assert job.card_message_id is not None, f"job {job.id} has no card"
    return world.discord.state.messages[job.card_message_id]


def faulted(log: list[RequestRecord], seed: int) -> list[bool]:
    """Replay the double's seeded chaos over (a copy of) its request log: was each request faulted?"""
    replayed = Chaos(CHAOS_RATE, seed=seed, slow_delay=SLOW_DELAY, endpoints=API_ENDPOINTS)
    return [replayed.pick(record.endpoint) is not None for record in log]


def says(card, description: str) -> bool:
    """Return True if a card message's state line shows ``description``."""
    return card_parts(card).state == description


def gaps(times: list[float]) -> list[float]:
    """Return the time between consecutive moments."""
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_under_thirty_percent_faults_every_job_ends_delivered_or_plainly_failed(tmp_path):
    """20 jobs through 30 % faulty API answers: all end, none twice, failures plain, no hot loop."""
    async with make_world(tmp_path, **CHAOS_SETTINGS) as world:
        world.comet.set_chaos(CHAOS_RATE, seed=CHAOS_SEED, slow_delay=SLOW_DELAY, endpoints=API_ENDPOINTS)
        started = time.monotonic()
        handles = [await world.animate(prompt=f"chaos {n}") for n in range(CHAOS_JOBS)]
        responses = [await handle.wait_response() for handle in handles]
        jobs = await wait_final(world, CHAOS_JOBS, timeout=30)
        elapsed = time.monotonic() - started
        usage = await world.store.usage_today(world.discord.guild.id, world.discord.alice.id)
        log = list(world.comet.request_log)
        was_faulted = faulted(log, CHAOS_SEED)

        assert all(
            response.latency < 3.0 and not handle.ephemeral
            for response, handle in zip(responses, handles, strict=True)
        )
        delivered = [job for job in jobs if job.fully_delivered]
        failed = [job for job in jobs if job.status is not JobStatus.DELIVERED]
        assert not any(job.partly_delivered for job in jobs)  # provider faults never cost a clip
        assert len(delivered) >= CHAOS_JOBS - 2 and usage.user_today == len(delivered)
        renderer = CardRenderer(world.bot.services.catalogue, Lang.EN)
        for job in delivered:
            card = card_of(world, job)
            assert len(card.files) == 4 and "your video is ready" in card_parts(card).ready
        for job in failed:
            # The store records the failure before the card shows it: wait for the edit.
            shown = renderer.text("card.state.failed", reason=renderer.failure_reason(job))
            await world.wait_card(
                lambda m, job=job, shown=shown: m.id == job.card_message_id and says(m, shown)
            )
            assert job.status is JobStatus.FAILED
            assert not any(marker in shown for marker in TRACEBACK_MARKERS), shown
        clip_messages = [m for m in world.discord.bot_messages() if m.files and not m.deleted]
        assert len(clip_messages) == len(delivered)  # nothing delivered twice

    assert sum(was_faulted) >= 5  # the chaos really happened
    healthy = [record for record, bad in zip(log, was_faulted, strict=True) if not bad]
    healthy_submits = sum(record.endpoint == "submit" for record in healthy)
    submitted = sum(job.provider_task_id is not None for job in jobs)
    # Every extra submit is explained by a fault; a job is never re-submitted after a healthy answer.
    assert healthy_submits == submitted
    assert sum(record.endpoint == "submit" for record in log) <= CHAOS_JOBS * (CHAOS_RETRIES + 1)
    # Two poll cycles are at least a quarter of the poll interval apart (see PollSchedule.due).
    healthy_polls = sum(record.endpoint in ("list", "fetch") for record in healthy)
    assert healthy_polls <= elapsed / (world.settings.poll_interval_seconds / 4) + 1


async def test_submit_retries_back_off_after_a_429_without_retry_after_and_an_html_page(tmp_path):
    """Each retry of a submit waits at least the backoff floor; the job is then delivered."""
    async with make_world(tmp_path) as world:
        world.comet.inject(FaultKind.RATE_LIMITED, endpoint="submit")
        world.comet.inject(FaultKind.HTML, endpoint="submit")
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

    submits = [record.at for record in world.comet.request_log if record.endpoint == "submit"]
    assert len(submits) == 3 and list(world.comet.tasks) == [job.provider_task_id]
    assert all(gap >= BACKOFF_FLOOR for gap in gaps(submits)), gaps(submits)


async def test_poll_retries_back_off_after_a_5xx_and_malformed_json(tmp_path):
    """Polling meets a 503 and a truncated JSON body: the retries back off, then the job finishes."""
    async with make_world(tmp_path) as world:
        world.comet.inject(FaultKind.SERVER_ERROR, endpoint="list", status=503)
        world.comet.inject(FaultKind.MALFORMED_JSON, endpoint="list")
        handle = await world.animate()
        await handle.wait_response()
        await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

    polls = [record.at for record in world.comet.request_log if record.endpoint == "list"]
    assert len(polls) >= 3
    assert all(gap >= BACKOFF_FLOOR for gap in gaps(polls[:3])), gaps(polls[:3])


async def test_429_with_retry_after_delays_the_next_request_that_long(tmp_path):
    """Retry-After: 1 on a submit: the retry comes one second later, not sooner (nor much later)."""
    async with make_world(tmp_path) as world:
        world.comet.inject(FaultKind.RATE_LIMITED, endpoint="submit", retry_after="1")
        handle = await world.animate()
        await handle.wait_response()
        await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

    first, second = [record.at for record in world.comet.request_log if record.endpoint == "submit"]
    assert 1.0 <= second - first < 1.5


async def test_retry_after_is_capped_by_backoff_max(cometapi_double, cometapi_session):
    """A provider asking for an hour's pause is retried after the client's backoff_max instead."""
    client = make_cometapi_client(
        cometapi_session, cometapi_double.base_url, backoff_base=0.1, backoff_max=0.3
    )
    cometapi_double.inject(FaultKind.RATE_LIMITED, endpoint="fetch", retry_after="3600")
    task_id = cometapi_double.add_task()

    snapshot = await client.fetch_task(task_id)

    first, second = [record.at for record in cometapi_double.request_log]
    assert snapshot.task_id == task_id
    assert 0.3 <= second - first < 0.6


async def test_a_lost_answer_and_a_reset_are_retried_and_the_job_delivered_once(tmp_path):
    """A submit answered after the timeout, then a reset connection: one video, though two tasks exist."""
    async with make_world(tmp_path, provider_timeout_seconds=1) as world:
        world.comet.inject(FaultKind.SLOW, endpoint="submit", delay=1.3)
        world.comet.inject(FaultKind.RESET, endpoint="submit")
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
        usage = await world.store.usage_today(job.guild_id, job.requester_id)

    submits = [record.at for record in world.comet.request_log if record.endpoint == "submit"]
    assert len(submits) == 3 and len(world.comet.tasks) == 2  # the slow submit made a task too
    assert gaps(submits)[0] >= 1.0 and gaps(submits)[1] >= BACKOFF_FLOOR
    assert [m for m in world.discord.bot_messages() if m.files] == [card_of(world, job)]
    assert usage.user_today == 1


async def test_an_unreadable_progress_in_a_poll_answer_neither_breaks_nor_hammers_polling(tmp_path):
    """Five list answers saying "inf%" are read as no progress: polling keeps its pace, the job finishes."""
    async with make_world(tmp_path) as world:
        world.comet.default_plan = TaskPlan(duration=0.6)
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.provider_task_id is not None)
        start = len(world.comet.request_log)
        weird = [{"id": job.provider_task_id, "status": "IN_PROGRESS", "progress": "inf%"}]
        world.comet.reply(200, weird, endpoint="list", times=5)
        await world.wait_delivered(job.id)

    polls = [r.at for r in world.comet.request_log[start:] if r.endpoint == "list"]
    assert len(polls) > 5
    assert min(gaps(polls[:6])) >= world.settings.poll_interval_seconds / 4, gaps(polls[:6])


def saw(handle, on_card: str, privately: str) -> bool:
    """Return True if the member sees ``on_card`` on their job card, or ``privately`` in a follow-up."""
    card = handle.original_message
    if card is not None and not card.deleted and says(card, on_card):
        return True
    return any(message.ephemeral and message.content == privately for message in handle.followups)


async def test_a_rejected_key_stops_submitting_with_one_critical_line(tmp_path, caplog):
    """HTTP 401: one CRITICAL line, members told the bot is misconfigured, no further submit."""
    async with make_world(tmp_path, cometapi_key=REVOKED_KEY) as world:
        first = [await world.animate(prompt=f"first {n}") for n in range(2)]
        for handle in first:
            await handle.wait_response()
        jobs = await wait_final(world, 2, timeout=5)
        submits = world.comet.counts["submit"]

        later = await world.animate(prompt="later")
        response = await later.wait_response()
        catalogue = world.bot.services.catalogue
        misconfigured = catalogue.text(Lang.EN, "error.misconfigured")
        on_card = catalogue.text(
            Lang.EN, "card.state.failed", reason=catalogue.text(Lang.EN, "failure.configuration")
        )
        # Each member sees it on the card, or privately when the key failed before their job was queued.
        await world.discord.wait_for_message(lambda _: all(saw(h, on_card, misconfigured) for h in first))
        assert later.ephemeral and response.data["content"] == misconfigured
        assert len(await world.store.all_jobs()) == 2

    assert 1 <= submits <= 2 and world.comet.counts["submit"] == submits
    assert all(job.failure_kind is FailureKind.CONFIGURATION for job in jobs)
    critical = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert len(critical) == 1
    assert "COMETAPI_KEY" in critical[0].getMessage() and critical[0].exc_info is None
    assert REVOKED_KEY not in caplog.text
