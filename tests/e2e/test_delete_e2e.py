"""Deleting a job end to end (issue 22, item 4): the 🗑 button on the card and /delete job:<id>.

The requester, the poster of the image and moderators may delete a job; anyone else is refused
privately. Deleting removes the card, the clip replies and /show re-posts, the archived clips, and
marks the job deleted so /show refuses it; the ledger keeps its cost. A job still at the video
service asks first, as Cancel does, and stays charged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.i18n import Lang
from bot.models import Job, JobStatus
from cogs.cards import CardEditor, CardRenderer
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord.interactions import InteractionHandle
from tests.doubles.discord.model import Message, User
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, make_world

DONE = "Video #{job_id} is deleted: its card, its clips and the copies kept. What it cost stays counted."
DONE_VI = "Đã xóa video #{job_id}: thẻ, các clip và các bản sao đã lưu. Chi phí của nó vẫn được tính."
GONE = "Video #{job_id} was deleted, so it can't be shown or used any more."
AGAIN = "Video #{job_id} was already deleted. I removed whatever of it was still left."
NOT_ALLOWED = (
    "Only the member who made video #{job_id}, the member who posted its image, or someone with "
    "Manage Messages in the channel where it was made can delete it."
)
NOT_ALLOWED_VI = "Chỉ người tạo video #{job_id}, người đã đăng ảnh của nó"
CAT = ("cat.png", png_bytes(width=256, height=256), "image/png")
MIB = 1024 * 1024


def delete_id(job_id: int) -> str:
    return f"mb:d:{job_id}"


def delete_confirm_id(job_id: int) -> str:
    return f"mb:dc:{job_id}"


async def delivered(world: World, handle: InteractionHandle) -> tuple[Job, Message]:
    """The job the interaction started, once delivered, and its card showing 🗑."""
    await handle.wait_response()
    job = await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is JobStatus.DELIVERED
    )
    card = await world.wait_card(lambda m: m.id == job.card_message_id and delete_id(job.id) in m.custom_ids)
    return job, card


async def posted_image(world: World, author: User) -> Message:
    discord = world.discord
    return await discord.post_message(author, discord.general, "my cat", attachments=[CAT])


async def by_button(world: World, user: User, card: Message, job: Job, *, locale: str = "en-US") -> str:
    """Press 🗑 on ``card`` as ``user``; return the private answer."""
    click = await world.discord.click(user, card, delete_id(job.id), locale=locale)
    return await private_answer(click)


async def by_command(world: World, user: User, job_id: int, *, locale: str = "en-US") -> str:
    """Run /delete job:<id> as ``user`` (in #general); return the private answer."""
    handle = await world.discord.slash(user, "delete", {"job": job_id}, locale=locale)
    return await private_answer(handle)


async def private_answer(handle: InteractionHandle) -> str:
    """The answer, always private: a refusal at once, or the result after a private "thinking…"."""
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0 and handle.ephemeral
    if response.type == 4:
        return str(response.data["content"])
    answer = await handle.wait_original(lambda m: not m.loading, timeout=10)  # the follow-up fills it in
    return str(answer.content)


async def assert_deleted(world: World, job: Job, messages: list[Message], spent: object) -> None:
    """The job is marked deleted, every message of it is gone, its cost unchanged, /show refuses it."""
    stored = await world.store.get_job(job.id)
    assert stored is not None and stored.deleted and stored.status is job.status
    assert all(world.discord.state.messages[m.id].deleted for m in messages)
    assert await world.store.charge_of(job.id) == spent
    show = await world.discord.slash(world.discord.alice, "show", {"job": job.id})
    assert await private_answer(show) == GONE.format(job_id=job.id)


async def test_the_requester_deletes_by_the_button_clip_replies_re_posts_and_archive_included(tmp_path):
    """Alice's video has a clip reply (7 MiB clips split the post) and a /show re-post in #media;
    🗑 removes all three messages and the archived clips, and the charge stays as it was."""
    archive = tmp_path / "archive"
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        discord = world.discord
        world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
        job, card = await delivered(world, await world.animate())
        reply = await world.wait_card(lambda m: m.id != card.id and bool(m.files))
        show = await discord.slash(discord.alice, "show", {"job": job.id}, channel=discord.media)
        await show.wait_response()
        repost = await show.wait_original(lambda m: not m.loading and bool(m.files), timeout=10)
        # The clip reply, the re-post and the re-post's own reply with the fourth clip.
        job = await world.wait_job(lambda j: j.id == job.id and len(j.posts) == 3)
        spent = await world.store.charge_of(job.id)
        assert spent is not None and (archive / str(job.id)).is_dir()

        assert await by_button(world, discord.alice, card, job) == DONE.format(job_id=job.id)

        posts = [discord.state.messages[message_id] for _, message_id in job.posts]
        assert {reply.id, repost.id} < {m.id for m in posts}
        await assert_deleted(world, job, [card, *posts], spent)
        assert not (archive / str(job.id)).exists()


async def test_the_poster_of_the_image_deletes_a_reaction_job_by_command(world: World) -> None:
    """Bob posted the image, Alice animated it with the reaction: Bob may delete it (in Vietnamese)."""
    discord = world.discord
    source = await posted_image(world, discord.bob)
    await discord.add_reaction(discord.alice, source, "🎬")
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    card = discord.state.messages[job.card_message_id]
    assert job.source_author_id == discord.bob.id
    spent = await world.store.charge_of(job.id)

    assert await by_command(world, discord.bob, job.id, locale="vi") == DONE_VI.format(job_id=job.id)

    await assert_deleted(world, job, [card], spent)
    assert not discord.state.messages[source.id].deleted  # the member's own message stays


async def test_the_poster_of_the_image_deletes_a_message_command_job_by_the_button(world: World) -> None:
    discord = world.discord
    source = await posted_image(world, discord.bob)
    job, card = await delivered(world, await discord.message_command(discord.alice, "Animate image", source))
    spent = await world.store.charge_of(job.id)

    assert await by_button(world, discord.bob, card, job) == DONE.format(job_id=job.id)

    await assert_deleted(world, job, [card], spent)


async def test_a_moderator_deletes_by_the_button_and_by_command(world: World) -> None:
    discord = world.discord
    first, first_card = await delivered(world, await world.animate())
    second, second_card = await delivered(world, await world.animate())
    spent = [await world.store.charge_of(job.id) for job in (first, second)]

    assert await by_button(world, discord.mod, first_card, first) == DONE.format(job_id=first.id)
    assert await by_command(world, discord.mod, second.id) == DONE.format(job_id=second.id)

    await assert_deleted(world, first, [first_card], spent[0])
    await assert_deleted(world, second, [second_card], spent[1])
    listed = await discord.slash(discord.alice, "jobs", {})
    lines = (await listed.wait_original()).embeds[0]["description"].splitlines()
    # Alice's list keeps both with their price, as deleted: nothing to show again, no card to open.
    assert len(lines) == 2 and all(
        "Deleted" in line and "/show" not in line and "[card]" not in line for line in lines
    )


async def test_another_member_is_refused_by_button_and_command_and_nothing_changes(world: World) -> None:
    """Bob neither made Alice's /animate video nor posted its image, and does not moderate."""
    discord = world.discord
    job, card = await delivered(world, await world.animate())

    assert await by_button(world, discord.bob, card, job) == NOT_ALLOWED.format(job_id=job.id)
    assert await by_command(world, discord.bob, job.id) == NOT_ALLOWED.format(job_id=job.id)
    vietnamese = await by_command(world, discord.bob, job.id, locale="vi")
    assert vietnamese.startswith(NOT_ALLOWED_VI.format(job_id=job.id))

    stored = await world.store.get_job(job.id)
    assert stored is not None and not stored.deleted
    assert not discord.state.messages[card.id].deleted


async def test_a_deleted_jobs_old_buttons_say_gone_and_deleting_again_finds_nothing(world: World) -> None:
    """A job at the video service asks first (Delete anyway, still charged), like Cancel. The private
    questions still on screen afterwards answer politely that the video was deleted."""
    discord = world.discord
    world.hold_jobs()
    handle = await world.animate()
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.SUBMITTED)
    card = await world.wait_card(lambda m: m.id == job.card_message_id and delete_id(job.id) in m.custom_ids)
    cancel = await discord.click(discord.alice, card, f"mb:c:{job.id}")
    await cancel.wait_response()
    cancel_question = cancel.original_message
    assert cancel_question is not None

    click = await discord.click(discord.alice, card, delete_id(job.id))
    response = await click.wait_response()
    assert response.type == 4 and click.ephemeral
    assert (await world.store.get_job(job.id)).status is JobStatus.SUBMITTED  # nothing yet
    question = click.original_message
    assert question is not None and "Delete it anyway?" in question.content
    confirm = await discord.click(discord.alice, question, delete_confirm_id(job.id))
    assert await private_answer(confirm) == DONE.format(job_id=job.id)

    stored = await world.wait_job(lambda j: j.id == job.id and j.deleted)
    assert stored.status is JobStatus.CANCELLED
    charge = await world.store.charge_of(job.id)
    assert charge is not None and charge.state == "charged"
    assert discord.state.messages[card.id].deleted
    # Deleting again only removes what is left (nothing here); every other button says it is gone.
    again = await discord.click(discord.alice, question, delete_confirm_id(job.id))
    assert await private_answer(again) == AGAIN.format(job_id=job.id)
    late_cancel = await discord.click(discord.alice, cancel_question, f"mb:cc:{job.id}")
    assert await private_answer(late_cancel) == GONE.format(job_id=job.id)
    assert await by_command(world, discord.alice, job.id) == AGAIN.format(job_id=job.id)


async def test_a_waiting_job_is_cancelled_free_and_deleted_at_once(tmp_path: Path) -> None:
    async with make_world(tmp_path, provider_max_retries=0) as world:
        world.comet.queue_full(times=None)
        handle = await world.animate()
        await handle.wait_response()
        # Waiting again once the provider refused its first submit: the bot holds submissions a while.
        async with asyncio.timeout(10):
            while world.comet.counts["submit"] < 1:
                await asyncio.sleep(0.02)
        job = await world.wait_job(lambda j: j.status is JobStatus.QUEUED and j.card_message_id is not None)

        assert await by_command(world, world.discord.alice, job.id) == DONE.format(job_id=job.id)

        stored = await world.store.get_job(job.id)
        assert stored is not None and stored.deleted and stored.status is JobStatus.CANCELLED
        charge = await world.store.charge_of(job.id)
        assert charge is not None and charge.state == "released"
        assert world.discord.state.messages[job.card_message_id].deleted
        assert stored.provider_task_id is None


async def test_a_card_edit_arriving_after_the_delete_never_posts_the_card_again(world: World) -> None:
    """An edit in flight when the card went (a cancel's final state, say) finds it gone: the editor
    posts a removed card again for a moderator's removal, never for a deleted job."""
    discord = world.discord
    job, card = await delivered(world, await world.animate())
    assert await by_button(world, discord.alice, card, job) == DONE.format(job_id=job.id)
    deleted = await world.store.get_job(job.id)
    assert deleted is not None and deleted.card_message_id is not None
    before = len(discord.bot_messages())

    renderer = CardRenderer(world.bot.services.catalogue, Lang.EN)
    shown = await CardEditor(world.bot).show(deleted, renderer.job(deleted))

    assert shown.card_message_id == card.id and len(discord.bot_messages()) == before
