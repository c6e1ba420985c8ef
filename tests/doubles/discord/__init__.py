"""A protocol-level Discord double (Gateway v10 + REST v10 + CDN) for discord.py 2.7.1 tests."""

from .command_permissions import CommandNotPermittedError, all_channels, entry, everyone
from .config import DoubleConfig
from .errors import DiscordAPIError
from .gateway import ConnectionRecord, GatewayEvent
from .interactions import CallbackRecord, InteractionHandle, UploadedFile
from .model import (
    Channel,
    Guild,
    Intent,
    Member,
    Message,
    MessageFlag,
    MessageRevision,
    Perm,
    PortalSettings,
    Role,
    StoredFile,
    User,
)
from .options import FileSpec
from .ratelimit import BucketRule
from .server import DiscordDouble
from .snowflake import snowflake_time
from .wire import RequestRecord

__all__ = [
    "BucketRule",
    "CallbackRecord",
    "Channel",
    "CommandNotPermittedError",
    "ConnectionRecord",
    "DiscordAPIError",
    "DiscordDouble",
    "DoubleConfig",
    "FileSpec",
    "GatewayEvent",
    "Guild",
    "Intent",
    "InteractionHandle",
    "Member",
    "Message",
    "MessageFlag",
    "MessageRevision",
    "Perm",
    "PortalSettings",
    "RequestRecord",
    "Role",
    "StoredFile",
    "UploadedFile",
    "User",
    "all_channels",
    "entry",
    "everyone",
    "snowflake_time",
]
