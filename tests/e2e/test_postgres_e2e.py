"""The bot on PostgreSQL (DATABASE_URL) end to end through both doubles: /animate to delivery."""

from bot.models import JobStatus
from tests.e2e.harness import card_parts


async def test_animate_on_postgresql_is_delivered_and_no_sqlite_file_is_made(postgres_world):
    world = postgres_world
    handle = await world.animate(prompt="a cat on a shared database")
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0
    assert response.type == 4 and not handle.ephemeral

    card = await world.wait_card(lambda m: len(m.files) == 4)
    assert f"<@{world.discord.alice.id}>" in card_parts(card).ready
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))
    assert job.status is JobStatus.DELIVERED and job.prompt == "a cat on a shared database"
    assert world.comet.submissions[-1]["state"] == f"motionbot:{job.id}"
    assert (await world.store.usage_today(job.guild_id, job.requester_id)).user_today == 1
    assert world.store.engine == "postgresql"
    assert not world.settings.database_path.exists()  # nothing went to the SQLite file
