"""Issue 21 end to end: the ledger charges what the provider bills, one person is one person in every
server, and the operator's money caps refuse naming the budget and when it renews."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.models import Charge, JobStatus, LedgerState
from tests.doubles.discord.model import Guild
from tests.e2e.harness import World, make_world
from tests.e2e.test_cancel_retry_e2e import (
    UPDATE_MESSAGE,
    asked_to_confirm,
    cancelled_by,
    confirm_id,
    shows_cancelled,
    started_job,
)
from tests.e2e.test_limits_e2e import finished, refused
from tests.e2e.test_queue_e2e import finish_in_turn, post

PRICE = 200_000  # the default price of a 4-clip 480p video: 4 x 0.05 USD


def renewals() -> set[int]:
    """The next UTC midnight and the first of the next month (and the ones after, should a test straddle)."""
    today = dt.datetime.now(dt.UTC).date()
    days = {today + dt.timedelta(days=d) for d in (1, 2)}
    months = {
        dt.date(d.year + d.month // 12, d.month % 12 + 1, 1) for d in (today, today + dt.timedelta(days=1))
    }
    return {int(dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC).timestamp()) for d in days | months}


def renews_when_said(text: str) -> bool:
    return any(f"<t:{moment}:R>" in text for moment in renewals())


async def joined(world: World, name: str, *members: Any) -> Guild:
    """Have the bot join another server with ``members`` in it, and wait until it knows it."""
    guild = await world.discord.add_guild(name, members=members)
    async with asyncio.timeout(5):
        while world.bot.get_guild(guild.id) is None:
            await asyncio.sleep(0.02)
    return guild


def general(guild: Guild) -> Any:
    return next(iter(guild.channels.values()))


# -- Cancel: free while waiting, charged (and said so first) once at the provider ----------------


async def test_cancel_after_the_submit_names_the_price_first_and_the_job_stays_charged(world):
    """Cancel of a job the provider has: a private question naming its price (en, vi); nothing changes
    until "Cancel anyway"; then the card says cancelled and still counting, and the ledger charges it."""
    discord = world.discord
    world.hold_jobs()
    job, card = await started_job(world, JobStatus.SUBMITTED)

    vietnamese = await discord.click(discord.alice, card, f"mb:c:{job.id}", locale="vi")
    question_vi = (await vietnamese.wait_response()).data["content"]
    question = await asked_to_confirm(world, discord.alice, job, card)
    assert "0.20 USD" in question_vi and "Vẫn hủy chứ?" in question_vi
    assert question.content == (
        f"Video #{job.id} is already at the video service, which can't recall it and bills it: cancelled "
        "now, it still costs 0.20 USD and counts against your limits. Cancel it anyway?"
    )
    assert (await world.store.get_job(job.id)).status is JobStatus.SUBMITTED  # asked, not done

    confirm = await discord.click(discord.alice, question, confirm_id(job.id))
    response = await confirm.wait_response()
    await world.wait_card(lambda m: m.id == card.id and shows_cancelled(m, charged=True))

    assert response.type == UPDATE_MESSAGE and response.latency < 3.0
    assert "It stays charged 0.20 USD" in response.data["content"] and not response.data["components"]
    assert (await world.store.get_job(job.id)).status is JobStatus.CANCELLED
    assert await world.store.charge_of(job.id) == Charge(LedgerState.CHARGED, 1, PRICE)
    assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 1


async def test_cancel_anyway_follows_the_cancel_rules_and_is_too_late_once_the_job_finished(world):
    """Bob pressing "Cancel anyway" on Alice's question (as a forged click would) is refused like her
    Cancel; once the job is done, her own confirmation says it is too late and changes nothing."""
    discord = world.discord
    world.hold_jobs()
    job, card = await started_job(world, JobStatus.SUBMITTED)
    question = await asked_to_confirm(world, discord.alice, job, card)

    forged = await discord.click(discord.bob, question, confirm_id(job.id))
    assert "This is not your job" in (await forged.wait_response()).data["content"]
    world.release(job)
    await world.wait_delivered(job.id)
    late = await discord.click(discord.alice, question, confirm_id(job.id))

    assert (await late.wait_response()).data[
        "content"
    ] == f"Too late to cancel: video #{job.id} is already done."
    assert (await world.store.get_job(job.id)).status is JobStatus.DELIVERED


async def test_a_waiting_job_cancelled_is_free_and_gives_its_budget_back(tmp_path):
    """A person's daily budget fits two videos: with one running and one waiting in line behind it
    (one at a time), a third is refused; cancelling the waiting one (no question asked: it never
    reached the provider) releases its price, and the next video is taken."""
    options = {"budget_person_day": "0.40", "max_concurrent_jobs_per_user": 1}
    async with make_world(tmp_path, **options) as world:
        world.hold_jobs()
        first = await world.animate(prompt="at the provider")
        await first.wait_response()
        at_provider = (JobStatus.SUBMITTED, JobStatus.RUNNING)
        await world.wait_job(lambda j: j.prompt == "at the provider" and j.status in at_provider)
        job, card = await started_job(world, JobStatus.QUEUED, prompt="waiting")
        content = await refused(await world.animate(prompt="a third one"))
        assert "your daily budget of 0.40 USD (all servers together) has 0.00 USD left" in content

        await cancelled_by(world, world.discord.alice, job, card)

        assert await world.store.charge_of(job.id) == Charge(LedgerState.RELEASED, 1, PRICE)
        again = await world.animate(prompt="a fourth one")
        await again.wait_response()
        assert not again.ephemeral  # its card: the released price made room
        assert world.comet.counts["submit"] == 1  # the cancelled job never reached the provider


# -- One person in N servers is one person -------------------------------------------------------


async def test_one_person_in_three_servers_has_one_daily_limit_and_one_line(tmp_path):
    """MAX_DAILY_JOBS_PER_USER=1 holds across servers (issue 21: it gave one video per server); and a
    person whose running and waiting places are taken in one server has none in another."""
    async with make_world(
        tmp_path, max_daily_jobs_per_user=1, max_concurrent_jobs_per_user=1, max_waiting_jobs_per_user=0
    ) as world:
        alice = world.discord.alice
        second, third = [await joined(world, name, alice) for name in ("Second", "Third")]
        world.hold_jobs()
        held = await post(world, "held", alice)
        # At the provider, not waiting its turn: on a loaded machine it may still be in line a moment.
        held = await world.wait_job(lambda j: j.id == held.id and j.provider_task_id is not None)
        content = await refused(await world.animate(channel=general(second)))
        assert "already have 0 videos waiting in line, the most you can queue (0)" in content

        world.release(held)
        await world.wait_delivered(held.id)
        for guild in (second, third):
            content = await refused(await world.animate(channel=general(guild)))
            assert "your daily limit of 1 video" in content
        assert len(await world.store.all_jobs()) == 1


async def test_one_person_in_three_servers_takes_one_turn_in_line(tmp_path):
    """One slot, Bob's job at the provider. Alice posts in three servers, then Dave once: Dave goes
    second, not fourth (issue 21: Alice took the places ahead of him through her other servers)."""
    async with make_world(tmp_path, provider_max_running=1, max_concurrent_jobs_per_user=5) as world:
        discord = world.discord
        dave = await discord.add_user("dave")
        second, third = [await joined(world, name, discord.alice) for name in ("Second", "Third")]
        world.hold_jobs()
        await post(world, "bob", discord.bob)
        await post(world, "alice here", discord.alice)
        await post(world, "alice second", discord.alice, channel=general(second))
        await post(world, "alice third", discord.alice, channel=general(third))
        await post(world, "dave", dave)

        order = await finish_in_turn(world, 5)

        assert order == ["bob", "alice here", "dave", "alice second", "alice third"]


# -- The operator's money caps -------------------------------------------------------------------


async def test_the_operators_bot_budget_holds_across_every_server(tmp_path):
    """BUDGET_BOT_DAY fits two videos: Alice's here and Bob's in another server take it; Carol's in a
    third server is refused naming Motionbot's daily budget and when it renews, in her language."""
    async with make_world(tmp_path, budget_bot_day="0.40") as world:
        discord = world.discord
        bob, carol = discord.bob, await discord.add_user("carol")
        second, third = await joined(world, "Second", bob), await joined(world, "Third", carol)
        assert (await finished(world, await world.animate())).status is JobStatus.DELIVERED
        bobs = await finished(world, await world.animate(bob, channel=general(second)))
        assert bobs.status is JobStatus.DELIVERED

        english = await refused(await world.animate(carol, channel=general(third)))
        vietnamese = await refused(await world.animate(carol, channel=general(third), locale="vi"))

        assert english.startswith("This video costs 0.20 USD, and Motionbot's daily budget of 0.40 USD")
        assert "has 0.00 USD left" in english and renews_when_said(english)
        assert "ngân sách hằng ngày 0.40 USD của Motionbot" in vietnamese and renews_when_said(vietnamese)
        assert len(await world.store.all_jobs()) == 2


async def test_the_operators_server_budget_wins_over_the_servers_own_limits(tmp_path):
    """BUDGET_SERVER_MONTH fits two videos of a server, whatever its daily job limits allow: the third
    is refused naming the server's monthly budget (renewing on the 1st); another server is unaffected."""
    async with make_world(tmp_path, max_daily_jobs_per_guild=1000, budget_server_month="0.40") as world:
        discord = world.discord
        second = await joined(world, "Second", discord.alice)
        for user in (discord.alice, discord.bob):
            assert (await finished(world, await world.animate(user))).status is JobStatus.DELIVERED

        content = await refused(await world.animate(discord.bob, quality="480p", clips="1"))
        elsewhere = await finished(world, await world.animate(channel=general(second)))

        assert "this server's monthly budget of 0.40 USD has 0.00 USD left" in content
        assert "This video costs 0.05 USD" in content and renews_when_said(content)
        assert elsewhere.status is JobStatus.DELIVERED
