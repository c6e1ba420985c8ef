"""An image origin on 127.0.0.1 that changes its answer: the site an embed's image link points at.

``ImageOrigin([(A, "image/png"), (B, "image/png")])`` answers every path with the first body, then the
next one on each later request (the last one from then on), and records the paths asked for. Behind
the Discord double's media proxy it stands for a site that serves the bot's check one thing and the
provider, later, another.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from aiohttp import web


class ImageOrigin:
    """Serves ``answers`` in turn (the last one repeated) for any path; ``requests`` lists the paths."""

    def __init__(self, answers: Sequence[tuple[bytes, str]]) -> None:
        if not answers:
            raise ValueError("an origin needs at least one answer")
        self.answers = list(answers)
        self.requests: list[str] = []
        self.base_url = ""

    def url(self, path: str = "picture.png") -> str:
        """Return the link of ``path`` on this origin."""
        return f"{self.base_url}/{path}"

    async def _serve(self, request: web.Request) -> web.Response:
        body, content_type = self.answers[min(len(self.requests), len(self.answers) - 1)]
        self.requests.append(request.path)
        return web.Response(body=body, content_type=content_type)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ImageOrigin]:
        """Serve until the block exits."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield self
        finally:
            await runner.cleanup()
