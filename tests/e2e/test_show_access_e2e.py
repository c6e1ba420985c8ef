"""/show across channels, after a moderator's removal, and how often (issue 18, item 2).

Manage Messages in one channel used to let a member re-post, publicly, any job of the server, even
from channels they cannot see, and a requester could re-post a card a moderator had deleted. Now a
job of a channel the member cannot see does not exist for them, only the requester or a moderator of
the job's own channel may re-post it, a deleted card comes back only through a moderator, and each
member may re-post only a few times in five minutes.
"""

from __future__ import annotations

import asyncio

from bot.models import Job, JobSource, Motion, NewJob, Quality
from tests.doubles.discord import Intent, Perm
from tests.doubles.discord.model import Channel, Message, User
from tests.e2e.harness import DEFERRED, World, make_world
from tests.e2e.test_show_e2e import NOT_FOUND, delivered_job, refusal, reposted, show

SHOW_LIMIT = 3  # re-posts per member in any five minutes (bot.access.member_rate)
REMOVED_PREFIX = "card_removed:"  # the meta key the bot keeps a removal under (bot.media.recall)
NOT_YOURS = (
    "Video #{job_id} was made by another member. Only they, or someone with Manage Messages in the "
    "channel where it was made, can show it again."
)
REMOVED = (
    "A moderator removed the card of video #{job_id}, so only a moderator (Manage Messages in the "
    "channel where it was made) can show it again."
)


def nothing_public_from(world: World, handle_channel_id: int, before: set[int]) -> bool:
    """No new public bot message in the channel since ``before`` (the refusals are private)."""
    return not [
        m
        for m in world.discord.bot_messages()
        if m.channel_id == handle_channel_id and not m.ephemeral and m.id not in before
    ]


async def removal_recorded(world: World, job_id: int, *, present: bool = True) -> None:
    """Wait until the bot has (or no longer has) the job's card recorded as removed."""
    async with asyncio.timeout(5):
        while bool(await world.store.get_meta(f"{REMOVED_PREFIX}{job_id}")) is not present:
            await asyncio.sleep(0.02)


async def test_a_moderator_of_another_channel_may_not_show_a_job(world: World) -> None:
    """Manage Messages in #media says nothing about #general: its job is not theirs to re-post."""
    discord = world.discord
    job, _ = await delivered_job(world)
    media_mod = await discord.add_user("media-mod")
    await discord.set_channel_permissions(discord.media, media_mod, allow=Perm.MANAGE_MESSAGES)
    before = {m.id for m in discord.bot_messages()}

    answer = await refusal(world, media_mod, job.id, channel=discord.media)

    assert answer == NOT_YOURS.format(job_id=job.id)
    assert nothing_public_from(world, discord.media.id, before)


async def test_a_job_of_a_channel_the_member_cannot_see_does_not_exist_for_them(world: World) -> None:
    """The mod, bob and even the requester lose #general: its job answers like a missing id."""
    discord = world.discord
    job, _ = await delivered_job(world)
    for user in (discord.mod, discord.bob, discord.alice):
        await discord.set_channel_permissions(discord.general, user, deny=Perm.VIEW_CHANNEL)
    before = {m.id for m in discord.bot_messages()}

    for user in (discord.mod, discord.bob, discord.alice):
        answer = await refusal(world, user, job.id, channel=discord.media)
        missing = await refusal(world, user, 999_999, channel=discord.media)
        assert answer == NOT_FOUND.format(job_id=job.id)
        assert missing == NOT_FOUND.format(job_id=999_999)
    assert nothing_public_from(world, discord.media.id, before)


async def test_the_moderator_of_the_jobs_own_channel_may_show_it_elsewhere(world: World) -> None:
    """Manage Messages in #general (granted there only) is enough to re-post its job in #media."""
    discord = world.discord
    job, _ = await delivered_job(world)
    general_mod = await discord.add_user("general-mod")
    await discord.set_channel_permissions(discord.general, general_mod, allow=Perm.MANAGE_MESSAGES)

    handle, response = await show(world, general_mod, job.id, channel=discord.media)

    assert response.type == DEFERRED
    assert len((await reposted(handle)).files) == 4


async def removed_by(world: World, card: Message, job_id: int) -> None:
    """A moderator deletes the card in Discord; the bot remembers it."""
    await world.discord.delete_message(card)
    await removal_recorded(world, job_id)


async def test_a_card_a_moderator_deleted_comes_back_only_through_a_moderator(world: World) -> None:
    """Alice is told a moderator removed it (in English or Vietnamese); the mod brings it back."""
    discord = world.discord
    job, card = await delivered_job(world)
    await removed_by(world, card, job.id)

    assert await refusal(world, discord.alice, job.id) == REMOVED.format(job_id=job.id)
    vietnamese = await refusal(world, discord.alice, job.id, locale="vi")
    assert vietnamese.startswith(f"Một điều hành viên đã gỡ thẻ của video #{job.id}")

    handle, response = await show(world, discord.mod, job.id)
    assert response.type == DEFERRED
    repost = await reposted(handle)
    await removal_recorded(world, job.id, present=False)
    handle, response = await show(world, discord.alice, job.id)
    assert response.type == DEFERRED
    await reposted(handle)

    await discord.delete_messages([repost])  # a moderator purges the re-post too
    await removal_recorded(world, job.id)
    assert await refusal(world, discord.alice, job.id) == REMOVED.format(job_id=job.id)


async def show_times(world: World, user: User, job_id: int, times: int) -> None:
    for _ in range(times):
        handle, response = await show(world, user, job_id)
        assert response.type == DEFERRED
        await reposted(handle)


async def test_each_member_may_show_only_a_few_videos_in_five_minutes(world: World) -> None:
    """Past the rate, the member hears when they may show again (a Discord timestamp, any language)."""
    discord = world.discord
    job, _ = await delivered_job(world)
    await show_times(world, discord.alice, job.id, SHOW_LIMIT)
    before = {m.id for m in discord.bot_messages()}

    english = await refusal(world, discord.alice, job.id)
    vietnamese = await refusal(world, discord.alice, job.id, locale="vi")

    assert english.startswith(f"You have shown {SHOW_LIMIT} videos again in the last 5 minutes")
    assert "You can show another one <t:" in english and english.endswith(":R>.")
    assert vietnamese.startswith(f"Bạn đã đăng lại {SHOW_LIMIT} video trong 5 phút vừa qua")
    assert nothing_public_from(world, discord.general.id, before)
    handle, response = await show(world, discord.mod, job.id)  # another member is not held back
    assert response.type == DEFERRED
    await reposted(handle)


async def test_a_removal_reaches_the_bot_without_any_privileged_intent(tmp_path) -> None:
    """With the reaction trigger off and Message Content off in the portal, MESSAGE_DELETE still arrives."""
    async with make_world(tmp_path, message_content=False, reactions_enabled=False) as world:
        privileged = Intent.MESSAGE_CONTENT | Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES
        assert world.discord.hub.intents & privileged == 0
        assert world.discord.hub.intents & Intent.GUILD_MESSAGES
        job, card = await delivered_job(world)

        await removed_by(world, card, job.id)

        assert await refusal(world, world.discord.alice, job.id) == REMOVED.format(job_id=job.id)


async def job_in_thread(world: World, thread: Channel, requester: User) -> Job:
    """A delivered job of ``requester`` made in ``thread`` (its clips are no longer at the provider)."""
    store = world.store
    job = await store.create_job(
        NewJob(
            requester_id=requester.id,
            guild_id=world.discord.guild.id,
            channel_id=thread.id,
            source=JobSource.SLASH,
            motion=Motion.LOW,
            quality=Quality.SD,
            prompt="in a thread",
            image_url="https://cdn.discordapp.com/attachments/1/2/cat.png",
        )
    )
    await store.mark_submitting(job.id)
    await store.mark_submitted(job.id, f"thread-task-{job.id}")
    await store.mark_succeeded(job.id, [f"{world.comet.base_url}/cdn/video/gone/{n}.mp4" for n in range(4)])
    return await store.mark_delivered(job.id)


async def test_a_private_thread_shows_only_to_its_members_and_thread_managers(world: World) -> None:
    """Seeing #general is not enough for a private thread: the mod outside it gets "no such video"."""
    discord = world.discord
    thread = await discord.add_thread(
        discord.general, "secret", owner=discord.alice, private=True, members=[discord.bob]
    )
    job = await job_in_thread(world, thread, discord.alice)
    manager = await discord.add_user("thread-manager", permissions=Perm.MANAGE_THREADS | Perm.MANAGE_MESSAGES)

    assert await refusal(world, discord.mod, job.id, channel=discord.media) == NOT_FOUND.format(job_id=job.id)
    assert await refusal(world, discord.bob, job.id, channel=discord.media) == NOT_YOURS.format(job_id=job.id)
    for user in (discord.alice, manager):  # allowed: the clips are gone, said privately
        handle, response = await show(world, user, job.id, channel=discord.media)
        assert response.type == DEFERRED
        (answer,) = await handle.wait_followups(1, timeout=10)
        assert answer.ephemeral and answer.content.startswith(f"The clips of video #{job.id} are no longer")


async def test_a_thread_follows_its_parents_permissions(world: World) -> None:
    """A public thread of #general is hidden from a member who cannot see #general."""
    discord = world.discord
    thread = await discord.add_thread(discord.general, "open", owner=discord.alice)
    job = await job_in_thread(world, thread, discord.alice)
    await discord.set_channel_permissions(discord.general, discord.mod, deny=Perm.VIEW_CHANNEL)

    assert await refusal(world, discord.mod, job.id, channel=discord.media) == NOT_FOUND.format(job_id=job.id)
    assert await refusal(world, discord.bob, job.id, channel=discord.media) == NOT_YOURS.format(job_id=job.id)
