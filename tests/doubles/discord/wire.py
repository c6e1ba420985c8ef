"""HTTP plumbing: exact JSON responses, body parsing (JSON or multipart), request log and middleware."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Middleware

from .errors import DiscordAPIError, entity_too_large, unauthorized
from .interactions import UploadedFile
from .ratelimit import RateLimiter

API_PREFIX = "/api/v10"
_FILE_FIELD = re.compile(r"^files?\[(\d+)\]$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY_KEY = web.RequestKey("discord_body", object)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json`` (discord.py compares it)."""
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    """204 with no body."""
    return web.Response(status=204)


@dataclass
class RequestBody:
    """A parsed request: the JSON payload (``payload_json`` for multipart) and uploaded files."""

    payload: Any = None
    uploads: list[UploadedFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The payload as an object (400/50035 when it is not one)."""
        if self.payload is None:
            return {}
        if not isinstance(self.payload, dict):
            raise DiscordAPIError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "_errors": [
                        {
                            "code": "DICT_TYPE_CONVERT",
                            "message": "Only dictionaries may be used in a DictType",
                        }
                    ]
                },
            )
        return self.payload


async def read_body(request: web.Request, max_bytes: int) -> RequestBody:
    """Parse JSON or ``multipart/form-data`` (``payload_json`` + ``files[n]``), enforcing the size cap.

    Parsed once per request: a second call (the handler, after the spec check) returns the same body.
    """
    cached = request.get(BODY_KEY)
    if isinstance(cached, RequestBody):
        return cached
    if request.content_length is not None and request.content_length > max_bytes:
        raise entity_too_large()
    if request.content_type == "multipart/form-data":
        body = await _read_multipart(request, max_bytes)
    else:
        body = RequestBody(_parse_json(await request.read()))
    request[BODY_KEY] = body
    return body


async def _read_multipart(request: web.Request, max_bytes: int) -> RequestBody:
    body = RequestBody()
    total = 0
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        data = bytes(await part.read(decode=False))
        total += len(data)
        if total > max_bytes:
            raise entity_too_large()
        _take_part(body, part, data)
    return body


def _take_part(body: RequestBody, part: BodyPartReader, data: bytes) -> None:
    if part.name == "payload_json":
        body.payload = _parse_json(data)
        return
    match = _FILE_FIELD.match(part.name or "")
    if match and part.filename is not None:
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        body.uploads.append(UploadedFile(int(match.group(1)), part.filename, data, content_type))


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordAPIError(400, 50109, "The request body contains invalid JSON.") from None


@dataclass(frozen=True)
class RequestRecord:
    """One REST/CDN request the double answered."""

    method: str
    path: str
    route: str | None
    status: int
    time: float
    query: dict[str, str]
    payload: Any
    files: list[UploadedFile]
    authorization: str | None


def route_key(request: web.Request) -> str | None:
    """``"METHOD /template"`` for a matched API route, e.g. ``"POST /channels/{channel_id}/messages"``."""
    resource = request.match_info.route.resource
    if resource is None or not resource.canonical.startswith(API_PREFIX):
        return None
    return f"{request.method} {resource.canonical.removeprefix(API_PREFIX)}"


def major_parameter(request: web.Request) -> str:
    """The top-level resource a bucket is scoped to."""
    info = request.match_info
    for key in ("channel_id", "guild_id", "interaction_id"):
        if key in info:
            return f"{key}={info[key]}"
    if "webhook_id" in info:
        return f"webhook={info['webhook_id']}:{info.get('token', '')}"
    return ""


# Routes that check a user's OAuth2 Bearer token themselves (rest_command_permissions.py).
BEARER_ROUTES = frozenset(
    {"PUT /applications/{application_id}/guilds/{guild_id}/commands/{command_id}/permissions"}
)


def needs_bot_token(route: str) -> bool:
    """Interaction callbacks and webhook calls carry no Authorization header; Bearer routes a user's."""
    path = route.split(" ", 1)[1]
    return not path.startswith(("/interactions/", "/webhooks/")) and route not in BEARER_ROUTES


def make_middleware(
    limiter: RateLimiter,
    token: Callable[[], str],
    on_record: Callable[[RequestRecord], None],
    clock: Callable[[], float],
) -> Middleware:
    """Auth, rate limits and injected faults, Discord-shaped errors, and the request log."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = clock()
        route = route_key(request)
        response = await _answer(request, handler, route)
        if request.path.startswith(API_PREFIX):
            response.headers.setdefault("Via", "1.1 google")
        if request.path.startswith("/gateway"):
            return response
        body = request.get(BODY_KEY)
        on_record(
            RequestRecord(
                request.method,
                request.path,
                route,
                response.status,
                started,
                dict(request.query),
                body.payload if isinstance(body, RequestBody) else None,
                body.uploads if isinstance(body, RequestBody) else [],
                request.headers.get("Authorization"),
            )
        )
        return response

    async def _answer(request: web.Request, handler: Handler, route: str | None) -> web.StreamResponse:
        if route is None:
            return await _run(request, handler)
        if needs_bot_token(route) and request.headers.get("Authorization") != f"Bot {token()}":
            return _error_response(unauthorized())
        verdict = limiter.check(route, major_parameter(request), global_scope=needs_bot_token(route))
        if verdict.rejection is not None:
            status, headers, payload = verdict.rejection
            return json_response(payload, status, headers)
        response = await _run(request, handler)
        response.headers.update(verdict.headers)
        return response

    return middleware


async def _run(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DiscordAPIError as error:
        return _error_response(error)
    except web.HTTPException as error:
        if not request.path.startswith(API_PREFIX) or error.status < 400:
            raise
        return json_response({"message": f"{error.status}: {error.reason}", "code": 0}, error.status)


def _error_response(error: DiscordAPIError) -> web.Response:
    return json_response(error.body(), error.status)
