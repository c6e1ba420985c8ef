"""Cancel and Retry buttons end to end: who may press them, what they stop or start, and restarts."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.models import Job, JobSource, JobStatus, Motion, Quality
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, final_answer, make_world, running_motionbot, settings_for

DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
CANCELLED = "Cancelled: no video will be posted."
NOT_CHARGED = "This job did not count against your daily limit."
STILL_CHARGED = "The video service already had this job and bills it, so it still counts against your limits."
BUSY_HOLD = "provider busy; submissions held for %.1f s"  # bot/tracking/tracker.py
CAT = ("cat.png", png_bytes(width=256, height=256), "image/png")


def cancel_id(job_id: int) -> str:
    return f"mb:c:{job_id}"


def retry_id(job_id: int) -> str:
    return f"mb:r:{job_id}"


def description(message: Message) -> str:
    return card_parts(message).state


def shows_cancelled(message: Message, *, charged: bool = False) -> bool:
    """The card says cancelled and whether it still counts (it does once sent); only 🗑 Delete is left."""
    footer = card_parts(message).notes
    note = STILL_CHARGED if charged else NOT_CHARGED
    only_delete = [custom_id.startswith("mb:d:") for custom_id in message.custom_ids] == [True]
    return description(message) == CANCELLED and note in footer and only_delete


def tasks_of(world: World, job: Job) -> list[str]:
    """Return the provider tasks created for ``job`` (the double keeps the ``state`` of each submit)."""
    return [task_id for task_id, task in world.comet.tasks.items() if task.body.get("state") == job.state_tag]


async def card_with_button(world: World, job: Job, custom_id: str) -> Message:
    return await world.wait_card(lambda m: m.id == job.card_message_id and custom_id in m.custom_ids)


async def started_job(world: World, status: JobStatus, **options: object) -> tuple[Job, Message]:
    """Run /animate as alice; return the job once in ``status`` and its card showing Cancel."""
    handle = await world.animate(**options)
    await handle.wait_response()
    job = await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is status
    )
    return job, await card_with_button(world, job, cancel_id(job.id))


async def held_back(caplog: pytest.LogCaptureFixture, job: Job, *, seconds: float) -> None:
    """Wait until the provider's busy answers hold ``job`` back (QUEUED) for ``seconds`` or more.

    Until then the tracker sends it again every few hundredths of a second, and a click that lands
    while it is being sent rightly asks to confirm instead: a slow machine made that race a failure.
    """

    def long_hold(record: logging.LogRecord) -> bool:
        held = record.msg == BUSY_HOLD and getattr(record, "job_id", None) == job.id
        return held and float(record.args[0]) >= seconds  # type: ignore[index]

    async with asyncio.timeout(10):
        while not any(map(long_hold, caplog.records)):
            await asyncio.sleep(0.02)


async def cancelled_by(world: World, user, job: Job, card: Message) -> Job:
    """Click Cancel as ``user`` on a waiting job; the click updates the card, which then says cancelled."""
    click = await world.discord.click(user, card, cancel_id(job.id))
    response = await click.wait_response()
    assert response.type == DEFERRED_UPDATE and response.latency < 3.0
    await world.wait_card(lambda m: m.id == card.id and shows_cancelled(m))
    return await world.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)


async def asked_to_confirm(world: World, user, job: Job, card: Message) -> Message:
    """Click Cancel as ``user`` on a job at the provider: a private question, and nothing changes yet."""
    click = await world.discord.click(user, card, cancel_id(job.id))
    response = await click.wait_response()
    assert response.type == 4 and click.ephemeral and response.latency < 3.0
    question = click.original_message
    assert question is not None and confirm_id(job.id) in question.custom_ids
    assert (await world.store.get_job(job.id)).status is job.status
    return question


async def cancelled_anyway(world: World, user, job: Job, card: Message) -> Job:
    """Cancel a job at the provider: Cancel, then "Cancel anyway"; the card says it still counts."""
    question = await asked_to_confirm(world, user, job, card)
    confirm = await world.discord.click(user, question, confirm_id(job.id))
    assert (await confirm.wait_response()).type == UPDATE_MESSAGE
    await world.wait_card(lambda m: m.id == card.id and shows_cancelled(m, charged=True))
    return await world.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)


def confirm_id(job_id: int) -> str:
    return f"mb:cc:{job_id}"


async def delivered_barrier(world: World) -> Job:
    """Run one more job to delivery: every poll the tracker made meanwhile is behind us."""
    handle = await world.animate()
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
    return await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))


async def test_a_waiting_job_is_cancelled_before_the_provider_ever_takes_it(tmp_path, caplog):
    """A job the provider has not taken (queue full today; waiting for a slot with the fair queue) is
    cancelled: it never becomes a provider task, its card says cancelled, nothing is charged."""
    async with make_world(tmp_path, provider_max_retries=0) as world:
        world.comet.queue_full(times=None)
        job, card = await started_job(world, JobStatus.QUEUED)
        await held_back(caplog, job, seconds=1.0)

        cancelled = await cancelled_by(world, world.discord.alice, job, card)
        world.comet.rules.clear()
        barrier = await delivered_barrier(world)

        assert cancelled.status is JobStatus.CANCELLED and cancelled.provider_task_id is None
        assert tasks_of(world, job) == []
        assert (await world.store.get_job(job.id)).status is JobStatus.CANCELLED
        usage = await world.store.usage_today(world.discord.guild.id, world.discord.alice.id)
        assert usage.user_today == 1 and barrier.id != job.id  # only the barrier counted
        listing = await world.discord.slash(world.discord.alice, "jobs")
        await listing.wait_response()
        entries = str((await listing.wait_original()).embeds[0]["description"]).splitlines()
        assert any(f"**#{job.id}** · Cancelled" in entry for entry in entries), entries


async def test_a_running_job_is_cancelled_and_its_late_result_is_ignored(world):
    """Cancelled while the provider works: when the provider then finishes, nothing is posted. The
    provider billed it, so it counts (issue 21): it and the barrier job."""
    world.hold_jobs()
    job, card = await started_job(world, JobStatus.SUBMITTED)

    await cancelled_anyway(world, world.discord.alice, job, card)
    world.release(job)
    world.comet.default_plan = TaskPlan(duration=0.3)
    await delivered_barrier(world)

    stored = await world.store.get_job(job.id)
    assert stored.status is JobStatus.CANCELLED and stored.clip_urls == ()
    shown = world.discord.state.messages[card.id]
    assert shows_cancelled(shown, charged=True) and not shown.files
    assert not [
        m for m in world.discord.bot_messages() if any(f"motionbot-{job.id}-" in f.filename for f in m.files)
    ]
    assert (await world.store.usage_today(world.discord.guild.id, world.discord.alice.id)).user_today == 2


async def test_another_member_may_not_cancel_but_a_moderator_may(world):
    """Bob gets a private "not your job" and the job runs on; a member with Manage Messages cancels it."""
    discord = world.discord
    world.hold_jobs()
    job, card = await started_job(world, JobStatus.SUBMITTED)

    click = await discord.click(discord.bob, card, cancel_id(job.id))
    response = await click.wait_response()
    assert click.ephemeral and "not your job" in response.data["content"]
    assert (await world.store.get_job(job.id)).status is JobStatus.SUBMITTED

    cancelled = await cancelled_anyway(world, discord.mod, job, card)
    assert cancelled.status is JobStatus.CANCELLED


async def test_cancel_after_the_video_was_delivered_is_refused_privately(world):
    """A stale Cancel button on a delivered job (as an outdated client shows it) says it is too late."""
    discord = world.discord
    job = await delivered_barrier(world)
    card = discord.state.messages[job.card_message_id]
    button = {"type": 2, "style": 4, "label": "Cancel", "custom_id": cancel_id(job.id), "id": 99}
    card.components = [*card.components, {"type": 1, "id": 98, "components": [button]}]

    click = await discord.click(discord.alice, card, cancel_id(job.id))
    response = await click.wait_response()

    assert (
        click.ephemeral
        and response.data["content"] == f"Too late to cancel: video #{job.id} is already done."
    )
    assert (await world.store.get_job(job.id)).status is JobStatus.DELIVERED


async def test_retry_after_a_moderation_failure_starts_a_new_job_with_the_same_options(world):
    """Retry makes a new job (new card, charged like any job) with the same image, motion, quality, prompt."""
    discord = world.discord
    world.comet.moderate_submits("nude", prompt="nude")
    handle = await world.animate(prompt="a nude statue", motion="high", quality="720p")
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await card_with_button(world, failed, retry_id(failed.id))

    click = await discord.click(discord.alice, card, retry_id(failed.id))
    response = await click.wait_response()

    assert response.type == 4 and not click.ephemeral and response.latency < 3.0
    retried = await world.wait_job(lambda j: j.id != failed.id)
    assert retried.card_message_id == click.original_message_id != failed.card_message_id
    assert (retried.motion, retried.quality, retried.prompt) == (Motion.HIGH, Quality.HD, "a nude statue")
    assert (retried.source, retried.image_url) == (JobSource.SLASH, failed.image_url)
    await world.wait_card(lambda m: m.id == click.original_message_id and len(m.files) == 4)
    await world.wait_delivered(retried.id)
    first, second = world.comet.submissions
    assert (second["image"], second["prompt"], second["motion"]) == (first["image"], first["prompt"], "high")
    assert second["state"] == f"motionbot:{retried.id}"
    assert (await world.store.usage_today(discord.guild.id, discord.alice.id)).user_today == 1


async def test_retry_of_a_failed_extension_extends_the_same_clip_again(world):
    """An extension that failed is retried as the same extension: same parent clip and motion."""
    discord = world.discord
    parent = await delivered_barrier(world)
    card = discord.state.messages[parent.card_message_id]
    world.comet.moderate_submits(None)
    extend = await discord.click(discord.alice, card, f"mb:x:{parent.id}:2:h")
    await extend.wait_response()
    failed = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.status is JobStatus.FAILED)
    failed_card = await card_with_button(world, failed, retry_id(failed.id))

    click = await discord.click(discord.alice, failed_card, retry_id(failed.id))
    assert (await click.wait_response()).type == 4 and not click.ephemeral

    retried = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.id != failed.id)
    assert (retried.clip_index, retried.motion, retried.extension_count) == (2, Motion.HIGH, 1)
    await world.wait_delivered(retried.id)
    submitted = world.comet.submissions[-1]
    assert submitted["action"] == "extend" and submitted["index"] == 2
    assert submitted["taskId"] == parent.provider_task_id


async def test_retry_when_the_source_message_was_deleted_asks_for_a_new_upload(world):
    """The image is fetched again from its message; a deleted message gives a clear private message."""
    discord = world.discord
    world.comet.moderate_submits(None)
    source = await discord.post_message(discord.bob, discord.general, "my cat", attachments=[CAT])
    command = await discord.message_command(discord.alice, "Animate image", source)
    await command.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await card_with_button(world, failed, retry_id(failed.id))
    await discord.delete_message(source)
    requests = sum(world.comet.counts.values())

    click = await discord.click(discord.alice, card, retry_id(failed.id))
    await click.wait_response()
    (answer,) = await click.wait_followups()

    assert answer.ephemeral and f"image of video #{failed.id}" in answer.content
    assert "upload the image again" in answer.content
    assert sum(world.comet.counts.values()) == requests
    assert [job.id for job in await world.store.all_jobs()] == [failed.id]
    assert click.original_message is None or click.original_message.deleted  # the new card is withdrawn


async def test_retry_when_the_uploaded_file_is_gone_asks_for_a_new_upload(world):
    """A /animate attachment is downloaded again from its stored URL; a 404 (deleted, expired) is told."""
    discord = world.discord
    world.comet.moderate_submits(None)
    handle = await world.animate()
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await card_with_button(world, failed, retry_id(failed.id))
    for file_id, stored in list(discord.state.files.items()):
        if stored.url == failed.image_url:
            del discord.state.files[file_id]
    requests = sum(world.comet.counts.values())

    click = await discord.click(discord.alice, card, retry_id(failed.id))
    await click.wait_response()
    (answer,) = await click.wait_followups()

    assert answer.ephemeral and "upload the image again" in answer.content
    assert sum(world.comet.counts.values()) == requests
    assert len(await world.store.all_jobs()) == 1


async def test_cancel_and_retry_buttons_keep_working_after_a_restart(tmp_path):
    """Buttons sent before a restart work with the new process (DynamicItems rebuilt from their ids)."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=3600)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            job, card = await started_job(first, JobStatus.SUBMITTED)
            comet.moderate_submits(None)
            failed_handle = await first.animate()
            await failed_handle.wait_response()
            failed = await first.wait_job(lambda j: j.status is JobStatus.FAILED)
            failed_card = await card_with_button(first, failed, retry_id(failed.id))

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await cancelled_anyway(second, discord.alice, job, discord.state.messages[card.id])
            comet.default_plan = TaskPlan(duration=0.3)
            click = await discord.click(discord.alice, failed_card, retry_id(failed.id))
            assert (await click.wait_response()).type == 4 and not click.ephemeral
            retried = await second.wait_job(lambda j: j.id not in (job.id, failed.id))
            await second.wait_delivered(retried.id)


async def test_a_cancel_stored_just_before_a_crash_reaches_the_card_after_restart(tmp_path):
    """A job cancelled in the store whose card still shows it running says cancelled after a restart."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=3600)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            job, _ = await started_job(first, JobStatus.SUBMITTED)
        # What a crash between storing the cancel and editing the card leaves behind:
        store = await JobStore.open(settings.database_path)
        try:
            await store.mark_cancelled(job.id)
        finally:
            await store.close()

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            # It was at the provider: the card says it still counts.
            await second.wait_card(lambda m: m.id == job.card_message_id and shows_cancelled(m, charged=True))
            shown = await second.wait_job(lambda j: j.id == job.id and j.final_shown_at is not None)
            assert shown.status is JobStatus.CANCELLED


async def everyone_may_press(world: World) -> None:
    """The admin lets every member press the buttons (the setting is about Extend)."""
    handle = await world.discord.slash(
        world.discord.admin, "motionbot settings set", {"setting": "buttons_everyone", "value": "everyone"}
    )
    await final_answer(handle)
    assert (await world.store.get_guild_settings(world.discord.guild.id)).buttons_everyone


async def test_everyone_may_press_does_not_let_another_member_cancel(world):
    """With everyone allowed to press, Bob still may not cancel Alice's job; the requester still may."""
    discord = world.discord
    await everyone_may_press(world)
    world.hold_jobs()
    job, card = await started_job(world, JobStatus.SUBMITTED)

    for locale, expected in (
        ("en-US", f"This is not your job. Only the member who started video #{job.id}, or someone with"),
        ("vi", f"Đây không phải yêu cầu của bạn. Chỉ người tạo video #{job.id}"),
    ):
        click = await discord.click(discord.bob, card, cancel_id(job.id), locale=locale)
        response = await click.wait_response()
        assert click.ephemeral and response.data["content"].startswith(expected)
    assert (await world.store.get_job(job.id)).status is JobStatus.SUBMITTED

    cancelled = await cancelled_anyway(world, discord.alice, job, card)
    assert cancelled.status is JobStatus.CANCELLED


async def test_everyone_may_press_does_not_let_another_member_retry(world):
    """Retry replaces the requester's failed job, so with everyone allowed it still stays theirs."""
    discord = world.discord
    await everyone_may_press(world)
    world.comet.moderate_submits("nude", prompt="nude")
    handle = await world.animate(prompt="a nude statue")
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await card_with_button(world, failed, retry_id(failed.id))
    submits = world.comet.counts["submit"]

    click = await discord.click(discord.bob, card, retry_id(failed.id))
    response = await click.wait_response()

    assert click.ephemeral and response.data["content"] == (
        f"This is not your job. Only the member who started video #{failed.id}, or someone with Manage "
        "Messages, can retry it (letting everyone press the buttons only covers Extend)."
    )
    assert [j.id for j in await world.store.all_jobs()] == [failed.id]
    assert world.comet.counts["submit"] == submits
