"""/animate without an image, end to end: the upload form (a modal), its submit, refusals, restarts."""

from __future__ import annotations

from typing import Any

from bot.i18n import Lang
from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.model import Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, make_world, running_motionbot, settings_for
from tests.reliability.bad_input_replay import says
from tests.reliability.bad_inputs import PDF

MODAL, REPLY = 9, 4
LABEL, TEXT_INPUT, STRING_SELECT, FILE_UPLOAD = 18, 4, 3, 19


def cat() -> tuple[str, bytes, str]:
    return ("cat.png", png_bytes(width=256, height=256), "image/png")


async def open_form(world: World, locale: str = "en-US", **options: Any) -> Any:
    """Run /animate as alice without an attachment and return the handle once the bot answered."""
    handle = await world.discord.slash(world.discord.alice, "animate", options, locale=locale)
    await handle.wait_response()
    return handle


def inner(modal: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """The component with ``custom_id`` inside one of the modal's labels."""
    return next(c["component"] for c in modal["components"] if c["component"]["custom_id"] == custom_id)


def has_clips(message: Message) -> bool:
    return len(message.files) == 4


async def test_animate_without_an_image_opens_the_upload_form(world):
    """The first answer is the modal: a required single-file upload, an optional prompt, a motion choice."""
    handle = await open_form(world)

    assert handle.response.type == MODAL and handle.response.latency < 3.0
    modal = handle.modal
    assert modal["title"] == "Animate an image" and modal["custom_id"].startswith("mb:m:")
    assert [c["type"] for c in modal["components"]] == [LABEL, LABEL, LABEL]
    upload = inner(modal, "image")
    assert upload["type"] == FILE_UPLOAD
    assert (upload["min_values"], upload["max_values"], upload["required"]) == (1, 1, True)
    prompt = inner(modal, "prompt")
    assert prompt["type"] == TEXT_INPUT and prompt["required"] is False and prompt["max_length"] == 2000
    motion = inner(modal, "motion")
    assert motion["type"] == STRING_SELECT and motion["required"] is False
    assert [o["value"] for o in motion["options"]] == ["low", "high"]
    assert not any(o.get("default") for o in motion["options"])
    assert await world.store.all_jobs() == [] and world.comet.counts["submit"] == 0


async def test_a_png_submitted_through_the_form_starts_a_job_and_delivers(world):
    """The provider gets the uploaded file's CDN URL, the prompt typed and the motion chosen."""
    opened = await open_form(world, quality="720p")
    submitted = await world.discord.submit_modal(
        world.discord.alice,
        opened,
        {"prompt": "a cat walks", "motion": ["high"]},
        files={"image": [cat()]},
    )
    response = await submitted.wait_response()
    assert response.type == REPLY and not submitted.ephemeral and response.latency < 3.0

    card = await world.wait_card(lambda m: m.id == submitted.original_message_id and has_clips(m))
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    attachment_id = submitted.data["components"][0]["component"]["values"][0]
    uploaded = submitted.data["resolved"]["attachments"][attachment_id]
    assert job.image_url == uploaded["url"] and "/ephemeral-attachments/" in uploaded["url"]
    sent = world.comet.submissions[-1]
    assert sent["image"] == uploaded["url"]
    assert (sent["prompt"], sent["motion"], sent["videoType"]) == ("a cat walks", "high", "vid_1.1_i2v_720")
    assert job.requester_id == world.discord.alice.id and job.card_message_id == card.id


async def test_slash_options_prefill_the_form_and_carry_through(world):
    """motion and prompt given with /animate come preselected; an untouched form keeps them."""
    opened = await open_form(world, motion="high", prompt="waves roll in")
    motion = inner(opened.modal, "motion")
    assert [o["value"] for o in motion["options"] if o.get("default")] == ["high"]
    assert inner(opened.modal, "prompt")["value"] == "waves roll in"

    submitted = await world.discord.submit_modal(world.discord.alice, opened, files={"image": [cat()]})
    await submitted.wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    assert (job.motion.value, job.prompt) == ("high", "waves roll in")


async def test_a_pdf_uploaded_through_the_form_is_refused_like_through_the_command(world):
    """Same private message as /animate with the same file; nothing reaches the provider."""
    pdf = ("doc.pdf", PDF, "application/pdf")
    direct = await world.animate(image=PDF, filename="doc.pdf", content_type="application/pdf")
    opened = await open_form(world)
    submitted = await world.discord.submit_modal(world.discord.alice, opened, files={"image": [pdf]})

    response = await submitted.wait_response()
    assert submitted.ephemeral and response.latency < 3.0
    assert response.data["content"] == (await direct.wait_response()).data["content"]
    assert "PNG" in response.data["content"]
    assert world.comet.counts["submit"] == 0 and await world.store.all_jobs() == []


async def test_a_member_at_their_limit_is_refused_before_the_form_opens(tmp_path):
    """No form to fill in vain: the refusal is the first, private answer, as /animate with an image."""
    limits = {"max_concurrent_jobs_per_user": 1, "max_waiting_jobs_per_user": 0}
    async with make_world(tmp_path, **limits) as world:
        world.hold_jobs()
        await (await world.animate()).wait_response()
        await world.wait_job(lambda j: j.status is JobStatus.SUBMITTED)
        direct = await world.animate(locale="vi")
        handle = await open_form(world, locale="vi")

        assert handle.response.type == REPLY and handle.ephemeral and handle.modal is None
        assert handle.response.latency < 3.0
        assert handle.response.data["content"] == (await direct.wait_response()).data["content"]
        assert says(
            world.bot.services.catalogue.template(Lang.VI, "quota.exceeded.waiting"),
            handle.response.data["content"],
        )
        assert len(await world.store.all_jobs()) == 1


async def test_vietnamese_members_get_a_vietnamese_form_and_refusals(world):
    opened = await open_form(world, locale="vi")
    assert opened.modal["title"] == "Tạo video từ ảnh"
    assert [c["label"] for c in opened.modal["components"]] == [
        "Ảnh",
        "Mô tả (không bắt buộc)",
        "Chuyển động",
    ]
    tiny = ("tiny.png", png_bytes(width=16, height=16), "image/png")
    submitted = await world.discord.submit_modal(
        world.discord.alice, opened, files={"image": [tiny]}, locale="vi"
    )
    response = await submitted.wait_response()
    assert submitted.ephemeral and "64" in response.data["content"] and "ảnh" in response.data["content"]


async def test_a_form_submitted_after_a_restart_gets_a_clear_private_answer(tmp_path):
    """discord.py cannot route a modal of a previous process; the member is told to run /animate again."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            opened = await open_form(World(discord=discord, comet=comet, settings=settings, bot=bot))
        async with running_motionbot(settings, discord) as bot:
            submitted = await discord.submit_modal(
                discord.alice, opened, files={"image": [cat()]}, locale="vi"
            )
            response = await submitted.wait_response()
            expired = bot.services.catalogue.text(Lang.VI, "error.form_expired")
            jobs = await bot.services.store.all_jobs()

    assert opened.response.type == MODAL
    assert submitted.ephemeral and response.data["content"] == expired and response.latency < 3.0
    assert comet.counts["submit"] == 0 and jobs == []


async def test_a_forged_submit_of_an_open_form_without_a_file_is_refused_privately(world):
    """A real client cannot send the form without its required file; a forged one is told what to do."""
    opened = await open_form(world)
    forged = await world.discord.submit_stale_modal(
        world.discord.alice, opened.modal["custom_id"], locale="vi"
    )
    response = await forged.wait_response()

    assert forged.ephemeral and response.latency < 3.0
    assert response.data["content"] == world.bot.services.catalogue.text(Lang.VI, "error.form_no_image")
    assert world.comet.counts["submit"] == 0 and await world.store.all_jobs() == []
