"""/jobs and /quota end to end: the member's list, its pager, and what is used and left today."""

import datetime as dt
import re

from bot.models import Job
from tests.doubles.cometapi_jobs import TaskPlan
from tests.e2e.harness import World, make_world

CARD_LINK = re.compile(r"\[card\]\(https://discord\.com/channels/(\d+)/(\d+)/(\d+)\)")
NEXT_SLOT = re.compile(r"The next free slot opens <t:(\d+):R>\.")


def description(message) -> str:
    return message.embeds[0].get("description") or ""


def footer(message) -> str:
    return message.embeds[0]["footer"]["text"]


def pager(message) -> dict[str, dict]:
    """The /jobs page buttons by label."""
    return {c["label"]: c for c in message.iter_components() if c.get("type") == 2}


def next_utc_midnight() -> int:
    today = dt.datetime.now(dt.UTC).date()
    return int(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC).timestamp())


async def run_jobs(world: World, prompts: list[str], user=None) -> list[Job]:
    """Start one /animate per prompt and return the jobs once each is final, oldest first."""
    handles = []
    for prompt in prompts:
        handle = await world.animate(user, prompt=prompt)
        await handle.wait_response()
        handles.append(handle)
    return [
        await world.wait_job(
            lambda j, h=handle: j.card_message_id == h.original_message_id and j.status.is_final
        )
        for handle in handles
    ]


async def show(world: World, command: str, user=None, locale: str = "en-US"):
    """Run /jobs or /quota and return the private answer."""
    handle = await world.discord.slash(user or world.discord.alice, command, locale=locale)
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0 and response.type == 4
    assert handle.ephemeral
    return handle, await handle.wait_original()


async def test_jobs_with_no_jobs_says_so(world):
    """A member without jobs sees a friendly empty list and no page to move to."""
    _, message = await show(world, "jobs")

    assert message.embeds[0]["title"] == "Your recent videos"
    assert description(message) == "You haven't made any videos yet. Try /animate with an image."
    assert footer(message) == "Page 1 of 1"
    assert message.components == []  # one page: nothing to move to


async def test_jobs_lists_five_per_page_with_status_and_card_links_and_pages_on(tmp_path):
    """Seven jobs: page 1 of 2 with five entries; Next edits the same private message to page 2."""
    async with make_world(tmp_path, max_concurrent_jobs_per_user=10) as world:
        world.comet.default_plan = TaskPlan(duration=0)
        world.comet.moderate_submits("nude", prompt="nude", times=None)
        jobs = await run_jobs(world, ["one", "nude two", "three", "four", "five", "six", "nude seven"])
        handle, message = await show(world, "jobs")

        lines = description(message).splitlines()
        assert footer(message) == "Page 1 of 2" and len(lines) == 5
        newest_first = [job.id for job in reversed(jobs)]
        assert [int(re.match(r"\*\*#(\d+)\*\*", line)[1]) for line in lines] == newest_first[:5]
        assert "Failed" in lines[0] and "Done" in lines[1]
        links = [CARD_LINK.search(line) for line in lines]
        guild, channel = world.discord.guild.id, world.discord.general.id
        assert [tuple(map(int, link.groups())) for link in links] == [
            (guild, channel, job.card_message_id) for job in reversed(jobs[2:])
        ]
        buttons = pager(message)
        assert buttons["◀ Previous"].get("disabled") and not buttons["Next ▶"].get("disabled")

        click = await world.discord.click(world.discord.alice, message, buttons["Next ▶"]["custom_id"])
        response = await click.wait_response()

        assert response.type == 7  # UPDATE_MESSAGE: the list is edited in place
        assert message.ephemeral and len(message.edits) == 1 and footer(message) == "Page 2 of 2"
        second = description(message).splitlines()
        assert [int(re.match(r"\*\*#(\d+)\*\*", line)[1]) for line in second] == newest_first[5:]
        assert "Failed" in second[0] and "Done" in second[1]
        assert not pager(message)["◀ Previous"].get("disabled") and pager(message)["Next ▶"].get("disabled")
        assert handle.original_message_id == message.id and len(world.discord.bot_messages()) == 8


async def test_another_member_cannot_page_someone_elses_list(tmp_path):
    """Bob clicking Next on Alice's list is refused privately and her list stays on page 1."""
    async with make_world(tmp_path, max_concurrent_jobs_per_user=10) as world:
        world.comet.default_plan = TaskPlan(duration=0)
        await run_jobs(world, [f"job {n}" for n in range(6)])
        _, message = await show(world, "jobs")
        next_id = pager(message)["Next ▶"]["custom_id"]

        click = await world.discord.click(world.discord.bob, message, next_id)
        response = await click.wait_response()

        assert response.type == 4 and click.ephemeral
        assert "not your job" in response.data["content"]
        assert footer(message) == "Page 1 of 2" and message.edits == []


async def test_quota_before_and_after_a_delivered_job(world):
    """Used and remaining today, running now, a free slot, and the reset time as a Discord timestamp."""
    midnights = {next_utc_midnight()}
    _, before = await show(world, "quota")
    midnights.add(next_utc_midnight())  # the answer may straddle midnight
    lines = description(before).splitlines()
    assert before.embeds[0]["title"] == "Your limits today"
    assert lines[0] == "You: 0 of 10 videos today, 10 left."
    assert lines[1] == "This server: 0 of 100 videos today, 100 left."
    assert lines[2] == "Running now: 0 of 2 at once."
    assert lines[3] == "Waiting in line: 0 of 10."
    assert lines[4] == "You can start a video now."
    assert lines[5] in {f"Daily limits reset <t:{midnight}:R>." for midnight in midnights}

    await run_jobs(world, ["a cat"])
    _, after = await show(world, "quota")
    lines = description(after).splitlines()
    assert lines[0] == "You: 1 of 10 videos today, 9 left."
    assert lines[1] == "This server: 1 of 100 videos today, 99 left."


async def test_quota_shows_running_jobs_and_the_next_free_slot(world):
    """Two jobs running and one waiting: the member sees 2 of 2, 1 waiting, and when a slot frees up."""
    world.comet.default_plan = TaskPlan(duration=60)
    for prompt in ("first", "second", "third"):
        handle = await world.animate(prompt=prompt)
        await handle.wait_response()
        await world.wait_job(lambda j, h=handle: j.card_message_id == h.original_message_id)

    _, message = await show(world, "quota")

    lines = description(message).splitlines()
    assert lines[0] == "You: 0 of 10 videos today, 7 left."  # running and waiting jobs are held as spent
    assert lines[2] == "Running now: 2 of 2 at once."
    assert lines[3] == "Waiting in line: 1 of 10."
    slot = NEXT_SLOT.fullmatch(lines[4])
    assert slot is not None and int(slot[1]) > dt.datetime.now(dt.UTC).timestamp()


async def test_failed_jobs_do_not_count_against_the_quota(world):
    """A job the provider refused leaves today's count at zero."""
    world.comet.moderate_submits("nude", prompt="nude", reason="可能包含敏感词")
    await run_jobs(world, ["nude"])

    _, message = await show(world, "quota")

    lines = description(message).splitlines()
    assert lines[0] == "You: 0 of 10 videos today, 10 left."
    assert lines[2] == "Running now: 0 of 2 at once."
