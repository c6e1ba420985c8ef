"""Discord's media proxy for embed images: ``/external/{signature}/{scheme}/{host}/{path}``.

An embed's ``image.proxy_url`` points at Discord's media proxy (``images-ext-N.discordapp.net`` or
``media.discordapp.net``, path ``/external/<signature>/<scheme>/<host>/<path>``; discord-api-docs
``resources/message.mdx``, "Embed Image Structure": ``proxy_url``, "a proxied url of the image"). The
proxy fetches the original from its origin. Discord caches for a while; the double does not, so every
request reaches the origin, the worst case: an origin that changes its answer is seen at once, by the
bot and by anyone else (the provider) alike. Only loopback origins are fetched (no test leaves the
machine). ``fetches`` records every origin URL fetched.
"""

from __future__ import annotations

import hashlib

import aiohttp
from aiohttp import web
from yarl import URL

ROUTE = "/external/{signature}/{scheme}/{host}/{path:.*}"
LOOPBACK = frozenset({"127.0.0.1", "localhost"})
TIMEOUT = aiohttp.ClientTimeout(total=10)


class MediaProxy:
    """Builds proxy URLs for originals and serves them by fetching the origin each time."""

    def __init__(self) -> None:
        self.base_url = ""
        self.fetches: list[str] = []

    def url_for(self, original: str) -> str:
        """Return the ``proxy_url`` Discord would give an embed image at ``original``."""
        url = URL(original)
        signature = hashlib.sha256(original.encode()).hexdigest()[:22]
        host = f"{url.host}:{url.port}" if url.explicit_port else str(url.host)
        tail = url.raw_path_qs.lstrip("/")
        return f"{self.base_url}/external/{signature}/{url.scheme}/{host}/{tail}"

    async def handle(self, request: web.Request) -> web.Response:
        """Fetch the original from its (loopback) origin and answer with its bytes and type."""
        info = request.match_info
        original = URL(f"{info['scheme']}://{info['host']}/{info['path']}").with_query(request.query)
        if info["scheme"] not in ("http", "https") or original.host not in LOOPBACK:
            raise web.HTTPNotFound(text="Not Found")
        self.fetches.append(str(original))
        async with aiohttp.ClientSession() as session, session.get(original, timeout=TIMEOUT) as got:
            body = await got.read()
            if got.status != 200:
                raise web.HTTPNotFound(text="Not Found")
            return web.Response(body=body, content_type=got.content_type)
