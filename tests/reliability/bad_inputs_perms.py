"""Bad inputs of issue 18 item 7: entry points used against the server's command permissions.

An admin restricted ``/animate`` in Server Settings → Integrations; the reaction and the job buttons
follow it. Each case must be refused (or, where ``/animate`` is off, a reaction ignored) with 0
provider calls. Registered at the end of ``bad_inputs.py``.
"""

from __future__ import annotations

from tests.doubles.discord import all_channels, entry, everyone
from tests.e2e.harness import World
from tests.reliability.bad_inputs import CAT, DELIVERED, FAILED, BadInput, Click, React, seeded

MEMBER_DENIED, CHANNEL_OFF = "access.member_denied", "access.channel_disabled"


async def deny_alice(world: World) -> None:
    """The admin denies alice /animate."""
    await world.discord.set_command_permissions("animate", [entry(world.discord.alice, False)])


async def only_animators(world: World) -> None:
    """The admin lets only the "Animators" role (bob) use /animate."""
    discord = world.discord
    role = await discord.add_role("Animators", members=[discord.bob])
    await discord.set_command_permissions("animate", [everyone(discord.guild, False), entry(role, True)])


async def off_in_general(world: World) -> None:
    """The admin turns /animate off in #general."""
    await world.discord.set_command_permissions("animate", [entry(world.discord.general, False)])


async def app_off_but_media(world: World) -> None:
    """The admin turns the whole application off in every channel but #media."""
    discord = world.discord
    await discord.set_command_permissions(
        None, [all_channels(discord.guild, False), entry(discord.media, True)]
    )


PERMISSION_CASES: list[BadInput] = [
    BadInput("reaction by a member denied /animate", React(files=(CAT,)), MEMBER_DENIED, setup=(deny_alice,)),
    BadInput(
        "reaction by a member without the role /animate needs",
        React(files=(CAT,)),
        MEMBER_DENIED,
        setup=(only_animators,),
    ),
    BadInput("reaction where /animate is off", React(files=(CAT,)), None, setup=(off_in_general,)),
    BadInput(
        "extend by a member denied /animate",
        Click("mb:x:{job}:0:l"),
        MEMBER_DENIED,
        setup=(seeded(DELIVERED), deny_alice),
    ),
    BadInput(
        "extend with a prompt where /animate is off, in vietnamese",
        Click("mb:p:{job}:0"),
        CHANNEL_OFF,
        "vi",
        setup=(seeded(DELIVERED), off_in_general),
    ),
    BadInput(
        "retry by a member without the role /animate needs",
        Click("mb:r:{job}"),
        MEMBER_DENIED,
        setup=(seeded(FAILED), only_animators),
    ),
    BadInput(
        "retry where the application is off in the channel, in vietnamese",
        Click("mb:r:{job}"),
        CHANNEL_OFF,
        "vi",
        setup=(seeded(FAILED), app_off_but_media),
    ),
]
