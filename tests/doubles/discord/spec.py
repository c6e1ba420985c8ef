"""Every request body the bot sends, checked against Discord's official OpenAPI spec.

The schemas are vendored in ``tests/vendor/discord_api_spec/`` (see its SOURCE.md; refreshed by
``scripts/refresh-discord-spec``). A body the spec refuses gets Discord's own answer, 400 with JSON
code 50035 "Invalid Form Body" and an ``errors`` tree (docs: developers/reference.mdx "Error
Messages"), and is recorded: the double raises :class:`SpecViolationError` when it stops while any
recorded violation was not taken by the test, so no test can pass by a body real Discord would refuse.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from jsonschema import Draft202012Validator

from .errors import DiscordAPIError
from .spec_errors import form_errors
from .wire import RequestBody, read_body, route_key

SPEC_FILE = Path(__file__).resolve().parents[2] / "vendor" / "discord_api_spec" / "request_schemas.json"
_PARAMETER = re.compile(r"\{[^}]*\}")
CHECKED_BODIES_KEPT = 1024  # bodies whose check is remembered (most are checked once: ids differ)

# Where the spec is narrower than what Discord documents or has always accepted, a narrow exemption:
# the schema (a path into ``$defs``) also accepts one more shape, with the source that says so.
EXEMPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    # Snowflakes as JSON integers. The spec's SnowflakeType is a string, but Discord parses the field as
    # a number: the docs' own upload example sends `"attachments": [{"id": 0, ...}]` (developers/
    # reference.mdx, "Uploading Files"), its refusal of a too-big id is NUMBER_TYPE_MAX "snowflake value
    # should be less than or equal to 9223372036854775807.", and discord.py 2.7.1 sends ints in
    # attachments (file.py `File.to_dict`), message_reference (message.py `to_message_reference_dict`)
    # and allowed_mentions users/roles (mentions.py `AllowedMentions.to_dict`).
    (("SnowflakeType",), {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}),
    # default_member_permissions as a string of digits: the docs type it "?string" ("Set of permissions
    # represented as a bit set", developers/interactions/application-commands.mdx, Application Command
    # Object), and discord.js sends it so (PermissionsBitField.resolve(...).toString()); the spec has a
    # number, which discord.py sends.
    *(
        ((schema, "properties", "default_member_permissions"), {"type": "string", "pattern": "^[0-9]{1,20}$"})
        for schema in (
            "ApplicationCommandCreateRequest",
            "ApplicationCommandPatchRequestPartial",
            "ApplicationCommandUpdateRequest",
        )
    ),
)

# Routes whose body the spec writes inline and the double's handler checks itself against the
# documented shape, after Discord's own auth answer (a bot token gets 403/20001 before any body check):
# Edit Application Command Permissions is sent by the Server Settings UI with a user's Bearer token,
# never by the bot (rest_command_permissions.py validates the Application Command Permissions list).
HANDLER_CHECKED = frozenset({"PUT /applications/{}/guilds/{}/commands/{}/permissions"})


@dataclass(frozen=True)
class SpecViolation:
    """A request body the spec refuses: where it went, what it was, and Discord's ``errors`` tree."""

    route: str
    path: str
    payload: Any
    errors: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.route} ({self.path}): {json.dumps(self.errors, ensure_ascii=False)}"


class SpecViolationError(AssertionError):
    """Raised when a double stops with spec violations that no test took (see ``take_violations``)."""


class RequestSpec:
    """The vendored request schemas, with one validator per route compiled on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._defs = _with_exemptions(document["$defs"])
        self._routes = {_template(key): schema for key, schema in document["routes"].items()}
        self._inline = {_template(key) for key in document["inline_routes"]}
        self._bodiless = {_template(key) for key in document["bodiless_routes"]}
        self._validators: dict[str, Draft202012Validator] = {}
        self._checked: dict[tuple[str, str], dict[str, Any] | None] = {}

    def errors_for(self, route: str, payload: Any) -> dict[str, Any] | None:
        """Discord's ``errors`` tree for ``payload`` sent to ``route`` ("METHOD /path"), or None if valid."""
        key = _template(route)
        if key in HANDLER_CHECKED:
            return None
        validator = self._validator(key)
        if validator is not None:
            return self._form_errors(key, validator, payload)
        # Not checkable is not a pass: the double's own code (SPEC_UNCHECKED), so a new route or a new
        # body is noticed and given a schema (or the spec is refreshed) before a test can rely on it.
        if key in self._bodiless:
            why = "takes no body in the spec"
        elif key in self._inline:
            why = "takes a body the spec writes inline (no schema to check it with)"
        else:
            why = "is not in the spec"
        return _request_error("SPEC_UNCHECKED", f"{route} {why}.")

    def _form_errors(self, key: str, validator: Draft202012Validator, payload: Any) -> dict[str, Any] | None:
        """``form_errors``, remembered per route and exact body: the check is a pure function of both, and
        each world's bot sends the same bodies (its command sync, ~25 ms to check, above all)."""
        checked = (key, json.dumps(payload, ensure_ascii=False))  # key order, 1 vs 1.0 vs true: exact
        if checked not in self._checked:
            if len(self._checked) >= CHECKED_BODIES_KEPT:
                del self._checked[next(iter(self._checked))]  # the oldest first
            self._checked[checked] = form_errors(validator, payload)
        return copy.deepcopy(self._checked[checked])  # a tree of its own for each refusal

    def _validator(self, key: str) -> Draft202012Validator | None:
        if key not in self._validators:
            schema = self._routes.get(key)
            if schema is None:
                return None
            self._validators[key] = Draft202012Validator({**schema, "$defs": self._defs})
        return self._validators[key]


@functools.cache
def request_spec() -> RequestSpec:
    """The vendored spec, loaded once per process (every double shares its compiled validators)."""
    return RequestSpec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


@dataclass
class SpecGuard:
    """One double's check of request bodies: its middleware, its violations, its switch.

    ``enabled = False`` turns the check off for a test of the double's own rules that must see them
    answer first; a test that sends a refused body on purpose takes it with ``take_violations()``.
    """

    enabled: bool = True
    violations: list[SpecViolation] = field(default_factory=list)
    # Told of each refusal, so a route that records refused attempts (callbacks) records this one too.
    on_refusal: Callable[[web.Request, RequestBody, DiscordAPIError], None] | None = None

    def take_violations(self) -> list[SpecViolation]:
        """Return the recorded violations and forget them (the test has seen them)."""
        taken, self.violations = self.violations, []
        return taken

    def raise_if_violated(self) -> None:
        """Raise :class:`SpecViolationError` listing every violation no test took."""
        if self.violations:
            lines = "\n".join(f"  - {violation}" for violation in self.take_violations())
            raise SpecViolationError(
                "Discord would refuse these request bodies (its OpenAPI spec, tests/vendor/):\n"
                f"{lines}\nFix the body (a test sending one on purpose: `double.spec.take_violations()`)."
            )

    def middleware(self, max_bytes: Callable[[], int]) -> Middleware:
        """An aiohttp middleware checking the body of every API request before its handler runs."""

        @web.middleware
        async def check_body(request: web.Request, handler: Handler) -> web.StreamResponse:
            route = route_key(request)
            if self.enabled and route is not None and request.body_exists:  # no body, nothing to check
                body = await read_body(request, max_bytes())
                self._check(route, request, body)
            return await handler(request)

        return check_body

    def _check(self, route: str, request: web.Request, body: RequestBody) -> None:
        payload = body.payload
        if payload is None and request.content_type == "multipart/form-data":
            payload = {}  # form fields without payload_json: no JSON fields at all
        errors = request_spec().errors_for(route, payload)
        if errors is None:
            return
        self.violations.append(SpecViolation(route, request.path, payload, errors))
        refusal = DiscordAPIError(400, 50035, "Invalid Form Body", errors=errors)
        if self.on_refusal is not None:
            self.on_refusal(request, body, refusal)
        raise refusal


def _template(route: str) -> str:
    """``"POST /interactions/{}/{}/callback"``: parameter names differ between the spec and the double."""
    return _PARAMETER.sub("{}", route)


def _with_exemptions(defs: dict[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(defs)
    for (*parents, name), extra in EXEMPTIONS:
        holder = functools.reduce(lambda node, key: node[key], parents, patched)
        holder[name] = {"anyOf": [holder[name], extra]}
    return patched


def _request_error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}
