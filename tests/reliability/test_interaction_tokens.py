"""No interaction or webhook token in any log line (issue 18, item 5), end to end at LOG_LEVEL=DEBUG.

The real bot runs between the doubles with its logging set up as ``python -m bot`` sets it up at DEBUG,
in the text and in the JSON format, while a second handler keeps every raw record before redaction.
Members use a slash command (its card then edited through the interaction's webhook, clips uploaded
through it), click a button (Extend), open a form from a button and submit it (Extend with a prompt…),
and change a setting (a deferred answer filled in by a follow-up). Every token the double issued is in
the raw records (discord.py logs gateway payloads and request URLs at DEBUG, so the test can fail),
none is in the bot's log, and the lines still say which interaction they were about.
"""

from __future__ import annotations

import json

import pytest

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.config import DoubleConfig
from tests.e2e.harness import World, final_answer, running_motionbot, settings_for
from tests.e2e.test_extend_e2e import has_clips
from tests.reliability.secrets_scan import interaction_tokens, log_messages, production_logs

DISCORD_TOKEN = "MTQ5OTk5.Gsecret.discord-token-TOKENCHECK-77ab"
COMETAPI_KEY = "sk-TOKENCHECK-cometapi-key-19d3"


async def delivered_child(world: World, parent_id: int, opened_by) -> None:
    """Wait until the extension of ``parent_id`` started by ``opened_by`` has its clips on its card."""
    await opened_by.wait_response()
    await world.wait_card(lambda m: m.id == opened_by.original_message_id and has_clips(m))
    await world.wait_job(lambda j: j.parent_job_id == parent_id and j.status.name == "DELIVERED")


async def interactions_of_every_kind(world: World) -> None:
    """A slash command, a button click, a form opened and submitted, and a deferred settings change."""
    discord = world.discord
    handle = await world.animate(prompt="a cat walks")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    parent = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    await delivered_child(world, parent.id, await discord.click(discord.alice, card, f"mb:x:{parent.id}:0:l"))
    opened = await discord.click(discord.alice, card, f"mb:p:{parent.id}:1")
    assert (await opened.wait_response()).type == 9  # the form
    submitted = await discord.submit_modal(
        discord.alice, opened, {"prompt": "the cat jumps", "motion": ["high"]}
    )
    await delivered_child(world, parent.id, submitted)

    change = {"setting": "default_motion", "value": "high"}
    answer = await final_answer(await discord.slash(discord.admin, "motionbot settings set", change))
    assert answer.endswith("is now: High")


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_no_interaction_token_is_logged_at_debug_and_the_ids_are(tmp_path, fmt):
    with production_logs(tmp_path, fmt, (DISCORD_TOKEN, COMETAPI_KEY)) as (bot_log, raw_log):
        async with (
            DiscordDouble(DoubleConfig(token=DISCORD_TOKEN), message_content=True) as discord,
            CometAPIDouble.serve(api_key=COMETAPI_KEY) as comet,
        ):
            comet.default_plan = TaskPlan(duration=0.2)
            settings = settings_for(
                discord,
                comet,
                tmp_path / "data",
                cometapi_key=COMETAPI_KEY,
                log_level="DEBUG",
                log_format=fmt,
            )
            async with running_motionbot(settings, discord) as bot:
                await interactions_of_every_kind(World(discord, comet, settings, bot))
        tokens = interaction_tokens(discord)
        application_id = discord.state.application_id

    raw = raw_log.read_text(encoding="utf-8")
    if fmt == "json":
        [json.loads(line) for line in bot_log.read_text(encoding="utf-8").splitlines()]  # one object a line
    logged = log_messages(bot_log, fmt)
    assert len(tokens) >= 5 and all(token in raw for token in tokens.values())
    assert [name for name, token in tokens.items() if token in logged] == []
    assert [secret for secret in (DISCORD_TOKEN, COMETAPI_KEY) if secret in logged] == []
    # Still useful: each interaction's callback and gateway payload are there, ids kept, tokens not.
    for name in tokens:
        interaction_id = name.split()[1]
        assert f"/interactions/{interaction_id}/[redacted]/callback" in logged
        assert f"'id': '{interaction_id}'" in logged
    assert logged.count("'token': '[redacted]'") >= len(tokens)
    assert f"/webhooks/{application_id}/[redacted]/messages/" in logged  # card edits, follow-ups
