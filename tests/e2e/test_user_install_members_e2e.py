"""USER_INSTALL=members attacked (issue 22 review): who shares a server, and what asking costs Discord.

The bot has no members intent, so its member cache is nearly empty: whether a person shares a server
with it is asked of Discord, one request per server the bot is in. A stranger repeating the command
(or a member using it all day) must not cost that round each time.
"""

from __future__ import annotations

from tests.doubles.discord import Channel
from tests.e2e.harness import World
from tests.e2e.test_user_install_e2e import installed_world, is_delivered

MEMBER_LOOKUP = "GET /guilds/{guild_id}/members/{user_id}"


def lookups(world: World, user_id: int) -> int:
    """How many times the bot asked Discord whether ``user_id`` is a member of one of its servers."""
    return sum(1 for r in world.discord.requests_to(MEMBER_LOOKUP) if r.path.endswith(f"/members/{user_id}"))


async def animate_answer(world: World, user: object, channel: Channel) -> str:
    """``user`` runs /animate in ``channel``; return the first answer's text."""
    handle = await world.animate(user, channel=channel)  # type: ignore[arg-type]
    return str((await handle.wait_response()).data.get("content") or "")


async def test_a_stranger_costs_one_round_of_lookups_not_one_per_try(tmp_path) -> None:
    """Carol, in no server of the bot's three, is refused three times; Discord is asked once per server."""
    async with installed_world(tmp_path, "members") as (world, lounge):
        discord = world.discord
        for name in ("Second", "Third"):
            await discord.add_guild(name, channels=("general",), members=[discord.bob])
        carol = await discord.add_user("carol", guild=discord.state.guilds[lounge.guild_id or 0])
        discord.install_for_user(carol)

        for _ in range(3):
            assert "only for members of a server" in await animate_answer(world, carol, lounge)
        assert lookups(world, carol.id) == 3, "one lookup per server of the bot, once"
        assert world.comet.submissions == []


async def test_a_member_found_once_is_let_in_again_without_asking(tmp_path) -> None:
    """Alice shares a server with the bot: after the first answer her next commands ask Discord nothing."""
    async with installed_world(tmp_path, "members") as (world, lounge):
        discord = world.discord
        first = await world.animate(discord.alice, channel=lounge)
        await first.wait_original(is_delivered)
        asked = lookups(world, discord.alice.id)
        second = await world.animate(discord.alice, channel=lounge)
        await second.wait_original(is_delivered)
        assert lookups(world, discord.alice.id) == asked
