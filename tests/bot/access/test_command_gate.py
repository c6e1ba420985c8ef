"""CommandGate: each server's permissions read once, kept current by updates, bounded by a budget."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.access.command_gate import CommandGate
from bot.access.command_permissions import Access, Caller, CommandRef, Overwrite, TargetType

GUILD, OTHER_GUILD, APP, COMMAND, ALICE, GENERAL = 4_000_000, 8_000_000, 42, 7, 501, 601
ALICE_HERE = Caller(ALICE, frozenset(), 0, GENERAL)
DENY_ALICE = [{"id": str(ALICE), "type": 2, "permission": False}]


def permissions_object(guild_id: int, entries: list[dict[str, Any]], target: int = COMMAND) -> dict[str, Any]:
    return {"id": str(target), "application_id": str(APP), "guild_id": str(guild_id), "permissions": entries}


class FakeDiscord:
    """Answers the two reads from ``servers``; ``hold`` keeps server reads waiting until released."""

    def __init__(self) -> None:
        self.servers: dict[int, list[dict[str, Any]]] = {}
        self.server_reads: list[int] = []
        self.command_reads = 0
        self.hold: asyncio.Event | None = None
        self.failures = 0
        self.command_failures = 0
        self.reading = asyncio.Event()  # set when a server read has begun

    async def fetch_server(self, guild_id: int) -> list[dict[str, Any]]:
        self.server_reads.append(guild_id)
        self.reading.set()
        answer = list(self.servers.get(guild_id, []))  # what Discord had when it was asked
        if self.hold is not None:
            await self.hold.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("503 Service Unavailable")
        return answer

    async def fetch_command(self) -> CommandRef:
        self.command_reads += 1
        if self.command_failures:
            self.command_failures -= 1
            raise ConnectionError("503 Service Unavailable")
        return CommandRef(COMMAND)


@pytest.fixture
def discord() -> FakeDiscord:
    return FakeDiscord()


@pytest.fixture
async def gate(discord: FakeDiscord):
    made = CommandGate(APP, discord.fetch_server, discord.fetch_command)
    yield made
    await made.close()


async def test_permissions_are_read_once_per_server(gate: CommandGate, discord: FakeDiscord):
    discord.servers[GUILD] = [permissions_object(GUILD, DENY_ALICE)]
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED
    assert await gate.access(OTHER_GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    assert discord.server_reads == [GUILD, OTHER_GUILD] and discord.command_reads == 1


async def test_members_asking_together_share_one_read(gate: CommandGate, discord: FakeDiscord):
    discord.hold = asyncio.Event()
    asking = [asyncio.create_task(gate.access(GUILD, ALICE_HERE, budget=5)) for _ in range(5)]
    await discord.reading.wait()
    discord.hold.set()
    assert await asyncio.gather(*asking) == [Access.ALLOWED] * 5
    assert discord.server_reads == [GUILD]


async def test_a_read_past_the_budget_is_unknown_and_still_serves_the_next_member(
    gate: CommandGate, discord: FakeDiscord
):
    discord.servers[GUILD] = [permissions_object(GUILD, DENY_ALICE)]
    discord.hold = asyncio.Event()
    assert await gate.access(GUILD, ALICE_HERE, budget=0.05) is Access.UNKNOWN
    discord.hold.set()
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED
    assert discord.server_reads == [GUILD]


async def test_a_failed_read_is_unknown_and_tried_again_next_time(gate: CommandGate, discord: FakeDiscord):
    discord.failures = 1
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.UNKNOWN
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    assert discord.server_reads == [GUILD, GUILD]


async def test_a_failed_command_lookup_is_unknown_and_tried_again_next_time(
    gate: CommandGate, discord: FakeDiscord
):
    discord.command_failures = 1
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.UNKNOWN
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    assert discord.command_reads == 2


async def test_an_update_changes_a_known_server_without_reading_it_again(
    gate: CommandGate, discord: FakeDiscord
):
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    gate.updated(GUILD, COMMAND, (Overwrite(ALICE, TargetType.USER, False),))
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED
    gate.updated(GUILD, COMMAND, ())
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    assert discord.server_reads == [GUILD]


async def test_an_update_arriving_during_a_read_is_applied_over_its_older_answer(
    gate: CommandGate, discord: FakeDiscord
):
    discord.hold = asyncio.Event()
    asking = asyncio.create_task(gate.access(GUILD, ALICE_HERE, budget=5))
    await discord.reading.wait()
    assert discord.server_reads == [GUILD]  # Discord answered "nothing set" ...
    gate.updated(GUILD, COMMAND, (Overwrite(ALICE, TargetType.USER, False),))  # ... then this came
    discord.hold.set()
    assert await asking is Access.MEMBER_DENIED
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED


async def test_an_update_for_a_server_not_read_yet_is_left_to_the_read(
    gate: CommandGate, discord: FakeDiscord
):
    gate.updated(GUILD, COMMAND, (Overwrite(ALICE, TargetType.USER, False),))
    discord.servers[GUILD] = [permissions_object(GUILD, [])]
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    assert discord.server_reads == [GUILD]


async def test_a_forgotten_server_is_read_again_and_a_read_under_way_is_not_kept(
    gate: CommandGate, discord: FakeDiscord
):
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.ALLOWED
    discord.servers[GUILD] = [permissions_object(GUILD, DENY_ALICE)]
    gate.forget(lambda guild_id: guild_id == GUILD)
    assert await gate.access(GUILD, ALICE_HERE, budget=1) is Access.MEMBER_DENIED

    discord.hold, discord.reading = asyncio.Event(), asyncio.Event()
    discord.servers[OTHER_GUILD] = [permissions_object(OTHER_GUILD, DENY_ALICE)]
    stale = asyncio.create_task(gate.access(OTHER_GUILD, ALICE_HERE, budget=5))
    await discord.reading.wait()
    gate.forget()
    discord.servers[OTHER_GUILD] = []
    discord.hold.set()
    assert await stale is Access.MEMBER_DENIED  # the member who asked gets that answer ...
    assert await gate.access(OTHER_GUILD, ALICE_HERE, budget=1) is Access.ALLOWED  # ... nobody else
    assert discord.server_reads == [GUILD, GUILD, OTHER_GUILD, OTHER_GUILD]


async def test_closing_stops_the_reads_under_way(discord: FakeDiscord):
    gate = CommandGate(APP, discord.fetch_server, discord.fetch_command)
    discord.hold = asyncio.Event()
    assert await gate.access(GUILD, ALICE_HERE, budget=0.05) is Access.UNKNOWN
    await asyncio.wait_for(gate.close(), 1)
    assert await gate.access(GUILD, ALICE_HERE, budget=0.05) is Access.UNKNOWN  # read again, still held
    discord.hold.set()
    await gate.close()
