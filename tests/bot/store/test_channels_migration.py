"""Migration 0012 on both engines: a server's empty channel list keeps meaning "every channel".

Before it, an empty allow-list meant every channel; after it, an empty list means none unless the
server chose "all channels". Servers that had a list keep exactly their list.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiosqlite
import asyncpg

from bot.guild_settings import commands_open_in
from bot.store import JobStore
from bot.store.migrations import load_migrations
from bot.store.postgres.schema import migrate as migrate_postgres
from bot.store.sqlite.schema import migrate as migrate_sqlite

BEFORE_0012 = 11
EVERYWHERE, LISTED = 2001, 2002
SETTINGS_ROW = (
    "INSERT INTO guild_settings (guild_id, allowed_channel_ids, reaction_channel_ids, updated_at) "
    "VALUES ({marks})"
)
STAMP = "2025-03-01T10:00:00.000000+00:00"


async def check_kept_meaning(store: JobStore) -> None:
    everywhere = await store.get_guild_settings(EVERYWHERE)
    listed = await store.get_guild_settings(LISTED)
    assert everywhere is not None and listed is not None
    assert everywhere.all_channels and commands_open_in(everywhere, 777)
    assert listed.allowed_channel_ids == {5} and not listed.all_channels
    assert commands_open_in(listed, 5) and not commands_open_in(listed, 777)


async def test_sqlite_servers_keep_what_their_list_meant(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate_sqlite(conn, path, load_migrations()[:BEFORE_0012])
        statement = SETTINGS_ROW.format(marks="?, ?, ?, ?")
        await conn.execute(statement, (EVERYWHERE, "[]", "[]", STAMP))
        await conn.execute(statement, (LISTED, "[5]", "[]", STAMP))

    async with await JobStore.open(path) as store:
        await check_kept_meaning(store)


async def test_postgres_servers_keep_what_their_list_meant(postgres_url: str) -> None:
    pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=1)
    try:
        await migrate_postgres(pool, "test", load_migrations("postgres")[:BEFORE_0012])
        statement = SETTINGS_ROW.format(marks="$1, $2, $3, $4")
        stamp = dt.datetime.fromisoformat(STAMP)
        await pool.execute(statement, EVERYWHERE, "[]", "[]", stamp)
        await pool.execute(statement, LISTED, "[5]", "[]", stamp)
    finally:
        await pool.close()

    store = await JobStore.open_postgres(postgres_url)
    try:
        await check_kept_meaning(store)
    finally:
        await store.close()
