"""Extend with a new prompt, end to end: the button opens a modal, its submit extends with the new
prompt and motion; who may, where, what an empty or over-long prompt does, restarts, and the card's
component limits once fully extended."""

from typing import Any

import pytest

from bot.models import MAX_EXTENSIONS, MAX_PROMPT_LENGTH, JobSource, JobStatus, Motion
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.components import MAX_ROW_WIDTH, MAX_ROWS
from tests.doubles.discord.components_v2 import MAX_COMPONENTS, MAX_TEXT
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, card_parts, final_answer, gallery_files, running_motionbot, settings_for
from tests.e2e.test_extend_e2e import delivered_job, extend_id, has_clips

IS_COMPONENTS_V2 = 1 << 15

NOT_YOURS = "This is not your job."


def prompt_id(job_id: int, clip: int) -> str:
    return f"mb:p:{job_id}:{clip}"


def fields(modal: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The modal's prompt text input and motion select (each inside a Label)."""
    prompt, motion = (label["component"] for label in modal["components"])
    return prompt, motion


async def open_modal(world: World, card: Any, custom_id: str, user: Any = None, locale: str = "en-US") -> Any:
    """Click an "Extend with a prompt…" button and return the handle answered with a modal."""
    click = await world.discord.click(user or world.discord.alice, card, custom_id, locale=locale)
    response = await click.wait_response()
    assert response.type == 9 and response.latency < 3.0, response.payload
    return click


async def test_the_modal_extends_with_the_new_prompt_and_motion(world):
    """The modal shows the parent's prompt and motion; its submit starts a child the provider extends
    with exactly the new (cleaned) prompt and the chosen motion, and the child is delivered."""
    discord = world.discord
    handle = await world.animate(prompt="a cat sits")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    parent = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    assert card.find_component(prompt_id(parent.id, 1))["label"] == "Extend clip 2 with a prompt…"

    opened = await open_modal(world, card, prompt_id(parent.id, 1))

    modal = opened.modal
    assert modal["custom_id"] == f"mb:pm:{parent.id}:1"
    assert modal["title"] == f"Extend clip 2 of video #{parent.id}"
    prompt, motion = fields(modal)
    assert (prompt["value"], prompt["max_length"], prompt["style"]) == ("a cat sits", MAX_PROMPT_LENGTH, 2)
    assert [(o["value"], o["default"]) for o in motion["options"]] == [("low", True), ("high", False)]
    assert [label["label"] for label in modal["components"]] == ["New prompt", "Motion"]
    assert world.comet.counts["submit"] == 1 and len(await world.store.all_jobs()) == 1  # nothing yet

    submitted = await discord.submit_modal(
        discord.alice, opened, {"prompt": "  the cat\n jumps\u200b  down ", "motion": ["high"]}
    )
    response = await submitted.wait_response()

    assert response.type == 4 and not submitted.ephemeral and response.latency < 3.0
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert (child.source, child.clip_index, child.motion) == (JobSource.EXTEND, 1, Motion.HIGH)
    assert child.prompt == "the cat jumps down" and child.requester_id == discord.alice.id
    child_card = await world.wait_card(lambda m: m.id == submitted.original_message_id and has_clips(m))
    assert "the cat jumps down" in card_parts(child_card).fields["Prompt"]
    await world.wait_delivered(child.id)
    sent = world.comet.submissions[-1]
    assert (sent["action"], sent["index"], sent["motion"]) == ("extend", 1, "high")
    assert sent["taskId"] == parent.provider_task_id and sent["prompt"] == "the cat jumps down"


async def buttons_everyone(world: World, value: str) -> None:
    """An admin lets everyone press the buttons ("on") or only the requester and moderators ("off")."""
    options = {"setting": "buttons_everyone", "value": value}
    await final_answer(await world.discord.slash(world.discord.admin, "motionbot settings set", options))


async def test_another_member_is_refused_at_the_click_and_at_the_submit(world):
    """Bob (no Manage Messages) gets no modal; when the server let everyone press the buttons as he
    opened it and stopped before he submitted, the submit is refused; nothing reaches the provider."""
    discord = world.discord
    parent, card = await delivered_job(world)
    submits = world.comet.counts["submit"]

    click = await discord.click(discord.bob, card, prompt_id(parent.id, 0))
    response = await click.wait_response()
    assert click.ephemeral and click.modal is None and NOT_YOURS in response.data["content"]

    await buttons_everyone(world, "on")
    opened = await open_modal(world, card, prompt_id(parent.id, 0), user=discord.bob)
    await buttons_everyone(world, "off")
    submitted = await discord.submit_modal(discord.bob, opened, {"prompt": "a dog", "motion": ["low"]})
    response = await submitted.wait_response()

    assert submitted.ephemeral and NOT_YOURS in response.data["content"]
    assert [job.id for job in await world.store.all_jobs()] == [parent.id]
    assert world.comet.counts["submit"] == submits


async def test_a_moderator_extends_with_a_prompt_as_their_own_job(world):
    """Someone with Manage Messages may open and submit the modal; the child is theirs."""
    discord = world.discord
    parent, card = await delivered_job(world)
    opened = await open_modal(world, card, prompt_id(parent.id, 0), user=discord.mod)
    submitted = await discord.submit_modal(discord.mod, opened, {"prompt": "slow zoom"})
    await submitted.wait_response()
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert child.requester_id == discord.mod.id and child.prompt == "slow zoom"


async def test_a_refusal_at_submit_is_in_the_members_language(world):
    """Limiting the server to another channel while the modal is open refuses the submit, in Vietnamese."""
    discord = world.discord
    parent, card = await delivered_job(world)
    opened = await open_modal(world, card, prompt_id(parent.id, 2), locale="vi")
    assert fields(opened.modal)[0]["value"] == parent.prompt
    assert [label["label"] for label in opened.modal["components"]] == ["Mô tả mới", "Chuyển động"]
    setting = await discord.slash(
        discord.admin, "motionbot settings channels", {"action": "add", "channel": discord.media}
    )
    await final_answer(setting)

    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": "a dog"}, locale="vi")
    response = await submitted.wait_response()

    assert submitted.ephemeral
    content = response.data["content"]
    assert (
        content
        == f"Không dùng được Motionbot trong kênh này. Hãy thử một trong các kênh: <#{discord.media.id}>"
    )
    assert len(await world.store.all_jobs()) == 1 and world.comet.counts["submit"] == 1


async def test_an_empty_prompt_keeps_the_parent_prompt(world):
    """Clearing the prompt (or leaving only spaces and invisible characters) extends with the original."""
    discord = world.discord
    parent, card = await delivered_job(world)
    opened = await open_modal(world, card, prompt_id(parent.id, 0))

    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": " \n\u200b "})
    await submitted.wait_response()

    child = await world.wait_job(lambda j: j.parent_job_id == parent.id)
    assert child.prompt == parent.prompt and child.motion is parent.motion  # the defaults shown
    await world.wait_delivered(child.id)
    assert world.comet.submissions[-1]["prompt"] == parent.prompt


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("the cat runs --fast", "fast` is not a video option Motionbot supports"),
        ("the cat runs https://evil.example/x.png", "Your prompt contains a link"),
        ("the cat runs --end cat.png", "`--end` can't be typed in the prompt"),
        ("the cat runs --bs 1", "bs` is not a video option Motionbot supports"),
        ("the cat runs --motion high", "Your prompt says motion high but you chose motion low"),
    ],
)
async def test_flags_typed_in_the_new_prompt_are_checked_like_any_prompt(world, typed, says):
    """Nothing typed in the modal reaches the provider as a flag: refused privately, no job, no submit."""
    discord = world.discord
    parent, card = await delivered_job(world)
    submits = world.comet.counts["submit"]
    opened = await open_modal(world, card, prompt_id(parent.id, 0))

    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": typed, "motion": ["low"]})
    answer = await final_answer(submitted)

    assert submitted.ephemeral and says in answer
    assert [job.id for job in await world.store.all_jobs()] == [parent.id]
    assert world.comet.counts["submit"] == submits


async def test_a_1000_character_prompt_is_prefilled_and_a_longer_one_is_refused(world):
    """The longest prompt fits the modal as it is; the form stops at 1,000 characters, and a tampered
    client sending more gets a private "too long" and no job."""
    discord = world.discord
    longest = "a" * MAX_PROMPT_LENGTH
    handle = await world.animate(prompt=longest)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    parent = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    opened = await open_modal(world, card, prompt_id(parent.id, 0))
    prompt, _ = fields(opened.modal)
    assert prompt["value"] == longest

    with pytest.raises(ValueError, match="at most 1000"):
        await discord.submit_modal(discord.alice, opened, {"prompt": longest + "b"})
    prompt["max_length"] = 4000  # what a tampered client would let through
    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": longest + "b"})
    response = await submitted.wait_response()

    assert submitted.ephemeral and "1001 characters" in response.data["content"]
    assert len(await world.store.all_jobs()) == 1


async def test_the_modal_is_submitted_after_a_restart(tmp_path):
    """A modal opened before a restart still extends once the new process runs (its id names the clip)."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            parent, card = await delivered_job(first)
            opened = await open_modal(first, card, prompt_id(parent.id, 3))

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            submitted = await discord.submit_modal(
                discord.alice, opened, {"prompt": "after the restart", "motion": ["high"]}
            )
            assert (await submitted.wait_response()).type == 4 and not submitted.ephemeral
            child = await second.wait_job(lambda j: j.parent_job_id == parent.id)
            await second.wait_delivered(child.id)
            assert (child.clip_index, child.motion, child.prompt) == (3, Motion.HIGH, "after the restart")
            assert comet.submissions[-1]["prompt"] == "after the restart"
            reopened = await open_modal(second, card, prompt_id(parent.id, 0))  # the button, too
            assert reopened.modal["custom_id"] == f"mb:pm:{parent.id}:0"


async def test_a_fully_extended_card_keeps_every_button_within_discords_limits(world):
    """Four chained extensions (one through the modal): the last card has one row per clip with
    Extend low, Extend high, Extend with a prompt… (all disabled) and the file link; the double
    accepted every card edit (Components V2), and the whole card stays within 40 components and
    4000 characters, its gallery showing the four clips it carries."""
    discord = world.discord
    world.comet.default_plan = TaskPlan(duration=0)
    job, card = await delivered_job(world)
    for count in range(1, MAX_EXTENSIONS + 1):
        if count == 2:
            opened = await open_modal(world, card, prompt_id(job.id, 0))
            click = await discord.submit_modal(discord.alice, opened, {"prompt": f"step {count}"})
        else:
            click = await discord.click(discord.alice, card, extend_id(job.id, 0, "l"))
        await click.wait_response()
        child = await world.wait_job(lambda j, parent=job: j.parent_job_id == parent.id)
        assert child.extension_count == count
        card = await world.wait_card(lambda m, c=click: m.id == c.original_message_id and has_clips(m))
        job = await world.wait_delivered(child.id)

    everything = list(card.iter_components())
    assert card.flags & IS_COMPONENTS_V2 and len(everything) <= MAX_COMPONENTS
    assert sum(len(c.get("content") or "") for c in everything if c["type"] == 10) <= MAX_TEXT
    assert gallery_files(card) == [file.filename for file in card.files] and len(card.files) == 4
    assert "4" in card_parts(card).extension
    rows = [c for c in everything if c["type"] == 1]
    *clip_rows, delete_row = rows  # 🗑 Delete in a row of its own (issue 22)
    assert [b["custom_id"] for b in delete_row["components"]] == [f"mb:d:{job.id}"]
    assert len(rows) == 5 <= MAX_ROWS and all(
        len(row["components"]) == 4 <= MAX_ROW_WIDTH for row in clip_rows
    )
    for clip, row in enumerate(clip_rows):
        low, high, with_prompt, link = row["components"]
        assert [low["custom_id"], high["custom_id"], with_prompt["custom_id"]] == [
            extend_id(job.id, clip, "l"),
            extend_id(job.id, clip, "h"),
            prompt_id(job.id, clip),
        ]
        assert low["disabled"] and high["disabled"] and with_prompt["disabled"]
        assert link["style"] == 5 and not link.get("disabled")
    assert not [r for r in discord.requests if r.status == 400]  # no card or edit was refused
    with pytest.raises(ValueError, match="disabled"):
        await discord.click(discord.alice, card, prompt_id(job.id, 0))
    assert job.status is JobStatus.DELIVERED


@pytest.mark.parametrize(
    ("forged", "answer"),
    [
        ("mb:pm:424242:0", "That job no longer exists."),
        ("mb:pm:{job}:7", "This job has no clip 8; it has 4."),
        ("mb:pm:{other}:0", "doesn't belong to a video job in this channel"),
    ],
)
async def test_a_forged_modal_id_is_refused_at_submit(world, forged, answer):
    """A tampered client renaming the modal (another job, a clip that does not exist, a job of another
    channel) gets a private refusal and nothing starts."""
    discord = world.discord
    other = await discord.slash(
        discord.alice,
        "animate",
        {},
        attachment=("dog.png", png_bytes(width=256, height=256), "image/png"),
        channel=discord.media,
    )
    await other.wait_response()
    other_job = await world.wait_job(lambda j: j.channel_id == discord.media.id)
    await world.wait_delivered(other_job.id)
    parent, card = await delivered_job(world)
    opened = await open_modal(world, card, prompt_id(parent.id, 0))
    opened.modal["custom_id"] = forged.format(job=parent.id, other=other_job.id)
    submits, jobs = world.comet.counts["submit"], len(await world.store.all_jobs())

    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": "a dog"})
    response = await submitted.wait_response()

    assert submitted.ephemeral and answer in response.data["content"]
    assert world.comet.counts["submit"] == submits and len(await world.store.all_jobs()) == jobs


async def test_retry_of_a_failed_extension_with_a_prompt_keeps_the_new_prompt(world):
    """An extension with a new prompt that failed is retried with that prompt, not the parent's."""
    discord = world.discord
    parent, card = await delivered_job(world)
    world.comet.moderate_submits(None)
    opened = await open_modal(world, card, prompt_id(parent.id, 1))
    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": "fly away", "motion": ["high"]})
    await submitted.wait_response()
    failed = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.status is JobStatus.FAILED)
    failed_card = await world.wait_card(
        lambda m: m.id == failed.card_message_id and f"mb:r:{failed.id}" in m.custom_ids
    )

    click = await discord.click(discord.alice, failed_card, f"mb:r:{failed.id}")
    await click.wait_response()

    retried = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.id != failed.id)
    assert (retried.clip_index, retried.motion, retried.prompt) == (1, Motion.HIGH, "fly away")
    await world.wait_delivered(retried.id)
    assert world.comet.submissions[-1]["prompt"] == "fly away"
