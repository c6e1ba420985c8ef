"""Metrics: own registry, provider hook, job and tracker figures, Discord 429s, deliveries."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time

import discord
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from bot.models import FailureKind, JobSource, JobStatus, Motion, NewJob, Quality
from bot.ops.metrics import Metrics
from bot.provider.cometapi_types import AuthenticationError, VideoRequest
from bot.store import JobStore
from bot.tracking.tracker import JobTracker
from tests.doubles import fixtures_cometapi
from tests.doubles.fixtures_cometapi import make_cometapi_client

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session

FAMILIES = (
    "motionbot_jobs",
    "motionbot_jobs_created_total",
    "motionbot_provider_request_duration_seconds",
    "motionbot_provider_errors_total",
    "motionbot_tracker_lag_seconds",
    "motionbot_tracker_cycle_cpu_seconds",
    "motionbot_tracker_cpu_seconds_total",
    "motionbot_build_info",
    "motionbot_tracker_cycles_total",
    "motionbot_jobs_in_flight",
    "motionbot_provider_key_rejected",
    "motionbot_discord_rate_limits_total",
    "motionbot_deliveries_total",
    "motionbot_jobs_taken_over_total",
    "motionbot_jobs_let_go_total",
    "motionbot_lease_lost_writes_total",
    "motionbot_spend_day",
    "motionbot_spend_month",
    "motionbot_reserved_day",
    "motionbot_reserved_month",
)


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def new_job(prompt: str = "a cat") -> NewJob:
    return NewJob(
        requester_id=1,
        guild_id=2,
        channel_id=3,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt=prompt,
        image_url="https://cdn.discordapp.test/cat.png",
    )


@pytest.fixture
async def store(tmp_path):
    store = await JobStore.open(tmp_path / "metrics.sqlite3")
    yield store
    await store.close()


async def test_every_family_is_exposed_from_the_first_scrape():
    text = (await Metrics().render()).decode()
    for family in FAMILIES:
        assert f"# HELP {family} " in text, family
    assert 'motionbot_deliveries_total{method="repost"} 0.0' in text
    assert 'motionbot_jobs{status="timed_out"} 0.0' in text
    assert "motionbot_tracker_lag_seconds NaN" in text


def test_each_instance_has_its_own_registry_and_never_the_global_one():
    first, second = Metrics(), Metrics()
    first.delivered("attachment", 3)
    assert value(first, "motionbot_deliveries_total", method="attachment") == 3
    assert value(second, "motionbot_deliveries_total", method="attachment") == 0
    assert REGISTRY.get_sample_value("motionbot_deliveries_total", {"method": "attachment"}) is None


async def test_provider_requests_are_timed_and_errors_counted_by_kind(cometapi_double, cometapi_session):
    metrics = Metrics()
    client = make_cometapi_client(
        cometapi_session, cometapi_double.base_url, on_request=metrics.observe_provider_request
    )
    request = VideoRequest(
        image="https://cdn.test/cat.png",
        motion=Motion.LOW,
        prompt="a cat",
        quality=Quality.SD,
        state="motionbot:1",
    )
    await client.submit_video(request)
    cometapi_double.reply(401, {"error": {"message": "bad key", "type": "comet_api_error"}}, endpoint="list")
    with pytest.raises(AuthenticationError):
        await client.fetch_tasks(["1"])
    assert (
        value(metrics, "motionbot_provider_request_duration_seconds_count", endpoint="submit", outcome="ok")
        == 1
    )
    assert (
        value(metrics, "motionbot_provider_request_duration_seconds_count", endpoint="list", outcome="auth")
        == 1
    )
    assert value(metrics, "motionbot_provider_errors_total", endpoint="list", outcome="auth") == 1
    assert value(metrics, "motionbot_provider_errors_total", endpoint="submit", outcome="ok") is None
    assert (
        value(metrics, "motionbot_provider_request_duration_seconds_sum", endpoint="submit", outcome="ok") > 0
    )


async def test_job_counts_come_from_the_store_at_scrape_time(store):
    metrics = Metrics()
    metrics.attach(store=store)
    first = await store.create_job(new_job())
    await store.create_job(new_job("a dog"))
    await store.mark_failed(first.id, FailureKind.REFUSED, "refused")
    text = (await metrics.render()).decode()
    assert 'motionbot_jobs{status="queued"} 1.0' in text
    assert 'motionbot_jobs{status="failed"} 1.0' in text
    await store.close()
    await metrics.render()  # a closed store keeps the last figures instead of failing the scrape
    assert value(metrics, "motionbot_jobs", status="queued") == 1


async def test_spend_and_reserved_money_come_from_the_ledger_without_member_labels(store):
    """Issue 21: what the provider bills (charged) and what waiting jobs hold (reserved), in money."""
    metrics = Metrics()
    metrics.attach(store=store)
    charged = await store.create_job(dataclasses.replace(new_job(), price=200_000))
    await store.mark_submitted(charged.id, "task-1")
    await store.create_job(dataclasses.replace(new_job("waits"), price=50_000))
    released = await store.create_job(dataclasses.replace(new_job("refused"), price=640_000))
    await store.mark_failed(released.id, FailureKind.REFUSED, "refused")
    text = (await metrics.render()).decode()
    assert (value(metrics, "motionbot_spend_day"), value(metrics, "motionbot_spend_month")) == (0.2, 0.2)
    assert (value(metrics, "motionbot_reserved_day"), value(metrics, "motionbot_reserved_month")) == (
        0.05,
        0.05,
    )
    assert "motionbot_spend_day 0.2" in text and "user" not in text and "guild" not in text


async def test_jobs_delivered_with_clips_missing_are_counted(store):
    metrics = Metrics()
    metrics.attach(store=store)
    job = await store.create_job(new_job())
    await store.mark_submitted(job.id, "task-1")
    await store.mark_succeeded(job.id, ["https://x/0.mp4", "https://x/1.mp4"])
    await store.mark_partly_delivered(job.id, [1])
    await metrics.render()
    assert value(metrics, "motionbot_jobs_partly_delivered") == 1
    assert value(metrics, "motionbot_jobs", status="delivered") == 1
    await store.mark_clips_posted(job.id, [1])
    await metrics.render()
    assert value(metrics, "motionbot_jobs_partly_delivered") == 0


async def test_tracker_lag_cpu_cycles_and_in_flight(store, cometapi_double, cometapi_session):
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
    tracker = JobTracker(store, client, poll_interval=60, job_timeout=dt.timedelta(minutes=5))
    await tracker.start()
    try:
        deadline = time.monotonic() + 2
        while tracker.cycles == 0:  # no event marks the end of a cycle
            assert time.monotonic() < deadline
            await asyncio.sleep(0.001)
        metrics = Metrics(clock=lambda: tracker.last_cycle_at + 7.5)
        metrics.attach(tracker=tracker)
        await tracker.enqueue(await store.create_job(new_job()))
        await metrics.render()
        assert value(metrics, "motionbot_tracker_lag_seconds") == 7.5
        assert value(metrics, "motionbot_jobs_in_flight") == 1
        assert value(metrics, "motionbot_tracker_cycles_total") >= 1
        assert value(metrics, "motionbot_tracker_cycle_cpu_seconds") == tracker.last_cycle_cpu
        total = value(metrics, "motionbot_tracker_cpu_seconds_total")
        assert total == tracker.cpu_seconds_total and total >= tracker.last_cycle_cpu
        assert value(metrics, "motionbot_jobs_waiting") + value(metrics, "motionbot_provider_running") == 1
        assert value(metrics, "motionbot_provider_condition", condition="normal") == 1
        assert value(metrics, "motionbot_provider_condition", condition="busy") == 0
    finally:
        await tracker.stop()


async def test_jobs_taken_over_from_a_stopped_process_are_counted(
    postgres_url, cometapi_double, cometapi_session
):
    # A process that stopped cleanly released its lease; another one on the same PostgreSQL takes over.
    async with await JobStore.open_postgres(postgres_url, lease_owner="stopped") as gone:
        await gone.create_job(new_job())
        assert await gone.release_leases() == 1
    async with await JobStore.open_postgres(postgres_url, lease_owner="alive") as store:
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
        tracker = JobTracker(store, client, poll_interval=60, job_timeout=dt.timedelta(minutes=5))
        metrics = Metrics()
        metrics.attach(tracker=tracker)
        await tracker.start()
        try:
            await metrics.render()
            assert value(metrics, "motionbot_jobs_taken_over_total") == 1
            assert value(metrics, "motionbot_jobs_let_go_total") == 0
            assert value(metrics, "motionbot_lease_lost_writes_total") == 0
            assert value(metrics, "motionbot_jobs_in_flight") == 1
        finally:
            await tracker.stop()


def test_deliveries_and_created_jobs_are_counted_by_label():
    metrics = Metrics()
    metrics.delivered("attachment", 4)
    metrics.delivered("link")
    metrics.job_created(JobSource.REACTION)
    metrics.job_created("extend")
    assert value(metrics, "motionbot_deliveries_total", method="attachment") == 4
    assert value(metrics, "motionbot_deliveries_total", method="link") == 1
    assert value(metrics, "motionbot_jobs_created_total", source="reaction") == 1
    assert value(metrics, "motionbot_jobs_created_total", source="extend") == 1
    with pytest.raises(ValueError, match="attachment, link, repost"):
        metrics.delivered("carrier pigeon")
    with pytest.raises(ValueError):
        metrics.job_created("telepathy")


def test_set_job_counts_fills_missing_statuses_with_zero():
    metrics = Metrics()
    metrics.set_job_counts({JobStatus.RUNNING: 5})
    metrics.set_job_counts({JobStatus.QUEUED: 2})
    assert value(metrics, "motionbot_jobs", status="queued") == 2
    assert value(metrics, "motionbot_jobs", status="running") == 0


class RateLimitingDiscord:
    """Answers each route with one 429 (as Discord does, with a Via header) and then success."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_post("/api/v10/webhooks/{id}/{token}", self._webhook)
        self.runner = web.AppRunner(app, access_log=None)
        self.base_url = ""

    async def start(self) -> None:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/api/v10"

    def _limited_first(self, path: str) -> web.Response | None:
        self.hits[path] = self.hits.get(path, 0) + 1
        if self.hits[path] > 1:
            return None
        body = {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
        headers = {"Content-Type": "application/json", "Via": "1.1 google"}
        return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)

    async def _me(self, request: web.Request) -> web.Response:
        limited = self._limited_first(request.path)
        user = {"id": "1", "username": "bot", "discriminator": "0", "avatar": None, "bot": True}
        return limited or web.Response(
            body=json.dumps(user).encode(), headers={"Content-Type": "application/json"}
        )

    async def _webhook(self, request: web.Request) -> web.Response:
        return self._limited_first("webhook") or web.Response(status=204)


@pytest.fixture
async def limiting_discord(monkeypatch):
    server = RateLimitingDiscord()
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
    yield server
    await server.runner.cleanup()


async def test_discord_429s_are_counted_from_discord_py_warnings(limiting_discord, cometapi_session):
    metrics = Metrics()
    metrics.watch_discord_logs()
    metrics.watch_discord_logs()  # idempotent: still one handler
    try:
        http = discord.http.HTTPClient(asyncio.get_running_loop())
        try:
            await http.static_login("a-bot-token")
        finally:
            await http.close()
        webhook = discord.Webhook.partial(123456789012345678, "interaction-token", session=cometapi_session)
        await webhook.send("hello")
        logging.getLogger("discord.http").warning("Some other warning about %s", "nothing")
    finally:
        metrics.unwatch_discord_logs()
    assert limiting_discord.hits == {"/api/v10/users/@me": 2, "webhook": 2}
    assert value(metrics, "motionbot_discord_rate_limits_total", client="rest") == 1
    assert value(metrics, "motionbot_discord_rate_limits_total", client="webhook") == 1
    logging.getLogger("discord.http").warning("We are being rate limited. GET /x responded with 429.")
    assert value(metrics, "motionbot_discord_rate_limits_total", client="rest") == 1  # no longer watching
