"""Extend buttons end to end: who may press them, what they start, their limits, and restarts."""

import pytest

from bot.models import MAX_EXTENSIONS, Job, JobSource, JobStatus, Motion
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_parts, final_answer, running_motionbot, settings_for

EXTEND_LOW, EXTEND_HIGH = "l", "h"


def has_clips(message) -> bool:
    return len(message.files) == 4


def extend_id(job_id: int, clip: int, motion: str) -> str:
    return f"mb:x:{job_id}:{clip}:{motion}"


def button(message, custom_id: str) -> dict:
    component = message.find_component(custom_id)
    assert component is not None, f"{custom_id} not in {message.custom_ids}"
    return component


def forge(message, custom_id: str, forged_id: str) -> None:
    """Rewrite one button of a message the way a tampering client would send it."""
    component = button(message, custom_id)
    component["custom_id"] = forged_id
    component["disabled"] = False


async def delivered_job(world: World, user=None) -> tuple[Job, object]:
    """Run /animate and return the delivered job and its card."""
    handle = await world.animate(user)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    job_id = int(card.custom_ids[0].split(":")[2])
    return await world.wait_delivered(job_id), card


async def test_requester_extends_clip_two_with_high_motion(world):
    """A click makes a child job with its own public card and delivery; the provider gets an extend."""
    discord = world.discord
    parent, card = await delivered_job(world)
    custom_id = extend_id(parent.id, 1, EXTEND_HIGH)
    assert button(card, custom_id)["label"] == "Extend clip 2 (high motion)"

    click = await discord.click(discord.alice, card, custom_id)
    response = await click.wait_response()

    assert response.latency < 3.0 and response.type == 4 and not click.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert (child.source, child.clip_index, child.extension_count) == (JobSource.EXTEND, 1, 1)
    assert child.motion is Motion.HIGH and child.requester_id == discord.alice.id
    child_card = await world.wait_card(lambda m: m.id == click.original_message_id and has_clips(m))
    assert child_card.id != card.id
    assert f"from #{parent.id}" in card_parts(child_card).title
    assert sum(cid.startswith(f"mb:x:{child.id}:") for cid in child_card.custom_ids) == 8
    await world.wait_delivered(child.id)
    submitted = world.comet.submissions[-1]
    assert submitted["action"] == "extend" and submitted["index"] == 1
    assert submitted["taskId"] == parent.provider_task_id and submitted["motion"] == "high"


async def test_another_member_cannot_extend_someone_elses_job(world):
    """Bob gets a private "not your job" and nothing is stored or sent to the provider."""
    discord = world.discord
    parent, card = await delivered_job(world)
    submits = world.comet.counts["submit"]

    click = await discord.click(discord.bob, card, extend_id(parent.id, 0, EXTEND_LOW))
    response = await click.wait_response()

    assert click.ephemeral and "not your job" in response.data["content"]
    assert [job.id for job in await world.store.all_jobs()] == [parent.id]
    assert world.comet.counts["submit"] == submits


async def test_member_with_manage_messages_may_extend(world):
    """A moderator's click starts a child job owned by the moderator."""
    discord = world.discord
    parent, card = await delivered_job(world)

    click = await discord.click(discord.mod, card, extend_id(parent.id, 0, EXTEND_LOW))
    await click.wait_response()

    assert not click.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert child.requester_id == discord.mod.id and child.motion is Motion.LOW


async def test_server_setting_lets_everyone_press_the_buttons(world):
    """With buttons_everyone on (set by an admin), any member may extend."""
    discord = world.discord
    parent, card = await delivered_job(world)
    setting = await discord.slash(
        discord.admin, "motionbot settings set", {"setting": "buttons_everyone", "value": "on"}
    )
    assert await final_answer(setting) == "Who may press Extend is now: Everyone"

    click = await discord.click(discord.bob, card, extend_id(parent.id, 3, EXTEND_HIGH))
    await click.wait_response()

    assert not click.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert child.requester_id == discord.bob.id and child.clip_index == 3


async def test_extend_of_a_failed_job_gives_the_reason_privately(world):
    """A button naming a failed job (as a stale or forged client would send) is refused plainly."""
    discord = world.discord
    world.comet.moderate_submits("nude", prompt="nude", reason="可能包含敏感词")
    failing = await world.animate(prompt="nude")
    await failing.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED and j.card_message_id is not None)
    # The failed job's own card, given the button a stale or forged client would show.
    card = discord.state.messages[failed.card_message_id]
    button = {"type": 2, "style": 2, "label": "Extend", "custom_id": extend_id(failed.id, 0, EXTEND_LOW)}
    card.components = [{"type": 1, "id": 1, "components": [{**button, "id": 2}]}]

    click = await discord.click(discord.alice, card, extend_id(failed.id, 0, EXTEND_LOW))
    response = await click.wait_response()

    assert click.ephemeral and "didn't produce any clips" in response.data["content"]
    assert not any(job.parent_job_id for job in await world.store.all_jobs())


async def test_forged_clip_index_out_of_range_is_refused(world):
    """A custom id asking for clip 8 of a four-clip job is refused and starts nothing."""
    discord = world.discord
    parent, card = await delivered_job(world)
    forged = extend_id(parent.id, 7, EXTEND_LOW)
    forge(card, extend_id(parent.id, 0, EXTEND_LOW), forged)
    submits = world.comet.counts["submit"]

    click = await discord.click(discord.alice, card, forged)
    response = await click.wait_response()

    assert click.ephemeral and response.data["content"] == "This job has no clip 8; it has 4."
    assert world.comet.counts["submit"] == submits
    assert len(await world.store.all_jobs()) == 1


async def test_extend_buttons_are_disabled_after_four_chained_extensions(world):
    """The fourth extension's card shows disabled Extend buttons, and a forged click is refused."""
    discord = world.discord
    world.comet.default_plan = TaskPlan(duration=0)
    job, card = await delivered_job(world)
    for count in range(1, MAX_EXTENSIONS + 1):
        click = await discord.click(discord.alice, card, extend_id(job.id, 0, EXTEND_LOW))
        await click.wait_response()
        child = await world.wait_job(lambda j, parent=job: j.parent_job_id == parent.id)
        assert child.extension_count == count
        card = await world.wait_card(lambda m, c=click: m.id == c.original_message_id and has_clips(m))
        job = await world.wait_delivered(child.id)

    extend_buttons = [c for c in card.iter_components() if c.get("custom_id", "").startswith("mb:x:")]
    assert len(extend_buttons) == 8 and all(c.get("disabled") for c in extend_buttons)
    assert all(c.get("url") and not c.get("disabled") for c in card.iter_components() if c.get("style") == 5)
    with pytest.raises(ValueError, match="disabled"):
        await discord.click(discord.alice, card, extend_id(job.id, 0, EXTEND_LOW))
    forge(card, extend_id(job.id, 0, EXTEND_LOW), extend_id(job.id, 0, EXTEND_LOW))
    click = await discord.click(discord.alice, card, extend_id(job.id, 0, EXTEND_LOW))
    response = await click.wait_response()
    assert click.ephemeral and "already been extended 4 times" in response.data["content"]


async def test_unknown_button_gets_a_polite_private_answer(world):
    """A button no handler knows (an old version's, or forged) answers "this button no longer works"."""
    discord = world.discord
    message = await discord.post_message(discord.bob, discord.general, "old message")
    message.components = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "Old", "custom_id": "mb:zz:1", "id": 1}]}
    ]

    click = await discord.click(discord.alice, message, "mb:zz:1")
    response = await click.wait_response()

    assert response.latency < 3.0
    assert click.ephemeral and "no longer works" in response.data["content"]


async def test_buttons_keep_working_after_a_restart_on_the_same_database(tmp_path):
    """A card delivered before a restart still extends with the new process (DynamicItems)."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            parent, card = await delivered_job(first)
        assert not discord.gateway_connected

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            click = await discord.click(discord.alice, card, extend_id(parent.id, 2, EXTEND_HIGH))
            response = await click.wait_response()
            assert response.type == 4 and not click.ephemeral
            child = await second.wait_job(lambda j: j.parent_job_id == parent.id)
            await second.wait_delivered(child.id)
            assert child.clip_index == 2 and child.motion is Motion.HIGH
            assert comet.submissions[-1]["taskId"] == parent.provider_task_id


async def test_extend_in_a_channel_the_server_no_longer_allows_is_refused(world):
    """Limiting commands to other channels also stops Extend buttons in the old ones."""
    parent, card = await delivered_job(world)
    media = world.discord.media
    setting = await world.discord.slash(
        world.discord.admin, "motionbot settings channels", {"action": "add", "channel": media}
    )
    await final_answer(setting)
    click = await world.discord.click(world.discord.alice, card, extend_id(parent.id, 0, EXTEND_LOW))
    response = await click.wait_response()
    assert click.ephemeral
    assert f"<#{media.id}>" in response.payload["data"]["content"]
    assert world.comet.counts["submit"] == 1
