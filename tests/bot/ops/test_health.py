"""The health and metrics HTTP server, with a real store, a real tracker and the CometAPI double."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import json
import platform
import socket
import time

import aiohttp
import discord
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from bot.models import JobSource, Motion, NewJob, Quality
from bot.ops.health import HealthServer, HealthServerError, database_check, standard_checks, tracker_check
from bot.ops.metrics import Metrics
from bot.store import JobStore
from bot.tracking.tracker import JobTracker
from tests.doubles import fixtures_cometapi
from tests.doubles.fixtures_cometapi import make_cometapi_client

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session


@pytest.fixture
async def store(tmp_path):
    store = await JobStore.open(tmp_path / "health.sqlite3")
    yield store
    await store.close()


@pytest.fixture
async def tracker(store, cometapi_double, cometapi_session):
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
    tracker = JobTracker(store, client, poll_interval=0.05, job_timeout=dt.timedelta(minutes=5))
    await tracker.start()
    await wait_until(lambda: tracker.cycles > 0)
    yield tracker
    await tracker.stop()


async def wait_until(condition, timeout: float = 2.0) -> None:
    """Poll a condition that has no event to await (the tracker's first cycle)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.001)


async def healthy() -> bool:
    return True


async def unhealthy() -> bool:
    return False


async def get(session: aiohttp.ClientSession, server: HealthServer, path: str) -> tuple[int, str, str]:
    async with session.get(f"http://127.0.0.1:{server.port}{path}") as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_is_200_when_gateway_database_and_tracker_are_fine(store, tracker, cometapi_session):
    checks = standard_checks(lambda: True, store, tracker)
    async with HealthServer(Metrics(), checks, "127.0.0.1", 0) as server:
        status, content_type, body = await get(cometapi_session, server, "/healthz")
    assert status == 200 and content_type.startswith("application/json")
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"gateway": True, "database": True, "tracker": True, "provider": True},
    }
    assert await store.get_meta("healthcheck") is not None  # the database check really wrote


async def test_healthz_is_503_naming_what_fails(store, tracker, cometapi_session):
    checks = standard_checks(lambda: False, store, tracker)
    async with HealthServer(Metrics(), checks, "127.0.0.1", 0) as server:
        status, _, body = await get(cometapi_session, server, "/healthz")
    assert status == 503
    assert json.loads(body) == {
        "status": "fail",
        "checks": {"gateway": False, "database": True, "tracker": True, "provider": True},
        "failing": ["gateway"],
        "detail": {"gateway": "gateway check failed"},
    }


async def test_a_closed_database_and_a_stopped_tracker_fail(store, tracker, cometapi_session):
    checks = standard_checks(lambda: True, store, tracker)
    async with HealthServer(Metrics(), checks, "127.0.0.1", 0) as server:
        await tracker.stop()
        await store.close()
        status, _, body = await get(cometapi_session, server, "/healthz")
    assert status == 503
    assert json.loads(body)["failing"] == ["database", "tracker"]


async def test_the_tracker_check_fails_when_the_last_cycle_is_too_old(tracker):
    assert tracker.max_poll_interval == pytest.approx(0.2)
    assert await tracker_check(tracker, clock=lambda: tracker.last_cycle_at + 0.59)()
    assert not await tracker_check(tracker, clock=lambda: tracker.last_cycle_at + 0.61)()


async def test_a_tracker_that_never_started_fails(store, cometapi_double, cometapi_session):
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
    idle = JobTracker(store, client, poll_interval=0.05, job_timeout=dt.timedelta(minutes=5))
    assert not await tracker_check(idle)()
    assert await database_check(store)()


async def test_a_check_that_raises_or_hangs_counts_as_failing(cometapi_session):
    never = asyncio.Event()

    async def raises() -> bool:
        raise RuntimeError("boom")

    async def hangs() -> bool:
        await never.wait()
        return True

    checks = {"ok": healthy, "raises": raises, "hangs": hangs, "no": unhealthy}
    async with HealthServer(Metrics(), checks, "127.0.0.1", 0, check_timeout=0.05) as server:
        failing = [name for name, problem in (await server.diagnose()).items() if problem is not None]
        assert failing == ["raises", "hangs", "no"]
        status, _, body = await get(cometapi_session, server, "/healthz")
    assert status == 503 and '"failing": ["raises", "hangs", "no"]' in body


async def test_metrics_page_is_prometheus_text_with_job_counts(store, tracker, cometapi_session):
    metrics = Metrics()
    metrics.attach(store=store, tracker=tracker)
    await store.create_job(
        NewJob(
            requester_id=1,
            guild_id=2,
            channel_id=3,
            source=JobSource.SLASH,
            motion=Motion.LOW,
            quality=Quality.SD,
            prompt="a cat",
            image_url="https://cdn.discordapp.test/cat.png",
        )
    )
    async with HealthServer(metrics, {"ok": healthy}, "127.0.0.1", 0) as server:
        status, content_type, body = await get(cometapi_session, server, "/metrics")
    assert status == 200
    assert content_type == CONTENT_TYPE_LATEST
    assert 'motionbot_jobs{status="queued"} 1.0' in body
    assert "# TYPE motionbot_tracker_lag_seconds gauge" in body


async def test_metrics_page_has_no_created_series_and_names_the_build(store, tracker, cometapi_session):
    metrics = Metrics()
    metrics.attach(store=store, tracker=tracker)
    metrics.job_created(JobSource.SLASH)
    metrics.observe_provider_request("submit", 0.2, "ok")
    async with HealthServer(metrics, {"ok": healthy}, "127.0.0.1", 0) as server:
        _, _, body = await get(cometapi_session, server, "/metrics")
    assert 'motionbot_jobs_created_total{source="slash"} 1.0' in body
    assert "_created" not in body.replace("motionbot_jobs_created_total", "")
    (build,) = [line for line in body.splitlines() if line.startswith("motionbot_build_info{")]
    assert build.endswith(" 1.0")
    assert f'version="{importlib.metadata.version("motionbot")}"' in build
    assert f'python_version="{platform.python_version()}"' in build
    assert f'discordpy_version="{discord.__version__}"' in build
    assert "# TYPE motionbot_tracker_cpu_seconds_total counter" in body


async def test_the_server_binds_only_the_configured_host_and_stops(cometapi_session):
    server = HealthServer(Metrics(), {"ok": healthy}, "127.0.0.1", 0)
    await server.start()
    port = server.port
    assert port > 0
    status, _, _ = await get(cometapi_session, server, "/healthz")
    assert status == 200
    await server.stop()
    await server.stop()  # twice is fine
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(cometapi_session, server, "/healthz")


async def test_a_busy_port_raises_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HealthServer(Metrics(), {}, "127.0.0.1", port)
        with pytest.raises(HealthServerError, match=f"cannot listen on 127.0.0.1:{port}.*set HTTP_PORT"):
            await server.start()


async def test_a_rejected_key_fails_the_provider_check_with_the_fix_and_shows_in_metrics(
    store, cometapi_double, cometapi_session
):
    rejected = {"error": {"message": "bad key", "type": "comet_api_error"}}
    cometapi_double.reply(401, rejected, endpoint="submit")
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
    tracker = JobTracker(store, client, poll_interval=0.05, job_timeout=dt.timedelta(minutes=5))
    metrics = Metrics()
    metrics.attach(tracker=tracker)
    checks = standard_checks(lambda: True, store, tracker, "https://comet.example")
    await tracker.start()
    try:
        async with HealthServer(metrics, checks, "127.0.0.1", 0) as server:
            assert metrics.registry.get_sample_value("motionbot_provider_key_rejected") == 0
            job = await store.create_job(
                NewJob(11, 22, 33, JobSource.SLASH, Motion.LOW, Quality.SD, "", "https://cdn.example/a.png")
            )
            await tracker.enqueue(job)
            await wait_until(lambda: tracker.auth_failed)
            status, _, body = await get(cometapi_session, server, "/healthz")
            assert metrics.registry.get_sample_value("motionbot_provider_key_rejected") == 1
    finally:
        await tracker.stop()
    assert status == 503
    assert json.loads(body)["detail"] == {
        "provider": "CometAPI key rejected: https://comet.example rejected COMETAPI_KEY; "
        "copy a valid key from the CometAPI console, then restart Motionbot"
    }
