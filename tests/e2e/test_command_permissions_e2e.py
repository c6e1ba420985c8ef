"""The server's command permissions govern the 🎬 reaction and the job buttons, like /animate itself.

An admin restricts /animate in Server Settings → Integrations (the Discord double's
``set_command_permissions``, which fires APPLICATION_COMMAND_PERMISSIONS_UPDATE like Discord). The
reaction and Extend / Extend with a prompt / Retry then follow /animate's permissions: a member they
refuse gets no job and no provider call, and is told privately (a DM for a reaction, an ephemeral
answer for a button); where /animate is off, the emoji is no trigger. Cancel stays with the requester.
"""

from __future__ import annotations

import asyncio

from bot.models import Job, JobStatus
from tests.doubles.discord import Channel, Message, User, all_channels, entry, everyone
from tests.doubles.media import png_bytes
from tests.e2e.harness import World

TRIGGER = "🎬"
READ_PERMISSIONS = "GET /applications/{application_id}/guilds/{guild_id}/commands/permissions"
MEMBER_DENIED = "haven't allowed you to use Motionbot's /animate here"
CHANNEL_OFF = "turned Motionbot's /animate off in"
UNREADABLE = "couldn't check this server's command permissions"
# discord.py waits 5 s in before_identify_hook before any IDENTIFY that is not the first.
REIDENTIFY_TIMEOUT = 10.0


def has_clips(message: Message) -> bool:
    return len(message.files) == 4


def extend_id(job_id: int, clip: int = 0) -> str:
    return f"mb:x:{job_id}:{clip}:l"


async def post_image(world: World, channel: Channel | None = None) -> Message:
    """A member posts a PNG (in #general by default) for others to react on."""
    discord = world.discord
    attachment = ("cat.png", png_bytes(width=256, height=256), "image/png")
    return await discord.post_message(
        discord.mod, channel or discord.general, "look", attachments=[attachment]
    )


async def dm_to(world: World, user: User, count: int = 1) -> Message:
    """Wait for the bot's ``count``-th direct message to ``user``."""
    inbox = world.discord.dm_channel(user)
    await world.wait_card(lambda m: m.channel_id == inbox.id and len(inbox.messages) >= count)
    return list(inbox.messages.values())[count - 1]


async def delivered_job(world: World, user: User) -> tuple[Job, Message]:
    """``user`` runs /animate (allowed at the time) and gets their clips."""
    handle = await world.animate(user)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    return await world.wait_delivered(int(card.custom_ids[0].split(":")[2])), card


async def restrict_to_animators(world: World) -> None:
    """The admin lets only the "Animators" role (Bob) use /animate: @everyone denied, the role allowed."""
    discord = world.discord
    animators = await discord.add_role("Animators", members=[discord.bob])
    await discord.set_command_permissions("animate", [everyone(discord.guild, False), entry(animators, True)])


async def assert_no_new_job(world: World, jobs: list[Job], submits: int) -> None:
    assert [job.id for job in await world.store.all_jobs()] == [job.id for job in jobs]
    assert world.comet.counts["submit"] == submits


async def test_a_reaction_by_a_member_without_the_role_is_refused_by_dm_and_the_role_works(world):
    discord = world.discord
    await restrict_to_animators(world)
    image = await post_image(world)

    await discord.add_reaction(discord.alice, image, TRIGGER)
    dm = await dm_to(world, discord.alice)
    assert TRIGGER in dm.content and MEMBER_DENIED in dm.content
    assert await world.store.all_jobs() == [] and sum(world.comet.counts.values()) == 0
    assert not [r for r in discord.requests if r.method == "GET" and r.path.endswith(f"/messages/{image.id}")]

    await discord.add_reaction(discord.bob, image, TRIGGER)
    card = await world.wait_card(has_clips)
    job = await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    assert job.requester_id == discord.bob.id and card.reference["message_id"] == str(image.id)


async def test_extend_on_ones_own_card_is_refused_privately_once_the_role_is_required(world):
    discord = world.discord
    parent, card = await delivered_job(world, discord.alice)
    bobs_parent, bobs_card = await delivered_job(world, discord.bob)
    await restrict_to_animators(world)
    jobs, submits = await world.store.all_jobs(), world.comet.counts["submit"]

    for custom_id in (extend_id(parent.id), f"mb:p:{parent.id}:0"):
        click = await discord.click(discord.alice, card, custom_id)
        response = await click.wait_response()
        assert response.latency < 3.0 and click.ephemeral and MEMBER_DENIED in response.data["content"]
    await assert_no_new_job(world, jobs, submits)

    allowed = await discord.click(discord.bob, bobs_card, extend_id(bobs_parent.id))
    assert (await allowed.wait_response()).type == 4 and not allowed.ephemeral
    child = await world.wait_job(lambda j: j.parent_job_id == bobs_parent.id)
    await world.wait_delivered(child.id)


async def test_where_animate_is_off_the_reaction_is_no_trigger_and_extend_says_so(world):
    discord = world.discord
    parent, card = await delivered_job(world, discord.alice)
    await discord.set_command_permissions("animate", [entry(discord.general, False)])
    jobs, submits = await world.store.all_jobs(), world.comet.counts["submit"]

    ignored = await post_image(world, discord.general)
    await discord.add_reaction(discord.alice, ignored, TRIGGER)
    # A reaction on a picture-less message in #media is handled after the first: its DM is the barrier.
    text_only = await discord.post_message(discord.bob, discord.media, "no picture here")
    await discord.add_reaction(discord.alice, text_only, TRIGGER)
    barrier = await dm_to(world, discord.alice)
    assert "no image" in barrier.content and len(discord.dm_channel(discord.alice).messages) == 1
    assert not [r for r in discord.requests if r.path.endswith(f"/messages/{ignored.id}")]

    click = await discord.click(discord.alice, card, extend_id(parent.id))
    response = await click.wait_response()
    assert click.ephemeral and CHANNEL_OFF in response.data["content"]
    assert f"<#{discord.general.id}>" in response.data["content"]
    await assert_no_new_job(world, jobs, submits)

    elsewhere = await post_image(world, discord.media)
    await discord.add_reaction(discord.alice, elsewhere, TRIGGER)
    media_card = await world.wait_card(lambda m: m.channel_id == discord.media.id and has_clips(m))
    assert media_card.reference["message_id"] == str(elsewhere.id)


async def test_a_denied_member_is_refused_while_others_and_the_owner_go_on(world):
    discord = world.discord
    await discord.set_command_permissions("animate", [entry(discord.alice, False)])
    await discord.set_command_permissions(
        None, [all_channels(discord.guild, False), entry(discord.general, True)]
    )
    image = await post_image(world)

    await discord.add_reaction(discord.alice, image, TRIGGER)
    assert MEMBER_DENIED in (await dm_to(world, discord.alice)).content
    await discord.add_reaction(discord.bob, image, TRIGGER)
    await world.wait_job(lambda j: j.requester_id == discord.bob.id and j.status is JobStatus.DELIVERED)

    # The application-wide entry turns every other channel off, but the owner is an administrator.
    in_media = await post_image(world, discord.media)
    await discord.add_reaction(discord.owner, in_media, TRIGGER)
    await world.wait_job(lambda j: j.requester_id == discord.owner.id and j.status is JobStatus.DELIVERED)
    assert [job.requester_id for job in await world.store.all_jobs()] == [discord.bob.id, discord.owner.id]


async def test_a_change_at_runtime_takes_effect_from_the_gateway_event_without_reading_again(world):
    discord = world.discord
    first = await post_image(world)
    await discord.add_reaction(discord.alice, first, TRIGGER)
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    assert len(discord.requests_to(READ_PERMISSIONS)) == 1

    await discord.set_command_permissions("animate", [entry(discord.alice, False)])
    second = await post_image(world)
    await discord.add_reaction(discord.alice, second, TRIGGER)
    assert MEMBER_DENIED in (await dm_to(world, discord.alice)).content
    assert len(await world.store.all_jobs()) == 1

    await discord.set_command_permissions("animate", [])
    third = await post_image(world)
    await discord.add_reaction(discord.alice, third, TRIGGER)
    await world.wait_job(lambda j: j.source_message_id == third.id and j.status is JobStatus.DELIVERED)
    assert len(discord.requests_to(READ_PERMISSIONS)) == 1  # the events kept the cache current


async def test_a_server_that_never_set_permissions_works_as_before(world):
    discord = world.discord
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)
    parent, card = await delivered_job(world, discord.alice)
    click = await discord.click(discord.alice, card, extend_id(parent.id))
    await click.wait_response()
    await world.wait_job(lambda j: j.parent_job_id == parent.id)
    [read] = discord.requests_to(READ_PERMISSIONS)
    assert read.status == 200 and discord.state.command_permissions.entries == {}


async def test_permissions_read_too_slowly_refuse_a_click_within_the_deadline_then_recover(world):
    """Discord answering slowly (fail-closed): a private "could not check" before the 3 s deadline."""
    discord = world.discord
    parent, card = await delivered_job(world, discord.alice)  # /animate: nothing read yet
    jobs, submits = await world.store.all_jobs(), world.comet.counts["submit"]
    discord.inject_fault(READ_PERMISSIONS, status=500, times=2)  # discord.py waits 1 s, then 3 s

    click = await discord.click(discord.alice, card, extend_id(parent.id))
    response = await click.wait_response()
    assert response.latency < 3.0 and click.ephemeral and UNREADABLE in response.data["content"]
    await assert_no_new_job(world, jobs, submits)

    image = await post_image(world)  # the read under way answers this reaction
    await discord.add_reaction(discord.alice, image, TRIGGER)
    await world.wait_job(lambda j: j.source_message_id == image.id and j.status is JobStatus.DELIVERED)
    assert [r.status for r in discord.requests_to(READ_PERMISSIONS)] == [500, 500, 200]


async def test_unreadable_permissions_refuse_a_reaction_by_dm_and_the_next_one_reads_again(world):
    discord = world.discord
    discord.inject_fault(READ_PERMISSIONS, status=503)  # an error discord.py does not retry
    image = await post_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    assert UNREADABLE in (await dm_to(world, discord.alice)).content
    assert await world.store.all_jobs() == [] and sum(world.comet.counts.values()) == 0

    await discord.add_reaction(discord.bob, image, TRIGGER)
    await world.wait_job(lambda j: j.requester_id == discord.bob.id and j.status is JobStatus.DELIVERED)
    assert [r.status for r in discord.requests_to(READ_PERMISSIONS)] == [503, 200]


async def test_a_new_gateway_session_reads_the_permissions_again(world):
    """Updates sent while the bot had no session are lost: after a new IDENTIFY it reads them again."""
    discord = world.discord
    first = await post_image(world)
    await discord.add_reaction(discord.alice, first, TRIGGER)
    await world.wait_job(lambda j: j.status is JobStatus.DELIVERED)

    ready_again = asyncio.create_task(world.bot.wait_for("shard_ready", timeout=REIDENTIFY_TIMEOUT))
    await discord.invalidate_session(resumable=False)
    # Changed while no session can hear of it (the double sends the event nowhere).
    app_wide = discord.state.application_id
    discord.state.command_permissions.put(discord.guild.id, app_wide, [entry(discord.alice, False)])
    await ready_again

    second = await post_image(world)
    await discord.add_reaction(discord.alice, second, TRIGGER)
    assert MEMBER_DENIED in (await dm_to(world, discord.alice)).content
    assert len(discord.requests_to(READ_PERMISSIONS)) == 2
