"""Logging set-up: JSON lines, the id extras, and secrets redacted from messages and tracebacks."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import REDACTED, configure_logging
from tests import cli_support

restore_logging = cli_support.restore_logging

TOKEN = "MTIz.super-secret-discord-token.abcdefghij"
KEY = "sk-cometapi-secret-0123456789"
log = logging.getLogger("bot.test_logs")


@pytest.fixture
def json_logs(restore_logging, capsys):
    """Return a function that reads the JSON lines logged so far (secrets must never be in them)."""

    def lines() -> list[dict[str, object]]:
        err = capsys.readouterr().err
        assert TOKEN not in err and KEY not in err
        return [json.loads(line) for line in err.splitlines()]

    return lines


def use_json() -> None:
    # Inside the test, not the fixture: pytest swaps the captured stderr between set-up and the call.
    configure_logging("INFO", "json", [TOKEN, KEY])


def test_each_record_is_one_json_line_with_time_level_logger_and_message(json_logs):
    use_json()
    log.info("job %s submitted", 42)
    log.warning("second line\nwith a newline inside")
    first, second = json_logs()
    assert first["level"] == "INFO" and first["logger"] == "bot.test_logs"
    assert first["message"] == "job 42 submitted"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "second line\nwith a newline inside"
    assert "job_id" not in first


def test_the_id_extras_appear_when_given(json_logs):
    use_json()
    log.info("delivered", extra={"job_id": 7, "guild_id": 8, "user_id": 9, "error_id": "e-1f2a"})
    log.info("partly", extra={"job_id": 10})
    full, partial = json_logs()
    assert (full["job_id"], full["guild_id"], full["user_id"], full["error_id"]) == (7, 8, 9, "e-1f2a")
    assert partial["job_id"] == 10 and "guild_id" not in partial and "user_id" not in partial


def test_a_secret_in_the_message_or_its_arguments_is_redacted(json_logs):
    use_json()
    log.warning("token is %s", TOKEN)
    log.error(f"key {KEY} leaked")
    by_args, in_text = json_logs()
    assert by_args["message"] == f"token is {REDACTED}"
    assert in_text["message"] == f"key {REDACTED} leaked"


def test_a_secret_in_a_traceback_is_redacted(json_logs):
    use_json()
    try:
        raise RuntimeError(f"request failed with Authorization: Bearer {KEY}")
    except RuntimeError:
        log.exception("provider call failed")
    (record,) = json_logs()
    assert record["message"] == "provider call failed"
    assert "Traceback (most recent call last)" in record["traceback"]
    assert f"Bearer {REDACTED}" in record["traceback"]


def test_text_format_is_one_readable_line_with_secrets_redacted(restore_logging, capsys):
    configure_logging("INFO", "text", [TOKEN])
    log.info("logged in with %s", TOKEN)
    log.debug("not shown at INFO")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(f"INFO    bot.test_logs: logged in with {REDACTED}")
