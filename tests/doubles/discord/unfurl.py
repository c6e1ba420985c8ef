"""A message's files as Discord returns them: those its components or embeds use are resolved there.

Discord lists in a message's ``attachments`` only "any attached files that are not referenced in
embeds or components" (docs:developers/resources/message.mdx, Message Structure, ``attachments``).
discord-api-docs issue 8277 ("Missing attachments in message object response", 2026-04) reported
that a message whose V2 components use its files comes back with ``"attachments": []`` while "the
corresponding media gallery items have the correct urls"; a Discord staff member answered "this is
actually intentional behavior, messages with components dont include the attachments in the
response", and PR 8279 wrote the rule above into the docs ("attachments used in embeds and
components are not included in the attachments array"). The same holds for every message the API
returns: create, edit, fetch, history, MESSAGE_CREATE/UPDATE and an interaction's original response.

Each ``attachment://name`` media item comes back as an unfurled media item
(docs:developers/components/reference.mdx, "Unfurled Media Item Structure": ``url``, ``proxy_url``,
``width``/``height`` "if image or video", ``content_type``, ``attachment_id`` "only present if the
media item was uploaded as an attachment"); a File component also gets the file's ``name`` and
``size``. An embed image or thumbnail naming a file gets its CDN ``url`` and ``proxy_url``
(docs:developers/resources/message.mdx, "Embed Image Structure"). The double keeps what the bot sent
(``Message.components`` still says ``attachment://``); only the rendering resolves it.
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import PIL.Image

from .model import StoredFile

ATTACHMENT_SCHEME = "attachment://"
FILE_COMPONENT = 13
MEDIA_KEYS = ("media", "file")  # a gallery item's and a thumbnail's media; a File component's file
EMBED_MEDIA_KEYS = ("image", "thumbnail")


@dataclass(frozen=True)
class RenderedMedia:
    """Components and embeds with their files resolved, and the ids of the files they use."""

    components: list[dict[str, Any]]
    embeds: list[dict[str, Any]]
    used: frozenset[int]


def render_media(
    components: Sequence[dict[str, Any]], embeds: Sequence[dict[str, Any]], files: Sequence[StoredFile]
) -> RenderedMedia:
    """Return copies of ``components`` and ``embeds`` with every ``attachment://`` item resolved."""
    resolver = _Resolver({stored.filename: stored for stored in files})
    rendered = [resolver.component(c) for c in copy.deepcopy(list(components))]
    shown = [resolver.embed(e) for e in copy.deepcopy(list(embeds))]
    return RenderedMedia(rendered, shown, frozenset(resolver.used))


def unreferenced(files: Sequence[StoredFile], used: frozenset[int]) -> list[StoredFile]:
    """Return the files that stay in ``attachments``: those no component or embed uses."""
    return [stored for stored in files if stored.id not in used]


class _Resolver:
    def __init__(self, by_name: dict[str, StoredFile]) -> None:
        self.by_name = by_name
        self.used: set[int] = set()

    def _file(self, media: Any) -> StoredFile | None:
        url = media.get("url") if isinstance(media, dict) else None
        if not isinstance(url, str) or not url.startswith(ATTACHMENT_SCHEME):
            return None
        return self.by_name.get(url[len(ATTACHMENT_SCHEME) :])

    def component(self, component: Any) -> Any:
        if isinstance(component, list):
            return [self.component(child) for child in component]
        if not isinstance(component, dict):
            return component
        for key, value in component.items():
            if key in MEDIA_KEYS and (stored := self._file(value)) is not None:
                component[key] = self._unfurled(value, stored)
                if component.get("type") == FILE_COMPONENT:
                    component["name"], component["size"] = stored.filename, stored.size
            elif isinstance(value, dict | list):
                component[key] = self.component(value)
        return component

    def _unfurled(self, media: dict[str, Any], stored: StoredFile) -> dict[str, Any]:
        self.used.add(stored.id)
        item = {
            **media,
            "url": stored.url,
            "proxy_url": stored.url,
            "content_type": stored.content_type,
            "attachment_id": str(stored.id),
            "flags": 0,
        }
        dimensions = image_dimensions(stored.data)
        if dimensions is not None:
            item["width"], item["height"] = dimensions
        return item

    def embed(self, embed: dict[str, Any]) -> dict[str, Any]:
        for key in EMBED_MEDIA_KEYS:
            media = embed.get(key)
            stored = self._file(media)
            if stored is not None and isinstance(media, dict):
                self.used.add(stored.id)
                embed[key] = {**media, "url": stored.url, "proxy_url": stored.url}
        return embed


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image file, or None for anything Pillow cannot identify."""
    try:
        with warnings.catch_warnings():
            # Huge test images are the point of some tests; Discord would still report their size.
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (PIL.UnidentifiedImageError, PIL.Image.DecompressionBombError, OSError, ValueError):
        return None
    return int(width), int(height)
