"""The job card is one Components V2 message from its first state to the delivered gallery (issue 12).

The Discord double refuses any V2 payload Discord would refuse (flag, legacy fields, layout types,
attachment:// names, 40 components, 4000 characters), so a card that reaches it is a valid one.
"""

from __future__ import annotations

from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord.model import Message
from tests.e2e.harness import World, card_parts, gallery_files

IS_COMPONENTS_V2 = 1 << 15
CONTAINER, MEDIA_GALLERY, ACTION_ROW, BUTTON, LINK = 17, 12, 1, 2, 5
MIB = 1024 * 1024


async def delivered(world: World) -> tuple[Message, int]:
    """Run /animate as Alice; return the delivered card and its job id."""
    handle = await world.animate()
    await handle.wait_response()
    card = await world.wait_card(lambda m: "your video is ready" in card_parts(m).ready)
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    return card, job.id


async def test_the_delivered_card_is_one_container_with_a_gallery_of_its_four_files_and_the_buttons(world):
    card, job_id = await delivered(world)

    assert card.flags & IS_COMPONENTS_V2 and not card.content and not card.embeds
    (container,) = card.components
    assert container["type"] == CONTAINER
    names = [f"motionbot-{job_id}-clip{n}.mp4" for n in range(1, 5)]
    assert [file.filename for file in card.files] == names
    assert gallery_files(card) == names
    assert sum(c["type"] == MEDIA_GALLERY for c in container["components"]) == 1
    rows = [c for c in container["components"] if c["type"] == ACTION_ROW]
    buttons = [b for row in rows for b in row["components"] if b["type"] == BUTTON]
    assert len(rows) == 5 and len(buttons) == 17
    assert sum(b["style"] == LINK for b in buttons) == 4  # the original file of each clip
    assert sum(b.get("custom_id", "").startswith(("mb:x:", "mb:p:")) for b in buttons) == 12
    assert buttons[-1]["custom_id"] == f"mb:d:{job_id}"  # 🗑 Delete, last in a row of its own


async def test_every_state_of_the_card_is_v2_from_the_first_reply(world):
    """Checking, waiting, running with its bar, delivered: the flag is set on the very first message."""
    world.comet.default_plan = TaskPlan(duration=1.5)
    card, _ = await delivered(world)

    states = [card_parts(revision).state for revision in card.history]
    assert len(states) >= 3 and "%" in " ".join(states)  # the progress bar was shown on the way
    for revision in card.history:
        assert revision.flags & IS_COMPONENTS_V2 and not revision.content and not revision.embeds
        assert [c["type"] for c in revision.components] == [CONTAINER]


async def test_a_failed_card_is_v2_with_its_retry_button(world):
    world.comet.moderate_submits("nude", prompt="nude", reason="blocked")
    handle = await world.animate(prompt="nude")
    await handle.wait_response()
    card = await world.wait_card(lambda m: "blocked" in card_parts(m).state and bool(m.custom_ids))
    assert card.flags & IS_COMPONENTS_V2 and card.custom_ids[0].startswith("mb:r:")
    assert not gallery_files(card) and not card.files


async def test_clips_fitting_one_request_stay_on_the_card_with_no_second_message(world):
    card, _ = await delivered(world)
    assert len(card.files) == 4
    assert [m.id for m in world.discord.bot_messages(world.discord.general) if m.files] == [card.id]


async def test_clips_too_big_for_one_request_split_the_gallery_and_a_reply_carries_the_rest(world):
    """Four 7 MiB clips exceed 25 MiB: the card's gallery shows the three it carries, a reply the fourth."""
    world.comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
    card, job_id = await delivered(world)

    assert gallery_files(card) == [file.filename for file in card.files] and len(card.files) == 3
    extra = await world.wait_card(lambda m: m.id != card.id and bool(m.files))
    assert extra.reference is not None and extra.reference["message_id"] == str(card.id)
    assert [file.filename for file in extra.files] == [f"motionbot-{job_id}-clip4.mp4"]


async def test_the_first_card_names_the_requester_without_pinging_them(world):
    """The status text shows the requester's mention, as the embed field did, but sends no ping."""
    handle = await world.animate()
    response = await handle.wait_response()
    assert response.payload["data"]["allowed_mentions"] == {"parse": []}
    first = handle.original_message.history[0]
    assert card_parts(first).fields["Requested by"] == f"<@{world.discord.alice.id}>"
