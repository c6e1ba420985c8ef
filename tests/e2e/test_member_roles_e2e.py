"""Every way to start a job hands the intake the roles the member holds (for their money budgets).

Admission reads a member's allowance from their roles (``bot.budget.effective_budgets``). The roles
come from Discord with each interaction and reaction; these tests record what reaches the intake
from each entry point: /animate, its upload form, "Animate image", the 🎬 reaction, Extend, Extend
with a prompt, and Retry.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import Job, JobStatus
from tests.doubles.discord import Role, User
from tests.doubles.media import png_bytes
from tests.e2e.harness import World

IMAGE = ("cat.png", png_bytes(width=256, height=256), "image/png")


class Seen:
    """What the intake was asked: each request it started, and each role set checked before a form."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.prechecked: list[frozenset[int]] = []

    def roles(self) -> list[frozenset[int]]:
        return [request.role_ids for request in self.requests]


@pytest.fixture
def seen(world: World, monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Record the requests the cogs hand to the running bot's intake (which still does the work)."""
    intake, found = world.bot.services.intake, Seen()
    for name in ("start", "start_extension"):
        original = getattr(intake, name)

        async def recorded(request: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Job:
            found.requests.append(request)
            return await _original(request, *args, **kwargs)

        monkeypatch.setattr(intake, name, recorded)
    precheck_member = intake.precheck_member

    async def prechecked(*args: Any, role_ids: frozenset[int] = frozenset(), **kwargs: Any) -> None:
        found.prechecked.append(role_ids)
        await precheck_member(*args, role_ids=role_ids, **kwargs)

    monkeypatch.setattr(intake, "precheck_member", prechecked)
    return found


async def roles_of(world: World, user: User) -> tuple[Role, Role]:
    """Give ``user`` two roles, as a server does (GUILD_ROLE_CREATE, then GUILD_MEMBER_UPDATE)."""
    booster = await world.discord.add_role("Booster", members=[user])
    patron = await world.discord.add_role("Patron", members=[user])
    return booster, patron


async def delivered(world: World) -> tuple[Job, Any]:
    handle = await world.animate()
    await handle.wait_response()
    job = await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is JobStatus.DELIVERED
    )
    card = await world.wait_card(lambda m: m.id == job.card_message_id and len(m.files) == 4)
    return job, card


async def test_animate_hands_over_the_members_roles_but_not_everyone(world, seen):
    booster, patron = await roles_of(world, world.discord.alice)
    handle = await world.animate()
    await handle.wait_response()
    await world.wait_job(lambda j: j.card_message_id == handle.original_message_id)

    bob = await world.animate(world.discord.bob)
    await bob.wait_response()
    await world.wait_job(lambda j: j.card_message_id == bob.original_message_id)

    assert seen.roles() == [frozenset({booster.id, patron.id}), frozenset()]


async def test_the_upload_form_hands_over_the_roles_when_it_opens_and_when_it_is_sent(world, seen):
    booster, patron = await roles_of(world, world.discord.alice)
    opened = await world.discord.slash(world.discord.alice, "animate", {})
    await opened.wait_response()
    submitted = await world.discord.submit_modal(world.discord.alice, opened, files={"image": [IMAGE]})
    await submitted.wait_response()
    await world.wait_job(lambda j: j.card_message_id == submitted.original_message_id)

    assert seen.prechecked == [frozenset({booster.id, patron.id})]
    assert seen.roles() == [frozenset({booster.id, patron.id})]


async def test_animate_image_and_the_reaction_hand_over_the_roles(world, seen):
    discord = world.discord
    booster, patron = await roles_of(world, discord.bob)
    source = await discord.post_message(discord.alice, discord.general, "my cat", attachments=[IMAGE])
    handle = await discord.message_command(discord.bob, "Animate image", source)
    await handle.wait_response()
    await world.wait_job(lambda j: j.card_message_id == handle.original_message_id)
    await discord.add_reaction(discord.mod, source, "🎬")
    await world.wait_job(lambda j: j.requester_id == discord.mod.id and j.card_message_id is not None)

    mod_roles = frozenset(discord.guild.members[discord.mod.id].role_ids)
    assert mod_roles and discord.guild.id not in mod_roles
    assert seen.roles() == [frozenset({booster.id, patron.id}), mod_roles]


async def test_extend_and_extend_with_a_prompt_hand_over_the_roles_of_who_pressed(world, seen):
    discord = world.discord
    parent, card = await delivered(world)
    booster, patron = await roles_of(world, discord.alice)
    click = await discord.click(discord.alice, card, f"mb:x:{parent.id}:0:l")
    await click.wait_response()
    await world.wait_job(lambda j: j.parent_job_id == parent.id)
    opened = await discord.click(discord.alice, card, f"mb:p:{parent.id}:1")
    await opened.wait_response()
    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": "the cat jumps"})
    await submitted.wait_response()
    await world.wait_job(lambda j: j.parent_job_id == parent.id and j.clip_index == 1)

    assert seen.roles()[1:] == [frozenset({booster.id, patron.id})] * 2


async def test_retry_hands_over_the_roles(world, seen):
    discord = world.discord
    world.comet.moderate_submits("nude", prompt="nude")
    handle = await world.animate(prompt="a nude statue")
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED)
    card = await world.wait_card(
        lambda m: m.id == failed.card_message_id and f"mb:r:{failed.id}" in m.custom_ids
    )
    booster, patron = await roles_of(world, discord.alice)
    click = await discord.click(discord.alice, card, f"mb:r:{failed.id}")
    await click.wait_response()
    await world.wait_job(lambda j: j.id != failed.id)

    assert seen.roles() == [frozenset(), frozenset({booster.id, patron.id})]
