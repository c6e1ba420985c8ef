"""Job cards read back as Discord returns a Components V2 message (issue 18, item 12).

Discord leaves the files a component shows out of ``attachments`` and resolves them in the gallery;
the double does the same, so these tests see what the bot sees on Discord.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_parts, running_motionbot, settings_for, uploads_per_file

MIB = 1024 * 1024


def undeliver_offline(settings, job_id: int) -> None:
    """Leave the job as a kill between posting its clips and storing "delivered" leaves it."""
    with sqlite3.connect(settings.database_path) as db:
        db.execute(
            "UPDATE jobs SET status = 'succeeded', delivered_at = NULL, final_shown_at = NULL WHERE id = ?",
            (job_id,),
        )


async def test_clips_posted_before_a_restart_are_found_in_the_gallery_and_not_uploaded_again(tmp_path):
    """Four 7 MiB clips: three in the card's gallery, one in a reply. The process is "killed" before the
    delivery is stored; the next one finds all four (the card's in its gallery, where Discord returns
    them) and uploads nothing again."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3, clip_min_bytes=7 * MIB)
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord) as bot:
            first = World(discord=discord, comet=comet, settings=settings, bot=bot)
            await (await first.animate()).wait_response()
            job = await first.wait_job(lambda j: j.status is JobStatus.DELIVERED, timeout=20)
        names = [f"motionbot-{job.id}-clip{n}.mp4" for n in range(1, 5)]
        assert uploads_per_file(discord) == Counter(names)
        card = discord.state.messages[job.card_message_id]
        # Discord's answer for the card: its three clips only in the gallery, none in attachments.
        seen = discord.messages.render(card, privileged=True)
        assert seen["attachments"] == []
        assert _gallery_ids(seen) == [str(f.id) for f in card.files] and len(card.files) == 3
        undeliver_offline(settings, job.id)

        async with running_motionbot(settings, discord) as bot:
            second = World(discord=discord, comet=comet, settings=settings, bot=bot)
            delivered = await second.wait_delivered(job.id, timeout=20)
        assert uploads_per_file(discord) == Counter(names)  # nothing uploaded twice
        assert delivered.card_message_id == card.id and "your video is ready" in card_parts(card).ready


def _gallery_ids(message_json: dict) -> list[str]:
    items = [
        item["media"]
        for container in message_json["components"]
        for child in container.get("components", [])
        if child.get("type") == 12
        for item in child["items"]
    ]
    return [media["attachment_id"] for media in items]


def is_ready(message) -> bool:
    return "your video is ready" in card_parts(message).ready


async def test_a_card_pings_its_requester_only_once_the_video_is_ready(world):
    """Discord reads a V2 card's mentions from its text displays, which name the requester from the
    first card on. Progress edits and a card re-posted after a moderator deleted it ping nobody; the
    delivered card pings the requester, and only them."""
    alice = world.discord.alice
    world.comet.default_plan = TaskPlan(duration=4, initial_fraction=0.05)
    await (await world.animate()).wait_response()
    job = await world.wait_job(lambda j: j.status is JobStatus.RUNNING)
    first = await world.wait_card(lambda m: m.id == job.card_message_id and "%" in card_parts(m).state)
    await world.discord.delete_message(first)  # by a moderator, while the video is made
    again = await world.wait_card(lambda m: m.id != first.id and not m.deleted)
    done = await world.wait_card(lambda m: m.id == again.id and is_ready(m))
    assert card_parts(first).fields["Requested by"] == alice.mention
    assert again.history[0].mentions == []  # the re-posted card is a new message: it would notify
    states = [*first.history, *again.history]
    assert [r.mentions for r in states if "your video is ready" not in _ready(r)] == [[]] * (len(states) - 1)
    assert done.history[-1].mentions == [alice]


def _ready(revision) -> str:
    return card_parts(revision).ready
