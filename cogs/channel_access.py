"""What a member may do in another channel of the server: see it, moderate it, post in it.

An interaction carries the member's permissions in the channel it came from only; for any other
channel (or a press from a DM) they are computed from the guild cache (roles and overwrites) with
discord.py's ``permissions_for``, with the interaction's member or one read from Discord. A thread
follows its parent's permissions; a private thread is visible only to its members and to members who
may manage threads. A channel the cache does not hold (an archived thread, say) is fetched once; one
that cannot be found is seen by nobody.
"""

from __future__ import annotations

import logging

import discord

from bot.media import ChannelAccess

log = logging.getLogger(__name__)

NO_ACCESS = ChannelAccess(can_view=False, can_moderate=False)
Place = discord.abc.GuildChannel | discord.Thread


async def member_access(interaction: discord.Interaction, channel_id: int) -> ChannelAccess:
    """Return what the interaction's member may do in ``channel_id`` of the interaction's server."""
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member):
        return NO_ACCESS
    return await channel_access(guild, member, channel_id)


async def user_access(guild: discord.Guild, user_id: int, channel_id: int) -> ChannelAccess:
    """Return what ``user_id`` may do in ``channel_id`` of ``guild`` now, wherever they ask from (a DM).

    The member is read from the cache, else fetched once (the bot has no members intent); someone who
    is no longer a member may do nothing there.
    """
    try:
        member = guild.get_member(user_id) or await guild.fetch_member(user_id)
    except (discord.NotFound, discord.Forbidden):
        return NO_ACCESS
    return await channel_access(guild, member, channel_id)


async def channel_access(guild: discord.Guild, member: discord.Member, channel_id: int) -> ChannelAccess:
    """Return what ``member`` may do in ``channel_id`` of ``guild`` (a channel not found: nothing)."""
    place = guild.get_channel_or_thread(channel_id) or await _fetched(guild, channel_id)
    if place is None:
        return NO_ACCESS
    if isinstance(place, discord.Thread):
        return await _thread_access(place, member)
    return _access(place.permissions_for(member))


async def _fetched(guild: discord.Guild, channel_id: int) -> Place | None:
    """Return a channel the cache lacks (archived threads leave it), or None if it is gone or hidden."""
    try:
        return await guild.fetch_channel(channel_id)
    except (discord.NotFound, discord.Forbidden, discord.InvalidData):
        return None


async def _thread_access(thread: discord.Thread, member: discord.Member) -> ChannelAccess:
    if thread.parent is None:
        return NO_ACCESS
    permissions = thread.permissions_for(member)
    if not permissions.view_channel:
        return NO_ACCESS
    private = thread.type is discord.ChannelType.private_thread and not permissions.manage_threads
    if private and not await _joined(thread, member):
        return NO_ACCESS
    return _access(permissions, thread=True)


async def _joined(thread: discord.Thread, member: discord.Member) -> bool:
    """Return True if ``member`` is in the private ``thread`` (Discord is asked: no members intent)."""
    try:
        await thread.fetch_member(member.id)
    except discord.NotFound:
        return False
    except discord.HTTPException:
        log.info("could not check whether user %s is in thread %s", member.id, thread.id)
        return False
    return True


def _access(permissions: discord.Permissions, *, thread: bool = False) -> ChannelAccess:
    # discord.py clears every channel permission where View Channel is missing, and all but viewing
    # and reading the history for a member who is timed out.
    post = permissions.send_messages_in_threads if thread else permissions.send_messages
    return ChannelAccess(
        can_view=permissions.view_channel, can_moderate=permissions.manage_messages, can_post=post
    )
