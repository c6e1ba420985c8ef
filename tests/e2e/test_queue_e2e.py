"""The fair queue end to end: jobs past a limit wait in line instead of being refused, and show it."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.models import Job, JobStatus
from bot.provider.state import ProviderCondition
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, make_world, running_motionbot, settings_for


async def post(world: World, prompt: str, user: Any = None, channel: Any = None) -> Job:
    """Run /animate (in ``channel``, #general by default) and return the stored job once its card is up."""
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    user = user or world.discord.alice
    handle = await world.discord.slash(
        user, "animate", {"prompt": prompt}, attachment=attachment, channel=channel
    )
    response = await handle.wait_response()
    assert not handle.ephemeral, response.data
    return await world.wait_job(lambda j: j.card_message_id == handle.original_message_id)


async def submitted(world: World, job: Job) -> Job:
    """Wait until ``job`` has a provider task."""
    return await world.wait_job(lambda j: j.id == job.id and j.provider_task_id is not None)


async def finish_in_turn(world: World, count: int) -> list[str]:
    """Release jobs one at a time as they reach the provider; return their prompts in submit order."""
    order: list[str] = []
    for _ in range(count):
        job = await world.wait_job(lambda j: j.status is JobStatus.SUBMITTED and j.prompt not in order)
        order.append(job.prompt)
        world.release(job)
        await world.wait_delivered(job.id)
    return order


def max_running_at_provider(comet: CometAPIDouble) -> int:
    """The most tasks the double held unfinished at once (held tasks end only when released)."""
    edges = sorted(
        [(task.created_at, 1) for task in comet.tasks.values()]
        + [(task.forced_at, -1) for task in comet.tasks.values() if task.forced_at is not None],
        key=lambda edge: (edge[0], edge[1]),
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def card_text(world: World, job: Job) -> str:
    """The state line of a job's card as shown now."""
    message = world.discord.state.messages[job.card_message_id]
    return card_parts(message).state


async def queue_answer(world: World, user: Any = None, locale: str = "en-US") -> str:
    """Run /queue and return its private answer's text."""
    handle = await world.discord.slash(user or world.discord.alice, "queue", locale=locale)
    response = await handle.wait_response()
    assert handle.ephemeral and response.latency < 3.0
    return str(response.data["embeds"][0]["description"])


async def test_a_third_job_waits_and_starts_by_itself_when_one_finishes(world: World) -> None:
    """Running limit 2: the third /animate is accepted as waiting, then submitted and delivered."""
    world.hold_jobs()
    first, second = await post(world, "one"), await post(world, "two")
    third = await post(world, "three")
    await world.wait_card(lambda m: m.id == third.card_message_id and "1st in line" in card_parts(m).state)
    assert world.comet.counts["submit"] == 2
    assert (await world.store.get_job(third.id)).status is JobStatus.QUEUED

    world.release(await submitted(world, first))
    world.release(await submitted(world, third))
    world.release(await submitted(world, second))
    for job in (first, second, third):
        await world.wait_delivered(job.id)
    assert world.comet.counts["submit"] == 3


async def test_a_full_waiting_line_is_refused_saying_how_many_wait(tmp_path) -> None:
    """One running and one waiting place: the third request is refused privately, nothing sent."""
    async with make_world(tmp_path, max_concurrent_jobs_per_user=1, max_waiting_jobs_per_user=1) as world:
        world.hold_jobs()
        await post(world, "one")
        await post(world, "two")
        handle = await world.animate(prompt="three")
        response = await handle.wait_response()
        assert handle.ephemeral
        assert response.data["content"].startswith("You already have 1 video waiting in line")
        vietnamese = await world.animate(prompt="bốn", locale="vi")
        assert (await vietnamese.wait_response()).data["content"].startswith("Bạn đã có 1 video đang chờ")
        assert world.comet.counts["submit"] == 1
        assert len(await world.store.all_jobs()) == 2


async def test_a_member_with_a_burst_does_not_starve_a_later_member(tmp_path) -> None:
    """Alice posts five, then Bob one, one provider slot: Bob's job goes before Alice's second."""
    async with make_world(tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5) as world:
        world.hold_jobs()
        for n in range(1, 6):
            await post(world, f"alice {n}")
        await post(world, "bob 1", world.discord.bob)

        order = await finish_in_turn(world, 6)

        # Alice already has a job running when Bob's arrives, so his takes the next slot.
        assert order == ["alice 1", "bob 1", "alice 2", "alice 3", "alice 4", "alice 5"]
        assert max_running_at_provider(world.comet) == 1


async def test_servers_take_turns_for_the_provider(tmp_path) -> None:
    """Server A's Bob and Dave wait in the same round as server B's Carol: the servers take turns."""
    async with make_world(tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5) as world:
        discord = world.discord
        other = await discord.add_guild("Other Server")
        async with asyncio.timeout(5):
            while world.bot.get_guild(other.id) is None:
                await asyncio.sleep(0.02)
        carol = await discord.add_user("carol", guild=other)
        dave = await discord.add_user("dave")
        world.hold_jobs()
        for n in range(1, 3):
            await post(world, f"alice {n}")
        await post(world, "bob 1", discord.bob)
        await post(world, "dave 1", dave)
        await post(world, "carol 1", carol, channel=next(iter(other.channels.values())))

        order = await finish_in_turn(world, 5)

        # Carol posted last, but her server had no turn in this round yet (Alice's first was server
        # A's); Alice already had one running, so her second waits for the next round.
        assert order == ["alice 1", "carol 1", "bob 1", "dave 1", "alice 2"]
        assert max_running_at_provider(world.comet) == 1


async def test_the_provider_cap_holds_with_many_members(tmp_path) -> None:
    """Cap 2, three members with two jobs each: never more than two at the provider, all delivered."""
    async with make_world(tmp_path, provider_max_running=2) as world:
        discord = world.discord
        carol = await discord.add_user("carol")
        world.hold_jobs()
        for user in (discord.alice, discord.bob, carol):
            for n in (1, 2):
                await post(world, f"{user.username} {n}", user)
        assert world.comet.counts["submit"] == 2

        order = await finish_in_turn(world, 6)

        assert len(order) == 6
        assert max_running_at_provider(world.comet) == 2


async def test_a_busy_provider_holds_the_line_and_every_job_is_delivered_after(tmp_path) -> None:
    """Queue full for a while: jobs wait (none fails), /queue says busy, then all are delivered."""
    async with make_world(tmp_path, provider_max_retries=0) as world:
        world.comet.queue_full(times=None)
        jobs = [await post(world, "one"), await post(world, "two", world.discord.bob)]
        tracker = world.bot.services.tracker
        async with asyncio.timeout(5):
            while tracker.provider_state.condition is not ProviderCondition.BUSY:
                await asyncio.sleep(0.02)
        assert "Video service: busy (it began <t:" in await queue_answer(world)
        # Waiting, or being offered again when a back-off ends: never failed, never at the provider.
        waiting = (JobStatus.QUEUED, JobStatus.SUBMITTING)
        assert all(j.status in waiting for j in await world.store.all_jobs())
        assert not world.comet.tasks

        world.comet.rules.clear()  # the provider has room again
        for job in jobs:
            await world.wait_delivered(job.id, timeout=15)
        assert not [j for j in await world.store.all_jobs() if j.status is JobStatus.FAILED]
        assert "working normally" in await queue_answer(world)


async def test_waiting_cards_show_their_place_and_move_up(tmp_path) -> None:
    """One slot: the third card says "2nd in line", then "1st in line" as jobs finish; no 429."""
    async with make_world(tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5) as world:
        world.hold_jobs()
        first, second, third = [await post(world, name) for name in ("one", "two", "three")]
        await world.wait_card(
            lambda m: m.id == third.card_message_id and "2nd in line, about" in card_parts(m).state
        )
        assert "1st in line" in card_text(world, second)

        world.release(await submitted(world, first))
        await world.wait_card(
            lambda m: m.id == third.card_message_id and "1st in line" in card_parts(m).state
        )
        world.release(await submitted(world, second))
        world.release(await submitted(world, third))
        await world.wait_delivered(third.id)
        assert world.discord.rate_limited_count == 0


async def test_queue_lists_the_servers_jobs_marks_yours_and_speaks_vietnamese(tmp_path) -> None:
    """/queue: running and waiting jobs with places and card links, the asker's own marked."""
    async with make_world(tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5) as world:
        discord = world.discord
        world.hold_jobs()
        mine = await post(world, "one")
        await submitted(world, mine)
        theirs = await post(world, "two", discord.bob)
        waiting_mine = await post(world, "three")

        text = await queue_answer(world)

        lines = text.splitlines()
        assert lines[0] == "**Running** (1)"
        assert lines[1].startswith(f"#{mine.id} · <@{discord.alice.id}> · ") and "**yours**" in lines[1]
        assert "[card](https://discord.com/channels/" in lines[1]
        assert lines[2] == "**Waiting** (2)"
        assert lines[3].startswith(f"1. #{theirs.id} · <@{discord.bob.id}>") and "yours" not in lines[3]
        assert lines[4].startswith(f"2. #{waiting_mine.id} · <@{discord.alice.id}> · **yours**")
        assert lines[-1] == "Video service: working normally."

        vietnamese = await queue_answer(world, discord.bob, locale="vi")
        assert "**Đang chờ** (2)" in vietnamese
        assert f"1. #{theirs.id} của <@{discord.bob.id}> · **của bạn**" in vietnamese
        assert "Dịch vụ video: hoạt động bình thường." in vietnamese


async def test_a_restart_mid_queue_keeps_the_order_and_sends_nothing_twice(tmp_path) -> None:
    """Stopped with two jobs waiting: after a restart they keep their places and each is sent once."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(
            discord, comet, tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5
        )
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            first.hold_jobs()
            jobs = [await post(first, name) for name in ("one", "two", "three")]
            await submitted(first, jobs[0])
            await first.wait_card(
                lambda m: m.id == jobs[2].card_message_id and "2nd in line" in card_parts(m).state
            )
        assert comet.counts["submit"] == 1

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            tracker = bot.services.tracker
            assert [tracker.queue_place(job.id) is not None for job in jobs] == [False, True, True]
            assert tracker.queue_place(jobs[2].id).place == 2
            order = await finish_in_turn(second, 3)

        assert order == ["one", "two", "three"]
        assert comet.counts["submit"] == 3
        assert [s["prompt"] for s in comet.submissions] == ["one", "two", "three"]
