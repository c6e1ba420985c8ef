"""/show job:<id> end to end: a delivered job re-posted with its clips and live buttons.

Clips come from the archive (CLIP_ARCHIVE, or its older name CLIP_ARCHIVE_DIR) when it kept them,
else from the card's own files on Discord (links read afresh), else from the provider while it still
serves them, else the member is told privately. Only the requester or a moderator may re-post, and only in
the job's own server; a re-post's Extend buttons act on the job.
"""

from __future__ import annotations

import asyncio

from bot.models import Job, JobStatus
from tests.doubles.cometapi_jobs import clip_bytes
from tests.doubles.discord import Perm
from tests.doubles.discord.interactions import InteractionHandle
from tests.doubles.discord.model import Guild, Message, User
from tests.e2e.harness import DEFERRED, World, card_parts, make_world

NOT_FOUND = "There is no video #{job_id} in this server. /jobs lists your videos and their numbers."
GONE = (
    "The clips of video #{job_id} are no longer available: the messages that carried them are gone from "
    "Discord, the video service only keeps clips for a while, and this bot keeps no copies of its own. "
    "Ask the bot's operator to set CLIP_ARCHIVE so that future videos are kept."
)


async def delivered_job(world: World, user: User | None = None) -> tuple[Job, Message]:
    """Run /animate (as alice by default) and return the delivered job and its card."""
    handle = await world.animate(user)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
    job = await world.wait_job(lambda j: j.card_message_id == card.id and j.status is JobStatus.DELIVERED)
    return job, card


def provider_clips(world: World, job: Job) -> list[bytes]:
    """The clips exactly as the CometAPI double served them for the job's task."""
    task = world.comet.tasks[str(job.provider_task_id)]
    return [clip_bytes(task.task_id, index, task.plan.clip_min_bytes) for index in range(4)]


def provider_forgets(world: World, job: Job) -> None:
    """The provider no longer has the task: its clip URLs answer 404 from now on."""
    del world.comet.tasks[str(job.provider_task_id)]


async def show(world: World, user: User, job_id: int, *, locale: str = "en-US", channel=None):
    """Run /show job:<id>; return the handle and the first response (always within 3 s)."""
    handle = await world.discord.slash(user, "show", {"job": job_id}, locale=locale, channel=channel)
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0
    return handle, response


async def reposted(handle: InteractionHandle) -> Message:
    """Wait for the public re-post that fills the deferred answer in."""
    message = await handle.wait_original(lambda m: not m.loading, timeout=10)
    assert not handle.ephemeral
    return message


async def refusal(world: World, user: User, job_id: int, *, locale: str = "en-US", channel=None) -> str:
    """Run /show and return its private refusal; nothing is deferred or posted publicly."""
    handle, response = await show(world, user, job_id, locale=locale, channel=channel)
    assert response.type == 4 and handle.ephemeral
    return str(response.data["content"])


async def test_show_posts_the_archived_clips_after_the_provider_forgot_them(tmp_path):
    """CLIP_ARCHIVE_DIR kept the clips: /show attaches them even once the provider's links are dead,
    and the re-post's Extend button (in another channel of the server) starts an extension."""
    archive = tmp_path / "archive"
    async with make_world(tmp_path, clip_archive_dir=archive) as world:
        discord = world.discord
        job, card = await delivered_job(world)
        provider_forgets(world, job)

        handle, response = await show(world, discord.alice, job.id, channel=discord.media)

        assert response.type == DEFERRED
        message = await reposted(handle)
        assert message.channel_id == discord.media.id
        assert [f.filename for f in message.files] == [f.filename for f in card.files]
        assert [f.data for f in message.files] == [
            (archive / str(job.id) / f"{i}.mp4").read_bytes() for i in range(4)
        ]
        extend = f"mb:x:{job.id}:0:l"
        assert extend in message.custom_ids

        click = await discord.click(discord.alice, message, extend)
        await click.wait_response()
        assert not click.ephemeral
        child = await world.wait_job(lambda j: j.parent_job_id == job.id)
        assert child.channel_id == discord.media.id and child.clip_index == 0


ORIGINAL_EDIT = "PATCH /webhooks/{webhook_id}/{token}/messages/@original"


async def test_a_click_on_the_re_post_as_soon_as_it_shows_is_not_refused(world: World) -> None:
    """Discord shows the filled-in answer before the bot hears back from its edit: a member may click
    its Extend then. The re-post is on record by that moment, so the click starts an extension (a
    race that once refused it as a forged button)."""
    job, _ = await delivered_job(world)
    discord = world.discord
    discord.holds.hold(ORIGINAL_EDIT)  # the edit takes effect; its answer waits

    handle, _ = await show(world, discord.alice, job.id)
    message = await handle.wait_original(lambda m: not m.loading and len(m.files) == 4, timeout=10)
    await discord.holds.wait_held(ORIGINAL_EDIT)
    click = await discord.click(discord.alice, message, f"mb:x:{job.id}:0:l")
    await click.wait_response()
    discord.holds.release(ORIGINAL_EDIT)

    assert not click.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == job.id)
    assert child.clip_index == 0


async def test_show_downloads_the_clips_from_the_provider_without_an_archive(world: World) -> None:
    """No archive: the clips are downloaded again from the provider's links and attached."""
    job, _ = await delivered_job(world)

    handle, response = await show(world, world.discord.alice, job.id)

    assert response.type == DEFERRED
    message = await reposted(handle)
    assert [f.data for f in message.files] == provider_clips(world, job)
    assert card_parts(message).title == f"Video #{job.id}"


async def test_show_takes_the_cards_own_files_from_discord_without_an_archive(world: World) -> None:
    """No archive, the provider forgot the task and every link Discord gave out has expired: /show
    reads the card again for fresh links and posts its files."""
    job, card = await delivered_job(world)
    provider_forgets(world, job)
    world.discord.expire_attachment_links()

    handle, response = await show(world, world.discord.alice, job.id)

    assert response.type == DEFERRED
    message = await reposted(handle)
    assert [f.data for f in message.files] == [f.data for f in card.files]
    assert [f.filename for f in message.files] == [f.filename for f in card.files]


async def test_show_says_privately_when_no_archive_discord_or_provider_has_the_clips(world: World) -> None:
    """No archive, the card deleted and the provider forgot the task: a private message, and no public
    post stays."""
    job, card = await delivered_job(world)
    provider_forgets(world, job)
    await world.discord.delete_message(card)
    messages_before = len(world.discord.general.messages)

    handle, response = await show(world, world.discord.mod, job.id)

    assert response.type == DEFERRED
    (answer,) = await handle.wait_followups(1, timeout=10)
    assert answer.ephemeral and answer.content == GONE.format(job_id=job.id)
    original = handle.original_message
    assert original is None or original.deleted
    public = [m for m in world.discord.general.messages.values() if not m.ephemeral and not m.deleted]
    assert len(public) <= messages_before and not answer.files


async def test_another_member_may_not_show_a_job_but_a_moderator_may(world: World) -> None:
    """Bob (no Manage Messages) is refused privately, in English and Vietnamese; the mod re-posts it."""
    discord = world.discord
    job, _ = await delivered_job(world)

    assert await refusal(world, discord.bob, job.id) == (
        f"Video #{job.id} was made by another member. Only they, or someone with Manage Messages in "
        "the channel where it was made, can show it again."
    )
    vietnamese = await refusal(world, discord.bob, job.id, locale="vi")
    assert vietnamese.startswith(f"Video #{job.id} do một thành viên khác tạo.")

    handle, response = await show(world, discord.mod, job.id)
    assert response.type == DEFERRED
    assert len((await reposted(handle)).files) == 4


async def joined_guild(world: World, name: str) -> Guild:
    """Have the bot join a second server and wait until it knows it."""
    guild = await world.discord.add_guild(name)
    async with asyncio.timeout(5):
        while world.bot.get_guild(guild.id) is None:
            await asyncio.sleep(0.02)
    return guild


async def test_a_job_of_another_server_is_refused_like_an_id_that_does_not_exist(world: World) -> None:
    """A moderator of server B asking for server A's job learns nothing: same words as a missing id."""
    discord = world.discord
    job, _ = await delivered_job(world)
    other = await joined_guild(world, "Other Server")
    elsewhere = next(iter(other.channels.values()))
    stranger = await discord.add_user("stranger", permissions=Perm.MANAGE_MESSAGES, guild=other)

    answer = await refusal(world, stranger, job.id, channel=elsewhere)
    missing = await refusal(world, stranger, 999_999, channel=elsewhere)

    assert answer == NOT_FOUND.format(job_id=job.id)
    assert missing == NOT_FOUND.format(job_id=999_999)
    assert all(m.channel_id != elsewhere.id or m.ephemeral for m in discord.state.messages.values())


async def test_a_job_without_clips_gets_its_status_and_card(world: World) -> None:
    """A job still generating has nothing to show: its status and a link to its card, privately."""
    world.hold_jobs()
    handle = await world.animate()
    await handle.wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.SUBMITTED)

    answer = await refusal(world, world.discord.alice, job.id)
    vietnamese = await refusal(world, world.discord.alice, job.id, locale="vi")

    guild, channel = world.discord.guild.id, world.discord.general.id
    link = f"https://discord.com/channels/{guild}/{channel}/{job.card_message_id}"
    assert answer == f"Video #{job.id} has no clips to show: it is Sent. Its card: {link}"
    assert vietnamese.startswith(f"Video #{job.id} chưa có clip nào để xem") and link in vietnamese


async def test_jobs_entries_say_how_to_show_them_again(world: World) -> None:
    """Each /jobs entry names the command that re-posts it, in the member's language."""
    job, _ = await delivered_job(world)

    for locale, expected in (("en-US", f"`/show job:{job.id}`"), ("vi", f"`/xem-lại video:{job.id}`")):
        handle = await world.discord.slash(world.discord.alice, "jobs", locale=locale)
        await handle.wait_response()
        message = await handle.wait_original()
        assert expected in message.embeds[0]["description"]
