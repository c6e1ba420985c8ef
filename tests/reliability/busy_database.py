"""Members use the bot while another process holds SQLite's write lock (issue 9, item 8).

A backup or the CLI takes the write lock while the bot has writes waiting for it (jobs being created,
a settings change). Used by ``tests/e2e/test_busy_database_e2e.py`` and ``bench/reliability_report.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.models import GuildSettings, Job
from tests.doubles.discord.interactions import CallbackRecord, InteractionHandle
from tests.e2e.harness import World, final_answer
from tests.reliability.lock_holder import write_lock_held

SETTINGS = "motionbot settings"
MESSAGE, DEFERRED = 4, 5  # interaction callback types
WELL_WITHIN = 1.5  # seconds; Discord (and the double, with 10062) gives up after 3
# What each interaction's first answer must be: (callback type, private?)
EXPECTED = {
    "animate": (MESSAGE, False),  # the public job card
    "quota": (MESSAGE, True),
    "jobs": (MESSAGE, True),
    "extend": (MESSAGE, False),  # the child job's card
    "settings show": (MESSAGE, True),
    "settings set": (DEFERRED, True),  # the save waits for the lock, the answer does not
}


@dataclass
class BusyRun:
    """What happened: the first answers, what was stored meanwhile, and what landed afterwards."""

    handles: dict[str, InteractionHandle]
    answers: dict[str, CallbackRecord]
    earlier: Job  # Bob's job, delivered before the lock was taken
    stored_while_locked: list[Job]
    landed: dict[str, Job]  # the jobs that waited for the lock, once delivered
    settings_answer: str
    settings: GuildSettings | None

    @property
    def latencies(self) -> dict[str, float]:
        """Seconds from each interaction's dispatch to its first answer."""
        return {name: round(answer.latency, 3) for name, answer in self.answers.items()}

    def wrong_answers(self) -> list[str]:
        """Name the interactions whose first answer was refused, late, or not the expected kind."""
        wrong = []
        for name, (kind, private) in EXPECTED.items():
            answer, handle = self.answers[name], self.handles[name]
            if answer.status != 200 or answer.latency >= WELL_WITHIN:
                wrong.append(f"{name}: HTTP {answer.status} after {answer.latency:.2f} s")
            elif answer.type != kind or handle.ephemeral != private:
                wrong.append(f"{name}: callback type {answer.type}, private {handle.ephemeral}")
        return wrong


async def members_while_locked(world: World) -> BusyRun:
    """Run the scenario in ``world``: answers while the lock is held, then wait for every write to land."""
    discord = world.discord
    earlier, earlier_card = await _delivered(world, discord.bob)
    async with write_lock_held(world.settings.database_path) as holder:
        blocked = await _start_blocked_job(world)
        handles = {
            "animate": await world.animate(discord.bob),
            "quota": await discord.slash(discord.bob, "quota"),
            "jobs": await discord.slash(discord.bob, "jobs"),
            "extend": await discord.click(discord.bob, earlier_card, f"mb:x:{earlier.id}:0:l"),
            "settings show": await discord.slash(discord.admin, f"{SETTINGS} show"),
            "settings set": await discord.slash(
                discord.admin, f"{SETTINGS} set", {"setting": "max_daily_per_user", "value": "7"}
            ),
        }
        answers = {name: await handle.wait_response() for name, handle in handles.items()}
        stored_while_locked = await world.store.all_jobs()
        await holder.release()
    waiting = {
        "alice": lambda j: j.card_message_id == blocked.original_message_id,
        "bob": lambda j: j.card_message_id == handles["animate"].original_message_id,
        "extension": lambda j: j.parent_job_id == earlier.id,
    }
    landed = {
        name: await world.wait_delivered((await world.wait_job(match)).id) for name, match in waiting.items()
    }
    settings_answer = await final_answer(handles["settings set"])
    settings = await world.store.get_guild_settings(discord.guild.id)
    return BusyRun(handles, answers, earlier, stored_while_locked, landed, settings_answer, settings)


async def _delivered(world: World, user: Any) -> tuple[Job, Any]:
    """Run /animate and return the delivered job and its card."""
    handle = await world.animate(user)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
    job_id = int(card.custom_ids[0].split(":")[2])
    return await world.wait_delivered(job_id), card


async def _start_blocked_job(world: World) -> InteractionHandle:
    """Alice's /animate: answered with its card, then its job creation waits for the write lock."""
    seen = {id(record) for record in world.discord.requests if _is_cdn(record)}
    handle = await world.animate(world.discord.alice)
    await handle.wait_response()
    # After the image download, only the quota check (reads) stands before the write.
    await world.discord.wait_for_request(lambda r: _is_cdn(r) and id(r) not in seen)
    return handle


def _is_cdn(record: Any) -> bool:
    return str(record.path).startswith("/cdn/")
