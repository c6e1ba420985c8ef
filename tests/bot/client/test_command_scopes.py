"""The record of servers holding each application's commands, in a real store's meta table (both engines)."""

from __future__ import annotations

from bot.client import command_scopes


async def test_each_application_keeps_its_own_servers(store):
    big = 1_234_567_890_123_456_789
    await command_scopes.remember_guilds(store, 1, {big, 5})
    await command_scopes.remember_guilds(store, 2, {7})
    assert await command_scopes.synced_guilds(store, 1) == {big, 5}
    await command_scopes.remember_guilds(store, 1, set())
    assert await command_scopes.synced_guilds(store, 1) == set()
    assert await command_scopes.synced_guilds(store, 2) == {7}
    assert await command_scopes.synced_guilds(store, 3) == set()


async def test_an_unreadable_record_counts_as_empty_and_is_replaced(store, caplog):
    await store.set_meta(command_scopes.GUILDS_KEY, "{not json")
    assert await command_scopes.synced_guilds(store, 1) == set()
    assert "unreadable" in caplog.text
    await command_scopes.remember_guilds(store, 1, {9})
    assert await command_scopes.synced_guilds(store, 1) == {9}
