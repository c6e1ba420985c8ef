"""The gateway payloads built from the double's state: READY, GUILD_CREATE, member chunks."""

from __future__ import annotations

from typing import Any

from .model import Guild, Intent, Member
from .payloads import channel_json, guild_create_json, member_json, user_json
from .state import DoubleState

APPLICATION_FLAG_BITS = {
    "presences": 1 << 13,  # GATEWAY_PRESENCE_LIMITED
    "members": 1 << 15,  # GATEWAY_GUILD_MEMBERS_LIMITED
    "message_content": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
}


def application_flags(state: DoubleState) -> int:
    """Application flags reflecting the portal's privileged-intent toggles."""
    portal = state.portal
    toggles = {
        "presences": portal.presences,
        "members": portal.members,
        "message_content": portal.message_content,
    }
    return sum(bit for name, bit in APPLICATION_FLAG_BITS.items() if toggles[name])


def in_shard(guild_id: int, shard: tuple[int, int]) -> bool:
    """Discord's shard formula: ``(guild_id >> 22) % shard_count == shard_id``."""
    shard_id, count = shard
    return (guild_id >> 22) % count == shard_id


def ready_payload(
    state: DoubleState, session_id: str, shard: tuple[int, int], resume_url: str
) -> dict[str, Any]:
    """The READY dispatch data."""
    user = {**user_json(state.bot_user), "verified": True, "mfa_enabled": False, "flags": 0}
    return {
        "v": 10,
        "user": user,
        "guilds": [
            {"id": str(g.id), "unavailable": True}
            for g in state.guilds.values()
            if in_shard(g.id, shard) and state.bot_in(g)  # only the servers that installed the app
        ],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "shard": list(shard),
        "application": {"id": str(state.application_id), "flags": application_flags(state)},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "auth": {},
        "_trace": ["discord-double"],
    }


def guild_create_payloads(state: DoubleState, intents: int, shard: tuple[int, int]) -> list[dict[str, Any]]:
    """One GUILD_CREATE per guild of the shard; members other than the bot need GUILD_MEMBERS."""
    return [
        guild_create_payload(state, guild, intents)
        for guild in state.guilds.values()
        if in_shard(guild.id, shard) and state.bot_in(guild)
    ]


def guild_create_payload(state: DoubleState, guild: Guild, intents: int) -> dict[str, Any]:
    """The GUILD_CREATE of one guild as a session with ``intents`` receives it."""
    me = guild.members[state.bot_user.id]
    members = list(guild.members.values()) if intents & Intent.GUILD_MEMBERS else [me]
    channels = [channel_json(c) for c in guild.channels.values()]
    return guild_create_json(guild, me, members, channels)


def members_chunk(state: DoubleState, request: dict[str, Any]) -> dict[str, Any]:
    """Answer an op 8 with a single GUILD_MEMBERS_CHUNK echoing the nonce."""
    guild = state.guilds.get(int(request.get("guild_id") or 0))
    members = list(guild.members.values()) if guild else []
    wanted = [int(u) for u in request.get("user_ids") or []]
    if wanted:
        found = [m for m in members if m.id in wanted]
        not_found = [str(u) for u in wanted if u not in {m.id for m in found}]
    else:
        found, not_found = _by_query(members, str(request.get("query") or "")), []
    limit = int(request.get("limit") or 0)
    chunk: dict[str, Any] = {
        "guild_id": str(guild.id if guild else request.get("guild_id")),
        "members": [member_json(m) for m in (found[:limit] if limit else found)],
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": not_found,
    }
    if request.get("nonce") is not None:
        chunk["nonce"] = request["nonce"]
    return chunk


def _by_query(members: list[Member], query: str) -> list[Member]:
    lowered = query.lower()
    return [m for m in members if m.user.username.lower().startswith(lowered)]
