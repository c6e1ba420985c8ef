"""Gateway faults end to end: RECONNECT and INVALID_SESSION mid-job, and interactions right after."""

from __future__ import annotations

import asyncio

from bot.models import Job, JobSource
from tests.doubles.discord import Message
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts

# discord.py waits 5 s in before_identify_hook before any IDENTIFY that is not the first.
REIDENTIFY_TIMEOUT = 10.0


def is_delivered(message: Message) -> bool:
    """The card of a delivered job: four clips and the requester mentioned."""
    return len(message.files) == 4 and "your video is ready" in card_parts(message).ready


async def job_waiting_at_the_provider(world: World) -> Job:
    """Start an /animate job that stays at the provider until ``world.release``."""
    world.hold_jobs()
    handle = await world.animate()
    assert (await handle.wait_response()).accepted
    return await world.wait_job(lambda j: j.provider_task_id is not None)


async def react_on_image(world: World) -> Message:
    """Bob posts a PNG in #general and Alice reacts 🎬 to it."""
    discord = world.discord
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    image = await discord.post_message(discord.bob, discord.general, "look", attachments=[attachment])
    await discord.add_reaction(discord.alice, image, "🎬")
    return image


async def test_reconnect_mid_job_resumes_replays_missed_events_and_delivers(world):
    """op 7 mid-job: the bot RESUMEs, handles a reaction sent while it was away, and delivers both."""
    discord = world.discord
    job = await job_waiting_at_the_provider(world)
    await discord.force_reconnect()
    image = await react_on_image(world)  # dispatched while the bot is reconnecting: buffered
    await discord.wait_resumed(1)
    assert discord.hub.identify_count == 1 and discord.hub.connections[-1].mode == "resume"
    assert "MESSAGE_REACTION_ADD" in [event.name for event in discord.hub.connections[-1].replayed]

    world.release(job)
    assert (await world.wait_delivered(job.id)).card_message_id is not None
    reaction_job = await world.wait_job(
        lambda j: j.source is JobSource.REACTION and j.provider_task_id is not None
    )
    world.release(reaction_job)
    await world.wait_delivered(reaction_job.id)
    card = await world.wait_card(lambda m: m.reference is not None and is_delivered(m))
    assert card.reference is not None and card.reference["message_id"] == str(image.id)


async def test_resumable_invalid_session_mid_job_resumes_and_delivers(world):
    """op 9 (resumable) mid-job: the bot RESUMEs without a new IDENTIFY and the job is delivered."""
    discord = world.discord
    job = await job_waiting_at_the_provider(world)
    await discord.invalidate_session(resumable=True)
    await discord.wait_resumed(1)
    assert discord.hub.identify_count == 1
    world.release(job)
    card = await world.wait_card(is_delivered)
    assert card.id == job.card_message_id
    await world.wait_delivered(job.id)


async def test_invalid_session_mid_job_reidentifies_and_delivers(world):
    """op 9 (not resumable) mid-job: after discord.py's 5 s pause the bot IDENTIFYs anew and delivers."""
    discord = world.discord
    job = await job_waiting_at_the_provider(world)
    await discord.invalidate_session(resumable=False)
    await discord.wait_identified(2, timeout=REIDENTIFY_TIMEOUT)
    assert discord.hub.connections[-1].mode == "identify"
    world.release(job)
    await world.wait_delivered(job.id)
    # The new session serves users: a slash command is answered on it.
    handle = await world.animate()
    assert (await handle.wait_response()).accepted


async def test_interaction_right_after_a_reconnect_is_answered_within_the_deadline(world):
    """/animate sent while the bot is reconnecting is answered in time once it RESUMEs."""
    discord = world.discord
    await discord.force_reconnect()
    started = asyncio.get_running_loop().time()
    handle = await world.animate()
    response = await handle.wait_response()
    assert response.accepted and response.latency < 3.0
    assert asyncio.get_running_loop().time() - started < 3.0
    assert discord.hub.resume_count == 1
    await world.wait_card(is_delivered)
