"""Plain REST calls to Discord for the command line (doctor, invite), without starting the gateway."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import discord
from pydantic import SecretStr

from bot import __version__
from bot.cli.parser import EXIT_OK, LOGIN_HELP, REST_FIX
from bot.settings import Settings

GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
INVITE_BASE_URL = "https://discord.com/oauth2/authorize"
INVITE_SCOPES = ("bot", "applications.commands")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)
# What the bot does in a channel: read it, post cards and clips (also in threads), embed, attach, and
# read the message a reaction was added to. It never adds reactions nor uses external emojis.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


class DiscordAPIError(Exception):
    """A Discord REST call failed; the message is safe to print and says what to do."""


class DiscordTokenRejected(DiscordAPIError):  # noqa: N818 - reads as the condition
    """Discord answered 401 to the bot token."""

    def __init__(self) -> None:
        super().__init__(LOGIN_HELP)


class DiscordUnreachable(DiscordAPIError):  # noqa: N818 - reads as the condition
    """Discord could not be reached, or did not answer in time: a network problem, not an answer."""


class DiscordREST:
    """The two read-only Discord endpoints the command line needs."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: SecretStr) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token

    async def current_user(self) -> dict[str, Any]:
        """Return the bot user (``GET /users/@me``); proves the token."""
        return await self._get("/users/@me")

    async def application(self) -> dict[str, Any]:
        """Return the bot's application (``GET /oauth2/applications/@me``): id, name, flags."""
        return await self._get("/oauth2/applications/@me")

    async def _get(self, path: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bot {self._token.get_secret_value()}",
            "User-Agent": f"DiscordBot (https://github.com/motionbot/motionbot, {__version__})",
        }
        url = self._base_url + path
        try:
            async with self._http.get(url, headers=headers, timeout=REQUEST_TIMEOUT) as response:
                status, text = response.status, await response.text(errors="replace")
        except TimeoutError:
            raise DiscordUnreachable(
                f"Discord did not answer GET {path} from {self._base_url} within "
                f"{REQUEST_TIMEOUT.total:.0f} s; {REST_FIX}"
            ) from None
        except aiohttp.ClientError as exc:
            raise DiscordUnreachable(
                f"could not reach Discord at {self._base_url} ({type(exc).__name__}); {REST_FIX}"
            ) from None
        return _payload(path, status, text)


def _payload(path: str, status: int, text: str) -> dict[str, Any]:
    """Return the JSON object of a 200 answer, or raise what the answer means."""
    if status == 401:
        raise DiscordTokenRejected
    if status != 200:
        raise DiscordAPIError(f"Discord answered HTTP {status} to GET {path}; try again later")
    try:
        payload = json.loads(text)
    except ValueError:
        raise DiscordAPIError(f"Discord sent an unreadable answer to GET {path}") from None
    if not isinstance(payload, dict):
        raise DiscordAPIError(f"Discord sent an answer of an unexpected shape to GET {path}")
    return payload


def has_message_content_intent(application_flags: int) -> bool:
    """Return True when the application may receive message content (full or limited flag)."""
    return bool(application_flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED))


def invite_url(client_id: int, permissions: discord.Permissions = BOT_PERMISSIONS) -> str:
    """Return the OAuth2 URL that adds the bot with its slash commands and ``permissions``."""
    query = urlencode(
        {"client_id": client_id, "scope": " ".join(INVITE_SCOPES), "permissions": permissions.value}
    )
    return f"{INVITE_BASE_URL}?{query}"


def user_install_url(client_id: int) -> str:
    """Return the OAuth2 URL that adds the app to a person's account (integration_type 1, no bot).

    Discord: a user install takes only the ``applications.commands`` scope (docs: resources/
    application.mdx, "Installation Context"); the app needs "User Install" on in the portal.
    """
    query = urlencode({"client_id": client_id, "integration_type": 1, "scope": "applications.commands"})
    return f"{INVITE_BASE_URL}?{query}"


# What `invite` can do without Discord: the application id is on the portal's first page.
CLIENT_ID_HINT = (
    "or skip Discord with --client-id ID (the Application ID on the developer portal's "
    "General Information page)"
)


async def fetch_client_id(settings: Settings) -> int:
    """Return the bot's application id, asking Discord with the configured token.

    When Discord cannot be asked (unreachable, an error, an odd answer) the error suggests
    ``--client-id``; a rejected token is the token's problem and says only that.
    """
    try:
        async with aiohttp.ClientSession() as http:
            rest = DiscordREST(http, str(settings.discord_api_base_url), settings.discord_token)
            application = await rest.application()
    except DiscordTokenRejected:
        raise
    except DiscordAPIError as exc:
        raise DiscordAPIError(f"{exc}; {CLIENT_ID_HINT}") from None
    try:
        return int(application["id"])
    except (KeyError, TypeError, ValueError):
        raise DiscordAPIError(f"Discord's application answer has no id; {CLIENT_ID_HINT}") from None


def print_invite(client_id: int) -> int:
    """Print both install links for ``client_id``: to a server (the bot) and to a person's account."""
    print(f"Add to a server: {invite_url(client_id)}")  # noqa: T201 - the command's output
    print(f"Add to your account (needs USER_INSTALL): {user_install_url(client_id)}")  # noqa: T201
    return EXIT_OK
