"""Several ``python -m bot run`` processes on one PostgreSQL database: none is refused by the
instance lock (which guards SQLite only; tests/reliability/test_second_instance.py proves a second
bot on one SQLite file is still refused). Real child processes run the real entry point."""

from __future__ import annotations

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.reliability.subprocess_bot import running_subprocess_bot


async def test_two_run_processes_on_one_postgresql_both_start_and_stop_cleanly(tmp_path, postgres_url):
    database = tmp_path / "data" / "motionbot.sqlite3"  # the same DATABASE_PATH too: it must not matter
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
        running_subprocess_bot(
            discord, comet, database, tmp_path / "first.log", database_url=postgres_url
        ) as first,
        running_subprocess_bot(
            discord, comet, database, tmp_path / "second.log", database_url=postgres_url
        ) as second,
    ):
        assert discord.hub.identify_count == 2
        assert first.running and second.running
        for bot in (first, second):
            bot.terminate()
        assert [await bot.wait_exit() for bot in (first, second)] == [0, 0]
        for bot in (first, second):
            assert "already running" not in bot.log_text()
            assert "CRITICAL" not in bot.log_text()
    assert not database.exists()  # nothing went to the SQLite file
