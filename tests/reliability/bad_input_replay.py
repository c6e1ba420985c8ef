"""Replaying one bad input in a fresh world and judging what the member and the services saw.

``replay(case, folder)`` starts both doubles and the real bot, runs the case's setup, takes a
``Snapshot``, performs the action and returns a ``Verdict`` listing every broken promise: no answer or
the wrong message (or language), a public or late answer, a provider request, a new or changed job row,
changed usage or server settings, or a public message left behind.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import Catalogue, Lang, resolve_locale
from bot.models import GuildSettings, Job, JobStatus
from tests.doubles.discord.model import Message
from tests.e2e.harness import World, card_text, make_world
from tests.reliability.bad_inputs import Answer, BadInput, React

DEADLINE_SECONDS = 3.0
ANSWER_TIMEOUT = 5.0
# No refusal renders a link, a masked link or a user, role or @everyone mention (channels are fine).
DISGUISED = re.compile(r"://|(?<!\\)\[[^\]]*(?<!\\)\]\(|<@[!&]?\d|@everyone|@here")


@dataclass
class Verdict:
    """What replaying one case showed; ``problems`` is empty when the input was refused properly."""

    name: str
    answer: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Return True when the case behaved as the catalogue says."""
        return not self.problems


@dataclass(frozen=True)
class Snapshot:
    """What a refusal must leave unchanged."""

    jobs: list[tuple[int, JobStatus]]
    user_usage: int
    guild_settings: GuildSettings | None
    provider_requests: int
    bot_messages: frozenset[int]

    @classmethod
    async def take(cls, world: World) -> Snapshot:
        """Read the store, the provider's request count and the bot's messages now."""
        discord = world.discord
        jobs: list[Job] = await world.store.all_jobs()
        usage = await world.store.usage_today(discord.guild.id, discord.alice.id)
        return cls(
            jobs=[(job.id, job.status) for job in jobs],
            user_usage=usage.user_today,
            guild_settings=await world.store.get_guild_settings(discord.guild.id),
            provider_requests=sum(world.comet.counts.values()),
            bot_messages=frozenset(message.id for message in discord.bot_messages()),
        )


async def replay(case: BadInput, folder: Path) -> Verdict:
    """Run ``case`` in a fresh world kept in ``folder`` and judge what the member and the services saw."""
    async with make_world(folder, **case.overrides) as world:
        for step in case.setup:
            await step(world)
        before = await Snapshot.take(world)
        answer = await case.action.perform(world, case.locale)
        verdict = Verdict(case.name)
        if case.expected_key is None:
            await check_silence(world, answer, before, verdict)
        else:
            await check_answer(world, case, answer, verdict)
        check_unchanged(before, await Snapshot.take(world), verdict)
        for message in public_leftovers(world, before, answer):
            verdict.problems.append(f"a public message is left behind: {card_text(message)!r}")
        return verdict


async def check_answer(world: World, case: BadInput, answer: Answer, verdict: Verdict) -> None:
    """Wait for the private answer (or DM) and check it is the expected message in the right language."""
    assert case.expected_key is not None
    try:
        message = await answer_message(world, answer)
    except TimeoutError:
        verdict.problems.append(f"no answer within {ANSWER_TIMEOUT:g} s")
        return
    verdict.answer = message.content
    if answer.handle is not None:
        response = answer.handle.attempts[0]
        if not message.ephemeral:
            verdict.problems.append("the refusal is public, not ephemeral")
        if response.latency >= DEADLINE_SECONDS:
            verdict.problems.append(f"first response after {response.latency:.2f} s")
    if DISGUISED.search(message.content):
        verdict.problems.append(f"the answer renders a link or mention: {message.content!r}")
    catalogue = world.bot.services.catalogue
    lang = resolve_locale(case.locale)
    if not says_any(templates(catalogue, lang, case.expected_key), message.content):
        verdict.problems.append(f"answer is not {case.expected_key} in {lang}: {message.content!r}")
    elif lang is not Lang.EN and says_any(templates(catalogue, Lang.EN, case.expected_key), message.content):
        verdict.problems.append(f"answer is in English, not {lang}: {message.content!r}")


async def answer_message(world: World, answer: Answer) -> Message:
    """Return the ephemeral answer of the interaction, or the DM sent to the member."""
    discord = world.discord
    if answer.handle is not None:
        handle = answer.handle

        def private(message: Message) -> bool:
            ours = message.id == handle.original_message_id or message.id in handle.followup_ids
            return ours and message.ephemeral and not message.loading

        return await discord.wait_for_message(private, ANSWER_TIMEOUT)
    assert answer.dm_to is not None
    inbox = discord.dm_channel(answer.dm_to).id
    return await world.wait_card(lambda message: message.channel_id == inbox, ANSWER_TIMEOUT)


async def check_silence(world: World, answer: Answer, before: Snapshot, verdict: Verdict) -> None:
    """Check an ignored reaction made no request at all, using a refused reaction as a barrier.

    Events are handled in order, so once the barrier's DM arrived, the ignored reaction would have
    fetched its message already had it been taken as a trigger.
    """
    discord = world.discord
    barrier = await React(channel="media").perform(world, "en-US")
    try:
        await answer_message(world, barrier)
    except TimeoutError:
        verdict.problems.append("the barrier reaction got no DM")
    assert answer.target is not None and barrier.target is not None
    fetched = [r for r in discord.requests if r.method == "GET" and r.path.endswith(f"/{answer.target.id}")]
    if fetched:
        verdict.problems.append("the ignored reaction's message was fetched")
    new = [m for m in discord.bot_messages() if m.id not in before.bot_messages]
    if len(new) != 1:
        verdict.problems.append(f"expected only the barrier's DM, the bot sent {len(new)} messages")


def check_unchanged(before: Snapshot, after: Snapshot, verdict: Verdict) -> None:
    """Record every change a refusal must not make."""
    if after.provider_requests != before.provider_requests:
        verdict.problems.append(f"{after.provider_requests - before.provider_requests} provider requests")
    if after.jobs != before.jobs:
        verdict.problems.append(f"jobs changed: {before.jobs} -> {after.jobs}")
    if after.user_usage != before.user_usage:
        verdict.problems.append(f"usage changed: {before.user_usage} -> {after.user_usage}")
    if after.guild_settings != before.guild_settings:
        verdict.problems.append("server settings changed")


def templates(catalogue: Catalogue, lang: Lang, key: str) -> list[str]:
    """Return every form a message can take: each plural form, or its one template."""
    forms = list(catalogue.plural_forms(lang, key).values())
    single = catalogue.template(lang, key)
    return forms or ([single] if single is not None else [])


def says_any(candidates: list[str], text: str) -> bool:
    """Return True if ``text`` contains one of the message templates with any values filled in."""
    return any(says(template, text) for template in candidates)


def says(template: str | None, text: str) -> bool:
    """Return True if ``text`` contains the message ``template`` with any values filled in."""
    if template is None:
        return False
    pattern = "".join(
        re.escape(literal) + (".+?" if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(template)
    )
    return re.search(pattern, text, re.DOTALL) is not None


def public_leftovers(world: World, before: Snapshot, answer: Answer) -> list[Message]:
    """Return the bot's new public messages in the guild that are still visible (the target aside)."""
    guild_channels = {world.discord.general.id, world.discord.media.id}
    known = before.bot_messages | {answer.target.id if answer.target else 0}
    return [
        message
        for message in world.discord.bot_messages()
        if message.id not in known
        and message.channel_id in guild_channels
        and not message.ephemeral
        and not message.deleted
    ]
