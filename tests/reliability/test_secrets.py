"""Secrets stay secret: a full run at LOG_LEVEL=DEBUG, then a search for the token, the key and the
interaction tokens.

The run covers a job delivered and extended, a provider error, a provider error body that echoes
the key, a Discord 429 on a card edit and an unexpected error (a traceback). Logging is set up the
way ``python -m bot`` sets it up (``configure_logging`` with the level from the settings), written to
a file, and a second handler keeps every raw record of every logger (discord.py, aiohttp, aiosqlite
included) before any redaction. Then neither secret may appear in either log, in the SQLite files,
in anything the Discord double received or stored, or in anything the CometAPI double received
outside the Authorization header. No interaction token the double issued may appear in the bot's log
(they are in the raw records: discord.py logs them at DEBUG); ``test_interaction_tokens`` goes further.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.models import FailureKind, JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_faults import FaultKind, submit_body, upstream_error
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.config import DoubleConfig
from tests.e2e.harness import World, running_motionbot, settings_for
from tests.reliability.secrets_scan import interaction_tokens, production_logs

DISCORD_TOKEN = "MTQ5OTk5.Gsecret.discord-token-LEAKCHECK-4b1d9e"
COMETAPI_KEY = "sk-LEAKCHECK-cometapi-key-8c2f71a05e"
SECRETS = (DISCORD_TOKEN, COMETAPI_KEY)
CARD_EDIT = "PATCH /webhooks/{webhook_id}/{token}/messages/{message_id}"
UNAUTHENTICATED = (
    "POST /interactions/",
    "GET /webhooks/",
    "POST /webhooks/",
    "PATCH /webhooks/",
    "DELETE /webhooks/",
)


@pytest.fixture
def log_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Yield (the bot's own DEBUG log, every raw record); restore the root logger afterwards."""
    with production_logs(tmp_path, "text", SECRETS) as files:
        yield files


async def full_run(world: World) -> dict[str, bytes]:
    """Run every path the test covers; return the SQLite files' bytes read while the bot runs."""
    discord, comet = world.discord, world.comet
    comet.inject(FaultKind.SERVER_ERROR, endpoint="submit", status=503)
    discord.inject_fault(CARD_EDIT, status=429, times=2, retry_after=0.05)
    handle = await world.animate(prompt="a cat walks")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
    parent = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    click = await discord.click(discord.alice, card, f"mb:x:{parent.id}:0:l")
    await click.wait_response()
    child = await world.wait_job(lambda job: job.parent_job_id == parent.id)
    await world.wait_delivered(child.id)

    echo = upstream_error(f"invalid api key {COMETAPI_KEY} for this group", code=4)
    comet.reply_to_submits(400, echo, prompt="echo")
    duplicate = submit_body(1, "提交成功", result=parent.provider_task_id)
    comet.reply_to_submits(200, duplicate, prompt="duplicate")
    for prompt in ("echo", "duplicate"):
        started = await world.animate(prompt=prompt)
        await started.wait_response()
        await world.wait_job(lambda job, prompt=prompt: job.prompt == prompt and job.status.is_final)
    path = world.settings.database_path
    return {
        name: Path(f"{path}{name}").read_bytes() for name in ("", "-wal") if Path(f"{path}{name}").exists()
    }


def leaks(text: str | bytes) -> list[str]:
    """Return the secrets found in ``text``."""
    data = text.encode() if isinstance(text, str) else text
    return [secret for secret in SECRETS if secret.encode() in data]


def discord_side(discord: DiscordDouble) -> str:
    """Everything the Discord double received (bodies, paths, uploads) or keeps (messages)."""
    parts = []
    for record in discord.requests:
        parts += [record.path, json.dumps(record.query), json.dumps(record.payload, default=str)]
        parts += [upload.data.decode("latin-1") for upload in record.files]
    for message in discord.state.messages.values():
        for revision in message.history:
            parts += [revision.content, json.dumps(revision.embeds), json.dumps(revision.components)]
            parts += [stored.data.decode("latin-1") for stored in revision.attachments]
    return "\n".join(parts)


def cometapi_side(comet: CometAPIDouble) -> str:
    """Everything the CometAPI double received except the Authorization header (bodies and paths)."""
    parts = [json.dumps(body, default=str) for body in comet.submissions]
    parts += [record.path for record in comet.request_log]
    parts += [json.dumps(ids) for ids in comet.list_queries]
    return "\n".join(parts)


async def test_no_secret_in_logs_database_discord_or_provider_after_a_debug_run(tmp_path, log_files):
    """Neither the Discord token nor the CometAPI key appears anywhere they must not be."""
    bot_log, raw_log = log_files
    async with (
        DiscordDouble(DoubleConfig(token=DISCORD_TOKEN), message_content=True) as discord,
        CometAPIDouble.serve(api_key=COMETAPI_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3)
        settings = settings_for(
            discord, comet, tmp_path / "data", cometapi_key=COMETAPI_KEY, log_level="DEBUG"
        )
        async with running_motionbot(settings, discord) as bot:
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            live_database = await full_run(world)
            jobs = await world.store.all_jobs()

    statuses = sorted((job.status, job.failure_kind) for job in jobs)
    assert statuses == sorted(
        [
            (JobStatus.DELIVERED, None),
            (JobStatus.DELIVERED, None),
            (JobStatus.FAILED, FailureKind.REFUSED),
            (JobStatus.FAILED, FailureKind.INTERNAL),
        ]
    )
    assert discord.rate_limited_count >= 1 and comet.counts["submit"] >= 5
    bot_requests = [r for r in discord.requests if r.route and not r.route.startswith(UNAUTHENTICATED)]
    assert bot_requests and all(r.authorization == f"Bot {DISCORD_TOKEN}" for r in bot_requests)
    bot_text, raw_text = bot_log.read_text(encoding="utf-8"), raw_log.read_text(encoding="utf-8")
    for logger in (
        "discord.http",
        "discord.gateway",
        "discord.client",
        "aiohttp",
        "bot.tracking.tracker",
        "bot.provider.cometapi",
    ):
        assert f" {logger}" in raw_text, f"nothing logged by {logger}"
    assert "Traceback" in bot_text and "DEBUG" in bot_text and "429" in raw_text

    assert leaks(bot_text) == []
    assert leaks(raw_text) == []
    assert {name: leaks(data) for name, data in live_database.items()} == {name: [] for name in live_database}
    assert leaks(settings.database_path.read_bytes()) == []
    assert leaks(discord_side(discord)) == []
    assert leaks(cometapi_side(comet)) == []
    tokens = interaction_tokens(discord).values()
    assert len(tokens) >= 2 and all(token in raw_text for token in tokens)  # discord.py logged them
    assert [token for token in tokens if token in bot_text] == []
    assert "[redacted]" in next(job.error or "" for job in jobs if job.failure_kind is FailureKind.REFUSED)
