"""Consent for other people's images end to end (issue 22): each mode, on the reaction and "Animate image".

Bob posts the image; Alice wants to animate it. ``anyone`` is today's behaviour (tested by the reaction
and message command suites); here: ``poster_only`` refuses, ``ask`` asks Bob under his image and only
his Allow starts anything, moderators never need to ask, and Bob's buttons survive a restart.
"""

from __future__ import annotations

import asyncio

from bot.models import ConsentMode, ConsentStatus, JobSource, SpendTotals
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble, Message
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, final_answer, make_world, running_motionbot, settings_for
from tests.e2e.test_forged_buttons_e2e import forged_card

TRIGGER = "🎬"
COMMAND = "Animate image"


async def bobs_image(world: World) -> Message:
    """Bob posts a PNG in #general."""
    discord = world.discord
    attachment = ("selfie.png", png_bytes(width=256, height=256), "image/png")
    return await discord.post_message(discord.bob, discord.general, "me", attachments=[attachment])


async def set_consent(world: World, value: str, locale: str = "en-US") -> str:
    """The admin sets "Animating others' images" through /motionbot settings set; returns the answer."""
    handle = await world.discord.slash(
        world.discord.admin, "motionbot settings set", {"setting": "consent", "value": value}, locale=locale
    )
    return await final_answer(handle)


def answer_ids(message: Message) -> tuple[str, str]:
    """The Allow and Deny custom ids under a request for consent."""
    allow = next(cid for cid in message.custom_ids if cid.startswith("mb:ok:") and cid.endswith(":a"))
    deny = next(cid for cid in message.custom_ids if cid.startswith("mb:ok:") and cid.endswith(":d"))
    return allow, deny


async def wait_prompt(world: World, image: Message) -> Message:
    """Wait for the bot's request for consent replying to ``image``."""
    return await world.wait_card(
        lambda m: (
            m.reference is not None
            and m.reference["message_id"] == str(image.id)
            and any(cid.startswith("mb:ok:") for cid in m.custom_ids)
        )
    )


async def dm_containing(world: World, user, words: str) -> Message:
    """Wait for the bot's direct message to ``user`` that contains ``words``."""
    dm_channel = world.discord.dm_channel(user)
    return await world.wait_card(lambda m: m.channel_id == dm_channel.id and words in (m.content or ""))


async def assert_nothing_spent(world: World) -> None:
    """No job, no reservation in the ledger, no provider call."""
    assert await world.store.all_jobs() == []
    assert await world.store.spend_totals() == SpendTotals()
    assert world.comet.counts["submit"] == 0


async def test_poster_only_refuses_the_reaction_with_a_dm_and_the_message_command_privately(world):
    discord = world.discord
    await set_consent(world, "poster_only")
    image = await bobs_image(world)

    await discord.add_reaction(discord.alice, image, TRIGGER)
    dm = await dm_containing(world, discord.alice, "only the member who posted an image")
    assert "Try it on an image of your own" in dm.content

    handle = await discord.message_command(discord.alice, COMMAND, image)
    response = await handle.wait_response()
    assert handle.ephemeral and "only the member who posted an image" in response.data["content"]
    await assert_nothing_spent(world)


async def test_poster_only_lets_the_poster_animate_their_own_image(world):
    discord = world.discord
    await set_consent(world, "poster_only")
    image = await bobs_image(world)
    await discord.add_reaction(discord.bob, image, TRIGGER)
    job = await world.wait_job(lambda j: j.requester_id == discord.bob.id)
    await world.wait_delivered(job.id)


async def test_moderators_need_no_consent_on_the_reaction_nor_the_message_command(world):
    discord = world.discord
    await set_consent(world, "poster_only")
    image = await bobs_image(world)

    await discord.add_reaction(discord.mod, image, TRIGGER)
    by_reaction = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    handle = await discord.message_command(discord.mod, COMMAND, image)
    await handle.wait_response()
    assert not handle.ephemeral
    by_command = await world.wait_job(lambda j: j.source is JobSource.CONTEXT_MENU)
    assert by_reaction.requester_id == by_command.requester_id == discord.mod.id
    await world.wait_delivered(by_command.id)


async def test_ask_then_allow_on_a_reaction_starts_the_job_and_nothing_before(world):
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)

    await discord.add_reaction(discord.alice, image, TRIGGER)
    prompt = await wait_prompt(world, image)
    assert f"<@{discord.bob.id}>" in prompt.content and f"<@{discord.alice.id}>" in prompt.content
    assert [user.id for user in prompt.mentions] == [discord.bob.id]  # only the poster is pinged
    await assert_nothing_spent(world)

    allow, _ = answer_ids(prompt)
    click = await discord.click(discord.bob, prompt, allow)
    await click.wait_response()
    job = await world.wait_job(lambda j: j.requester_id == discord.alice.id)
    assert job.source is JobSource.REACTION and job.source_message_id == image.id
    await world.wait_delivered(job.id)
    closed = await world.wait_card(lambda m: m.id == prompt.id and not m.custom_ids)
    assert "allowed" in closed.content

    # Allowing is not giving up the image: Bob, its poster, may still delete the video made of it.
    deleted = await discord.slash(discord.bob, "delete", {"job": job.id})
    assert f"Video #{job.id} is deleted" in await final_answer(deleted)
    assert (await world.store.get_job(job.id)).deleted


async def test_ask_then_deny_tells_the_requester_and_spends_nothing(world):
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    prompt = await wait_prompt(world, image)

    _, deny = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, deny)).wait_response()

    await dm_containing(world, discord.alice, "declined your request")
    closed = await world.wait_card(lambda m: m.id == prompt.id and not m.custom_ids)
    assert "declined" in closed.content
    await assert_nothing_spent(world)


async def test_ask_then_no_answer_expires_tells_the_requester_and_spends_nothing(tmp_path):
    async with make_world(tmp_path, consent_timeout_minutes=0.01) as world:
        discord = world.discord
        await set_consent(world, "ask")
        image = await bobs_image(world)
        await discord.add_reaction(discord.alice, image, TRIGGER)
        prompt = await wait_prompt(world, image)

        await dm_containing(world, discord.alice, "didn't answer your request")
        closed = await world.wait_card(lambda m: m.id == prompt.id and not m.custom_ids)
        assert "didn't answer in time" in closed.content
        await assert_nothing_spent(world)


async def test_the_posters_buttons_pressed_by_someone_else_are_refused(world):
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    prompt = await wait_prompt(world, image)
    allow, _ = answer_ids(prompt)

    for presser in (discord.alice, discord.mod):
        handle = await discord.click(presser, prompt, allow)
        response = await handle.wait_response()
        assert handle.ephemeral and "Only the member who posted the image" in response.data["content"]
    await assert_nothing_spent(world)
    consent = await world.store.get_consent(int(allow.split(":")[2]))
    assert consent is not None and consent.status is ConsentStatus.PENDING


async def test_ask_on_the_message_command_tells_the_requester_privately_then_allow_starts_it(world):
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)

    handle = await discord.message_command(discord.alice, COMMAND, image)
    answer = await final_answer(handle)
    assert handle.ephemeral and f"I asked <@{discord.bob.id}>" in answer
    prompt = await wait_prompt(world, image)
    await assert_nothing_spent(world)

    again = await discord.message_command(discord.alice, COMMAND, image)
    assert "already asked" in await final_answer(again)

    allow, _ = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, allow)).wait_response()
    job = await world.wait_job(lambda j: j.requester_id == discord.alice.id)
    assert job.source is JobSource.CONTEXT_MENU and job.source_message_id == image.id
    await world.wait_delivered(job.id)


async def test_ask_then_deny_on_the_message_command_spends_nothing(world):
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await final_answer(await discord.message_command(discord.alice, COMMAND, image))
    prompt = await wait_prompt(world, image)
    _, deny = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, deny)).wait_response()
    await dm_containing(world, discord.alice, "declined your request")
    await assert_nothing_spent(world)


async def test_the_posters_buttons_still_work_after_a_restart(tmp_path):
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await set_consent(first, "ask")
            image = await bobs_image(first)
            await discord.add_reaction(discord.alice, image, TRIGGER)
            prompt = await wait_prompt(first, image)
        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            allow, _ = answer_ids(prompt)
            await (await discord.click(discord.bob, prompt, allow)).wait_response()
            job = await second.wait_job(lambda j: j.requester_id == discord.alice.id)
            await second.wait_delivered(job.id)


async def test_the_setting_is_set_in_vietnamese_and_shown_in_each_language(world):
    answer = await set_consent(world, "hỏi", locale="vi")
    assert "Tạo video từ ảnh của người khác" in answer and "Hỏi người đăng ảnh trước" in answer
    stored = await world.store.get_guild_settings(world.discord.guild.id)
    assert stored is not None and stored.consent is ConsentMode.ASK

    refused = await set_consent(world, "sometimes")
    assert "anyone, ask" in refused and "poster_only" in refused
    assert "Only the poster" in await set_consent(world, "poster only")
    reset = await world.discord.slash(
        world.discord.admin, "motionbot settings reset", {"setting": "consent"}, locale="en-US"
    )
    assert "back to the default: Anyone may animate any image" in await final_answer(reset)


async def test_ask_then_allow_on_postgresql(postgres_world):
    world = postgres_world
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    prompt = await wait_prompt(world, image)
    await assert_nothing_spent(world)
    allow, _ = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, allow)).wait_response()
    job = await world.wait_job(lambda j: j.requester_id == discord.alice.id)
    await world.wait_delivered(job.id)


async def test_an_allow_forged_onto_another_message_or_channel_is_refused(world):
    """The id on the button is guessable: only the request's own prompt, in its channel, answers it."""
    discord = world.discord
    await set_consent(world, "ask")
    image = await bobs_image(world)
    await discord.add_reaction(discord.alice, image, TRIGGER)
    prompt = await wait_prompt(world, image)
    allow, _ = answer_ids(prompt)
    await world.wait_card(lambda m: m.id == prompt.id)
    consent_id = int(allow.split(":")[2])
    async with asyncio.timeout(5):  # the prompt's id is stored just after it is posted
        while (await world.store.get_consent(consent_id)).prompt_message_id is None:  # type: ignore[union-attr]
            await asyncio.sleep(0.02)

    for channel in (discord.general, discord.media):
        forged = forged_card(world, channel, allow)
        handle = await discord.click(discord.bob, forged, allow)
        response = await handle.wait_response()
        assert handle.ephemeral and "no longer works" in response.data["content"]
    await assert_nothing_spent(world)
    assert (await world.store.get_consent(consent_id)).status is ConsentStatus.PENDING  # type: ignore[union-attr]


async def test_an_allowed_animate_image_stays_private_where_the_server_makes_results_private(world):
    """Private results by default: the allowed job posts nothing in the channel; its card and clips
    reach the requester by DM (the request's interaction answered long before the poster did)."""
    discord = world.discord
    await set_consent(world, "ask")
    private = await discord.slash(
        discord.admin, "motionbot settings set", {"setting": "private_default", "value": "on"}
    )
    await final_answer(private)
    image = await bobs_image(world)
    await final_answer(await discord.message_command(discord.alice, COMMAND, image))
    prompt = await wait_prompt(world, image)
    public_before = {m.id for m in world.discord.bot_messages() if m.guild_id is not None}

    allow, _ = answer_ids(prompt)
    await (await discord.click(discord.bob, prompt, allow)).wait_response()
    job = await world.wait_job(lambda j: j.requester_id == discord.alice.id)
    await world.wait_delivered(job.id)

    assert job.private
    new_public = [
        m for m in world.discord.bot_messages() if m.guild_id is not None and m.id not in public_before
    ]
    assert new_public == []  # no card, no clips in the channel
    dms = [m for m in discord.state.messages.values() if m.channel_id == discord.dm_channel(discord.alice).id]
    assert dms and any(m.attachments for m in dms)  # the clips reached her privately
