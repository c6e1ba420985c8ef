"""Tunable behaviour of the double (deadlines, limits, gateway options)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .model import MIB, PortalSettings


@dataclass
class DoubleConfig:
    """Settings a test may change before or while the bot runs."""

    token: str = "MTQwMDAwMDAwMDAwMDAwMDAw.double.discord-token"
    bot_name: str = "Motionbot"
    portal: PortalSettings = field(default_factory=PortalSettings)
    # Discord: the initial response must come within 3 s of the INTERACTION_CREATE.
    response_deadline: float = 3.0
    token_lifetime: datetime.timedelta = datetime.timedelta(minutes=15)
    max_request_bytes: int = 25 * MIB
    heartbeat_interval_ms: int = 41_250
    # False sends plain text frames whatever compression the client asked for.
    honour_compression: bool = True
    # Discord closes an IDENTIFY whose shard would hold more guilds than this with 4011.
    max_guilds_per_shard: int = 2500
    # ``shards`` in GET /gateway/bot; None recommends one shard per 1,000 guilds, as Discord roughly does.
    recommended_shards: int | None = None
    # False: a stale or modified client that offers every command everywhere (installs.py not checked),
    # for testing a bot's own guard against commands used where they are not registered.
    check_command_contexts: bool = True
