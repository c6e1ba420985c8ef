"""Logging set-up: JSON lines, the id extras, and secrets redacted from messages and tracebacks."""

from __future__ import annotations

import json
import logging

import pytest

from bot.ops.logs import REDACTED, configure_logging
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


INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ="
WEBHOOK_TOKEN = "Xy9-webhook_TOKEN.value"
TOKEN_LINES = [
    # discord.gateway at DEBUG: the whole INTERACTION_CREATE payload
    (
        "For Shard ID %s: WebSocket Event: %s",
        (0, {"t": "INTERACTION_CREATE", "d": {"id": "1400", "token": INTERACTION_TOKEN, "type": 2}}),
        ["'id': '1400'", "'token': '[redacted]'"],
    ),
    # discord.http at DEBUG, and its 429 warning at any level
    (
        "%s %s with %s has returned %s",
        ("POST", f"https://discord.com/api/v10/interactions/1400/{INTERACTION_TOKEN}/callback", None, 204),
        ["/interactions/1400/[redacted]/callback"],
    ),
    (
        "We are being rate limited. %s %s responded with 429. Retrying in %.2f seconds.",
        ("PATCH", f"https://discord.com/api/v10/webhooks/77/{WEBHOOK_TOKEN}/messages/@original", 0.5),
        ["/webhooks/77/[redacted]/messages/@original"],
    ),
    # JSON text, a repr with a token field, a query string, and a bare interaction token
    ('payload {"token": "%s", "application_id": "77"}', (WEBHOOK_TOKEN,), ['"token": "[redacted]"', '"77"']),
    ("Webhook(id=77, interaction_token='%s')", (INTERACTION_TOKEN,), ["interaction_token='[redacted]'"]),
    ("GET /hook?token=%s&x=1", (WEBHOOK_TOKEN,), ["?token=[redacted]&x=1"]),
    ("stray %s here", (INTERACTION_TOKEN,), ["stray [redacted] here"]),
]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_interaction_and_webhook_tokens_are_redacted_and_ids_kept(restore_logging, capsys, fmt):
    configure_logging("DEBUG", fmt, [TOKEN, KEY])
    for template, args, _ in TOKEN_LINES:
        logging.getLogger("discord.gateway").debug(template, *args)
    err = capsys.readouterr().err
    assert INTERACTION_TOKEN not in err and WEBHOOK_TOKEN not in err
    lines = err.splitlines()
    messages = [json.loads(line)["message"] for line in lines] if fmt == "json" else lines
    assert len(messages) == len(TOKEN_LINES)
    for message, (_, _, kept) in zip(messages, TOKEN_LINES, strict=True):
        for part in kept:
            assert part in message, message


def test_a_token_in_a_traceback_is_redacted(json_logs):
    use_json()
    try:
        raise RuntimeError(f"404 for https://discord.com/api/v10/webhooks/77/{WEBHOOK_TOKEN}/messages/1")
    except RuntimeError:
        log.exception("card edit failed")
    (record,) = json_logs()
    assert "/webhooks/77/[redacted]/messages/1" in record["traceback"]
    assert WEBHOOK_TOKEN not in record["traceback"]


def test_lines_without_tokens_are_left_alone(json_logs):
    use_json()
    log.info("token_expires_at=%s, job %s, the tokens are fine", "2026-01-01", 5)
    (record,) = json_logs()
    assert record["message"] == "token_expires_at=2026-01-01, job 5, the tokens are fine"
