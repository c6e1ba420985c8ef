"""Issue 18's hostile members and careless admins, for the bad-input catalogue (items 2, 3 and 4).

``/show`` across channels (a moderator of another channel, a member who cannot see the job's
channel, a requester re-posting a card a moderator deleted), Cancel and Retry by another member where
everyone may press the buttons, and a server whose last allowed channel was removed. Each must be
refused privately with 0 provider calls.

``tests.reliability.bad_inputs`` adds ``members_cases()`` to ``BAD_INPUTS``; the cases are built in a
function so that either module may be imported first. The seeded job is the first of a fresh world
(id 1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from bot.models import GuildSettings, JobStatus
from tests.doubles.discord import Perm
from tests.doubles.discord.model import Message
from tests.e2e.harness import World, final_answer
from tests.store_fixtures import save_settings

if TYPE_CHECKING:
    from tests.reliability.bad_inputs import BadInput

SEEDED_JOB = 1
CLOSED = "error.no_channel_allowed"


async def mod_of_media_only(world: World) -> None:
    """ "media-mod" has Manage Messages in #media only (a channel overwrite)."""
    discord = world.discord
    user = await discord.add_user("media-mod")
    await discord.set_channel_permissions(discord.media, user, allow=Perm.MANAGE_MESSAGES)


async def mod_cannot_see_general(world: World) -> None:
    """The moderator (Manage Messages server-wide) is denied View Channel in #general."""
    discord = world.discord
    await discord.set_channel_permissions(discord.general, discord.mod, deny=Perm.VIEW_CHANNEL)


async def card_deleted_by_a_moderator(world: World) -> None:
    """The seeded job gets a card in #general, which a moderator deletes; the bot remembers it."""
    discord, store = world.discord, world.store
    card = Message(
        id=discord.state.ids.next(),
        channel_id=discord.general.id,
        guild_id=discord.guild.id,
        author=discord.bot_user,
    )
    discord.state.add_message(discord.general, card)
    await store.set_card_message(SEEDED_JOB, card.id)
    await discord.delete_message(card)
    async with asyncio.timeout(5):
        while not await store.get_meta(f"card_removed:{SEEDED_JOB}"):
            await asyncio.sleep(0.02)


def everyone_may_press(world: World) -> Awaitable[None]:
    """The server lets every member press the buttons (which is about Extend)."""
    guild = world.discord.guild.id
    return save_settings(world.store, GuildSettings(guild_id=guild, buttons_everyone=True))


async def last_channel_removed(world: World) -> None:
    """The admin limits the bot to #media, then removes #media: no channel is left."""
    discord = world.discord
    for action in ("add", "remove"):
        options = {"action": action, "channel": discord.media}
        handle = await discord.slash(discord.admin, "motionbot settings channels", options)
        await final_answer(handle)


def members_cases() -> list[BadInput]:
    """Return issue 18's cases for items 2, 3 and 4."""
    from tests.reliability.bad_inputs import (
        CAT,
        Animate,
        BadInput,
        Click,
        Command,
        ContextMenu,
        FormUpload,
        React,
        seeded,
    )

    delivered, running, failed = (
        seeded(s) for s in (JobStatus.DELIVERED, JobStatus.SUBMITTED, JobStatus.FAILED)
    )
    show = {"job": SEEDED_JOB}
    return [
        # item 2: /show across channels, and a card a moderator removed
        BadInput(
            "/show by a moderator of another channel",
            Command("show", show, user="media-mod", channel="media"),
            "show.not_yours",
            setup=(delivered, mod_of_media_only),
        ),
        BadInput(
            "/show by a moderator who cannot see the job's channel",
            Command("show", show, user="mod", channel="media"),
            "show.not_found",
            setup=(delivered, mod_cannot_see_general),
        ),
        BadInput(
            "/show by a moderator who cannot see the job's channel, in vietnamese",
            Command("show", show, user="mod", channel="media"),
            "show.not_found",
            "vi",
            setup=(delivered, mod_cannot_see_general),
        ),
        BadInput(
            "/show by the requester of a card a moderator deleted",
            Command("show", show),
            "show.removed_by_moderator",
            setup=(delivered, card_deleted_by_a_moderator),
        ),
        # item 3: everyone may press Extend, never Cancel or Retry
        BadInput(
            "cancel by another member where everyone may press",
            Click("mb:c:{job}", user="bob"),
            "cancel.not_yours",
            setup=(running, everyone_may_press),
        ),
        BadInput(
            "retry by another member where everyone may press, in vietnamese",
            Click("mb:r:{job}", user="bob"),
            "retry.not_yours",
            "vi",
            setup=(failed, everyone_may_press),
        ),
        # item 4: the last allowed channel removed leaves none, at every entry point
        BadInput(
            "/animate after the last channel was removed", Animate(CAT), CLOSED, setup=(last_channel_removed,)
        ),
        BadInput(
            "/animate in the removed channel, in vietnamese",
            Animate(CAT, channel="media"),
            CLOSED,
            "vi",
            setup=(last_channel_removed,),
        ),
        BadInput(
            "reaction after the last channel was removed",
            React(files=(CAT,)),
            CLOSED,
            setup=(last_channel_removed,),
        ),
        BadInput(
            "context menu after the last channel was removed",
            ContextMenu(files=(CAT,)),
            CLOSED,
            setup=(last_channel_removed,),
        ),
        BadInput(
            "upload form after the last channel was removed",
            FormUpload(CAT),
            CLOSED,
            setup=(last_channel_removed,),
        ),
        BadInput(
            "extend after the last channel was removed",
            Click("mb:x:{job}:0:l"),
            CLOSED,
            setup=(delivered, last_channel_removed),
        ),
    ]
