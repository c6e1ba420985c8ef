"""/animate end to end: the deadline, the public card, progress, the delivered clips and buttons."""

from bot.models import JobStatus
from tests.doubles.media import png_bytes
from tests.e2e.harness import card_parts, card_text


def has_clips(message) -> bool:
    return len(message.files) == 4


async def test_animate_answers_within_the_deadline_and_delivers_four_mp4_clips_with_buttons(world):
    handle = await world.animate(prompt="a cat walks", motion="high")
    response = await handle.wait_response()
    assert response.status == 200
    assert response.latency < 3.0
    assert response.type == 4 and not handle.ephemeral  # the public card is the reply

    card = await world.wait_card(has_clips)
    assert all(file.filename.endswith(".mp4") and file.data[4:8] == b"ftyp" for file in card.files)
    assert sum("mb:x:" in custom_id for custom_id in card.custom_ids) == 8  # 4 clips x low/high
    assert f"<@{world.discord.alice.id}>" in card_parts(card).ready
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    assert job.requester_id == world.discord.alice.id
    assert job.motion.value == "high" and job.prompt == "a cat walks"
    submitted = world.comet.submissions[-1]
    assert submitted["motion"] == "high" and submitted["state"] == f"motionbot:{job.id}"
    assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 1


async def test_card_shows_progress_before_the_clips(world):
    from tests.doubles.cometapi_jobs import TaskPlan

    world.comet.default_plan = TaskPlan(duration=1.5)
    handle = await world.animate()
    await handle.wait_response()
    running = await world.wait_card(lambda m: "%" in card_parts(m).state)
    assert not running.files
    done = await world.wait_card(has_clips)
    assert done.id == running.id  # one message per job, edited in place


async def test_bad_image_is_refused_privately_without_touching_the_provider(world):
    handle = await world.animate(image=png_bytes(width=16, height=16))
    response = await handle.wait_response()
    assert response.latency < 3.0
    assert handle.ephemeral
    assert "64" in response.payload["data"]["content"]
    assert world.comet.counts["submit"] == 0
    assert await world.store.all_jobs() == []


async def test_vietnamese_locale_gets_vietnamese_answers(world):
    handle = await world.animate(image=png_bytes(width=16, height=16), locale="vi")
    response = await handle.wait_response()
    assert "Ảnh" in response.payload["data"]["content"] or "ảnh" in response.payload["data"]["content"]


async def test_failed_job_shows_the_reason_and_is_not_charged(world):
    world.comet.moderate_submits("nude", prompt="nude", reason="可能包含敏感词")
    handle = await world.animate(prompt="nude")
    await handle.wait_response()
    card = await world.wait_card(lambda m: "nude" in card_parts(m).state or "敏感词" in card_text(m))
    assert not card.files
    job = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 0


async def test_each_lifecycle_log_line_carries_the_job_guild_and_user_ids(world, caplog):
    """Queued, submitted, succeeded and delivered log lines carry ids that LOG_FORMAT=json prints."""
    import logging

    with caplog.at_level(logging.INFO):
        handle = await world.animate()
        await handle.wait_response()
        job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    tagged = [r for r in caplog.records if getattr(r, "job_id", None) == job.id]
    words = " ".join(r.getMessage() for r in tagged)
    for step in ("queued", "submitted", "succeeded", "delivered"):
        assert step in words
    assert all(r.guild_id == job.guild_id and r.user_id == job.requester_id for r in tagged)
