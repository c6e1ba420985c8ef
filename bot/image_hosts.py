"""Which hosts the bot may download an input image from, decided by parsing the URL (never by prefix).

Input images come from Discord only: its CDN (attachments), its media proxy and its embed image
proxies, over https on the default port. ``IMAGE_HTTP_HOSTS`` names the few ``host:port`` pairs
where plain http is accepted (a test double on 127.0.0.1); it is empty in production. A URL with
credentials, another scheme, another port or any other host is refused, and so is a redirect to one.
Nothing here does any I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

DEFAULT_IMAGE_HOSTS = (
    "cdn.discordapp.com",
    "media.discordapp.net",
    "images-ext-1.discordapp.net",
    "images-ext-2.discordapp.net",
)
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class HostRefused(Exception):  # noqa: N818 - an expected outcome, like ImageRejected
    """A URL the bot will not fetch an image from."""


def parse_host(entry: str) -> str:
    """Return a lower-case host name from an ``IMAGE_HOSTS`` entry, or raise ValueError."""
    host = entry.strip().lower()
    if not _HOSTNAME.match(host):
        raise ValueError(f"{entry!r} is not a host name")
    return host


def parse_host_port(entry: str) -> tuple[str, int]:
    """Return ``(host, port)`` from an ``IMAGE_HTTP_HOSTS`` entry such as ``127.0.0.1:8080``."""
    host, sep, port = entry.strip().lower().rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{entry!r} is not host:port")
    return parse_host(host), int(port)


@dataclass(frozen=True, slots=True)
class ImageHostPolicy:
    """The hosts input images may come from: by name over https, by ``host:port`` over http."""

    https_hosts: frozenset[str]
    http_hosts: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def of(cls, https_hosts: Iterable[str], http_hosts: Iterable[str] = ()) -> ImageHostPolicy:
        """Build a policy from setting entries (``cdn.discordapp.com``, ``127.0.0.1:8080``)."""
        return cls(frozenset(map(parse_host, https_hosts)), frozenset(map(parse_host_port, http_hosts)))

    def allows(self, url: str | URL) -> bool:
        """Return True if ``url`` may be fetched."""
        try:
            self.check(url)
        except HostRefused:
            return False
        return True

    def check(self, url: str | URL) -> URL:
        """Return ``url`` parsed (the very object to fetch), or raise ``HostRefused``."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
            host, port = parsed.raw_host, parsed.port
        except (ValueError, TypeError) as exc:
            raise HostRefused(f"unparsable URL: {exc}") from None
        if not parsed.absolute or host is None:
            raise HostRefused("not an absolute URL")
        if parsed.user is not None or parsed.password is not None:
            raise HostRefused("credentials in the URL")
        if parsed.scheme == "https" and host in self.https_hosts and parsed.explicit_port in (None, 443):
            return parsed
        if parsed.scheme == "http" and (host, port) in self.http_hosts:
            return parsed
        raise HostRefused(f"{parsed.scheme}://{host}:{port} is not an image host")

    def next_hop(self, current: URL, location: str | None) -> URL:
        """Return where a redirect from ``current`` leads, if allowed (relative locations resolved)."""
        if not location:
            raise HostRefused("a redirect without a Location")
        try:
            target = current.join(URL(location))
        except (ValueError, TypeError) as exc:
            raise HostRefused(f"unparsable Location: {exc}") from None
        return self.check(target)
