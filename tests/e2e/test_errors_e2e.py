"""Unexpected errors end as a short private apology whose error id is also in the logged traceback."""

import logging
import re
import sqlite3


async def test_an_unexpected_error_gets_an_apology_with_an_error_id_that_is_in_the_log(world, caplog):
    """A damaged settings row makes /animate fail inside the bot: the user sees an id, never a traceback."""
    guild = world.discord.guild.id
    with sqlite3.connect(world.settings.database_path) as db:  # damage from outside the bot's code
        db.execute(
            "INSERT INTO guild_settings (guild_id, allowed_channel_ids, updated_at) VALUES (?, ?, ?)",
            (guild, "not json", "2026-11-24T00:00:00.000000+00:00"),
        )
    with caplog.at_level(logging.ERROR):
        handle = await world.animate()
        response = await handle.wait_response()
    assert response.latency < 3.0
    assert handle.ephemeral
    content = response.payload["data"]["content"]
    assert "Traceback" not in content
    error_id = re.search(r"\b([0-9a-f]{8})\b", content)
    assert error_id, content
    logged = [r for r in caplog.records if error_id.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert world.comet.counts["submit"] == 0


async def test_the_same_apology_speaks_vietnamese(world):
    with sqlite3.connect(world.settings.database_path) as db:
        db.execute(
            "INSERT INTO guild_settings (guild_id, allowed_channel_ids, updated_at) VALUES (?, ?, ?)",
            (world.discord.guild.id, "[", "2026-11-24T00:00:00.000000+00:00"),
        )
    handle = await world.animate(locale="vi")
    response = await handle.wait_response()
    assert handle.ephemeral
    assert "mã lỗi" in response.payload["data"]["content"].lower()
