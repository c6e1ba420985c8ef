"""What every REST route module shares: the context and lookups that raise Discord's 404s."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from .config import DoubleConfig
from .errors import DiscordAPIError, unknown_channel, unknown_message
from .events import GatewayEvents
from .messages import MessageService
from .model import Channel, Message
from .state import DoubleState


@dataclass
class RestContext:
    """The collaborators REST handlers use."""

    state: DoubleState
    config: DoubleConfig
    messages: MessageService
    events: GatewayEvents


def snowflake_param(request: web.Request, name: str) -> int:
    """A snowflake path parameter (400/50035 "is not snowflake" for anything else)."""
    raw = request.match_info[name]
    if not raw.isdigit():
        raise DiscordAPIError(
            400,
            50035,
            "Invalid Form Body",
            errors={
                name: {
                    "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{raw}" is not snowflake.'}]
                }
            },
        )
    return int(raw)


def channel_or_404(ctx: RestContext, request: web.Request) -> Channel:
    """The channel named by ``{channel_id}`` (404/10003 if unknown)."""
    channel = ctx.state.channels.get(snowflake_param(request, "channel_id"))
    if channel is None:
        raise unknown_channel()
    return channel


def message_or_404(channel: Channel, message_id: int) -> Message:
    """A live, non-ephemeral message of ``channel`` (404/10008 otherwise)."""
    message = channel.messages.get(message_id)
    if message is None or message.deleted or message.ephemeral:
        raise unknown_message()
    return message
