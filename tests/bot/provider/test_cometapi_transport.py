"""CometAPIClient against transient failures, the retry budget, the key, logs and hooks."""

from __future__ import annotations

import logging

import pytest

from bot.models import Motion, Quality
from bot.provider.cometapi_types import (
    AuthenticationError,
    CometAPIError,
    ProviderUnavailableError,
    RequestRefusedError,
    VideoRequest,
)
from tests.doubles import fixtures_cometapi
from tests.doubles.cometapi_faults import FaultKind, upstream_error

cometapi_double = fixtures_cometapi.cometapi_double
cometapi_session = fixtures_cometapi.cometapi_session
cometapi_client = fixtures_cometapi.cometapi_client
make_cometapi_client = fixtures_cometapi.make_cometapi_client
TEST_API_KEY = fixtures_cometapi.TEST_API_KEY

REQUEST = VideoRequest("https://example.com/cat.png", Motion.LOW, "waves", Quality.SD, "motionbot:1")
TRANSIENT = [
    pytest.param({"kind": FaultKind.SERVER_ERROR, "status": 500}, id="500"),
    pytest.param({"kind": FaultKind.SERVER_ERROR, "status": 503}, id="503"),
    pytest.param({"kind": FaultKind.SERVER_ERROR, "status": 524}, id="524"),
    pytest.param({"kind": FaultKind.RESET}, id="reset"),
    pytest.param({"kind": FaultKind.MALFORMED_JSON}, id="malformed-json"),
    pytest.param({"kind": FaultKind.HTML}, id="html-502"),
    pytest.param({"kind": FaultKind.HTML, "status": 200}, id="html-200"),
]


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_transient_burst_then_success(cometapi_client, cometapi_double, fault):
    """Two transient failures are retried and the third attempt succeeds."""
    cometapi_double.inject(times=2, **fault)
    result = await cometapi_client.submit_video(REQUEST)
    assert result.task_id in cometapi_double.tasks
    assert cometapi_client.request_counts["submit"] == 3
    assert cometapi_double.counts["submit"] == 3


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_transient_exhausted_raises_unavailable(cometapi_client, cometapi_double, fault):
    """Failures that outlast 1 + max_retries attempts raise ProviderUnavailableError."""
    cometapi_double.inject(times=10, **fault)
    with pytest.raises(ProviderUnavailableError):
        await cometapi_client.fetch_tasks(["1700000000000123"])
    assert cometapi_client.request_counts["list"] == 4
    assert cometapi_double.counts["list"] == 4


async def test_unreadable_answers_say_what_came(cometapi_client, cometapi_double):
    """An HTML page is reported with its status and content type."""
    cometapi_double.inject(FaultKind.HTML, times=10, status=502)
    with pytest.raises(ProviderUnavailableError) as caught:
        await cometapi_client.fetch_tasks(["1700000000000123"])
    assert "HTTP 502" in caught.value.description
    assert "text/html" in caught.value.description


async def test_timeout_then_success(cometapi_double, cometapi_session):
    """A response slower than the timeout is retried."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, timeout=0.2)
    task_id = cometapi_double.add_task()
    cometapi_double.inject(FaultKind.SLOW, endpoint="fetch", delay=5)
    snapshot = await client.fetch_task(task_id)
    assert snapshot.task_id == task_id
    assert client.request_counts["fetch"] == 2


async def test_timeout_exhausted(cometapi_double, cometapi_session):
    """Timeouts on every attempt raise ProviderUnavailableError naming the timeout."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, timeout=0.1, max_retries=1)
    cometapi_double.inject(FaultKind.SLOW, times=2, delay=5)
    with pytest.raises(ProviderUnavailableError, match=r"did not answer within 0\.1 s"):
        await client.submit_video(REQUEST)
    assert client.request_counts["submit"] == 2


async def test_slow_answer_within_timeout_is_fine(cometapi_client, cometapi_double):
    """A slow answer inside the timeout is simply waited for."""
    cometapi_double.inject(FaultKind.SLOW, delay=0.05)
    result = await cometapi_client.submit_video(REQUEST)
    assert result.task_id in cometapi_double.tasks
    assert cometapi_client.request_counts["submit"] == 1


async def test_connection_refused_is_unavailable(cometapi_session):
    """Nobody listening on the port ends in ProviderUnavailableError."""
    async with fixtures_cometapi.CometAPIDouble.serve() as double:
        base_url = double.base_url
    client = make_cometapi_client(cometapi_session, base_url, max_retries=1)
    with pytest.raises(ProviderUnavailableError, match="could not reach CometAPI"):
        await client.fetch_task("1700000000000123")
    assert client.request_counts["fetch"] == 2


async def test_zero_retries_means_one_attempt(cometapi_double, cometapi_session):
    """max_retries=0 makes exactly one attempt."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, max_retries=0)
    cometapi_double.inject(FaultKind.SERVER_ERROR, times=2)
    with pytest.raises(ProviderUnavailableError):
        await client.submit_video(REQUEST)
    assert cometapi_double.counts["submit"] == 1


async def test_retries_are_logged_without_the_key(cometapi_client, cometapi_double, caplog):
    """Each retry logs a WARNING with endpoint and attempt number; the key never appears."""
    cometapi_double.inject(FaultKind.SERVER_ERROR, times=2, status=502)
    with caplog.at_level(logging.WARNING, logger="bot.provider.cometapi"):
        await cometapi_client.submit_video(REQUEST)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [record.getMessage().split(" failed")[0] for record in warnings] == [
        "CometAPI submit attempt 1",
        "CometAPI submit attempt 2",
    ]
    assert "502" in warnings[0].getMessage()
    assert TEST_API_KEY not in caplog.text


async def test_key_never_in_errors_reprs_or_logs(cometapi_double, cometapi_session, caplog):
    """Whatever goes wrong, the key shows in no exception text, repr or log line."""
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, max_retries=1, timeout=0.2)
    echo = upstream_error(f"invalid token {TEST_API_KEY} for this route", 4)
    cometapi_double.inject(FaultKind.SERVER_ERROR, times=2)
    cometapi_double.inject(FaultKind.RESET, times=2)
    cometapi_double.inject(FaultKind.SLOW, times=2, delay=5)
    cometapi_double.reply(400, echo)
    cometapi_double.reply(503, echo, times=2)
    errors: list[CometAPIError] = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            with pytest.raises(CometAPIError) as caught:
                await client.submit_video(REQUEST)
            errors.append(caught.value)
    kinds = [type(error) for error in errors]
    assert kinds == [ProviderUnavailableError] * 3 + [RequestRefusedError, ProviderUnavailableError]
    assert "[redacted]" in errors[3].description
    for error in errors:
        assert TEST_API_KEY not in f"{error} {error!r} {error.description} {error.args}"
    assert TEST_API_KEY not in repr(client)
    assert TEST_API_KEY not in caplog.text


async def test_wrong_key_not_echoed(cometapi_double, cometapi_session):
    """An AuthenticationError names neither the wrong key nor the right one."""
    wrong = "sk-wrong-abcdefghijklmnop"
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url, api_key=wrong)
    with pytest.raises(AuthenticationError) as caught:
        await client.fetch_task("1700000000000123")
    text = f"{caught.value} {caught.value!r}"
    assert wrong not in text
    assert TEST_API_KEY not in text
    assert "COMETAPI_KEY" in text


async def test_on_request_hook_sees_every_attempt(cometapi_double, cometapi_session):
    """on_request gets endpoint, a duration and the outcome of each attempt."""
    seen: list[tuple[str, float, str]] = []
    client = make_cometapi_client(
        cometapi_session,
        cometapi_double.base_url,
        on_request=lambda endpoint, seconds, outcome: seen.append((endpoint, seconds, outcome)),
    )
    cometapi_double.queue_full()
    cometapi_double.inject(FaultKind.SERVER_ERROR, endpoint="submit")
    result = await client.submit_video(REQUEST)
    cometapi_double.refuse_submits(4, "bad")
    with pytest.raises(RequestRefusedError):
        await client.submit_video(REQUEST)
    await client.fetch_task(result.task_id)
    assert [(endpoint, outcome) for endpoint, _, outcome in seen] == [
        ("submit", "unavailable"),
        ("submit", "busy"),
        ("submit", "ok"),
        ("submit", "refused"),
        ("fetch", "ok"),
    ]
    assert all(seconds >= 0 for _, seconds, _ in seen)


async def test_session_is_left_open(cometapi_client, cometapi_session, cometapi_double):
    """The client uses the caller's session and does not close it."""
    cometapi_double.inject(FaultKind.RESET)
    await cometapi_client.submit_video(REQUEST)
    assert not cometapi_session.closed


def test_constructor_rejects_nonsense(cometapi_session):
    """A non-http base URL or a zero chunk size is a programming error."""
    with pytest.raises(ValueError, match="http"):
        make_cometapi_client(cometapi_session, "ftp://example.com")
    with pytest.raises(ValueError, match="list_chunk_size"):
        make_cometapi_client(cometapi_session, "https://api.cometapi.com", list_chunk_size=0)
