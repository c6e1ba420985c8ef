"""Validation of a Components V2 message (flag IS_COMPONENTS_V2): layout types, media and totals.

Discord's rules (docs:developers/components/reference.mdx): the top level holds action rows, sections,
text displays, media galleries, files, separators and containers; a container holds the same minus
containers; a media gallery has 1-10 items, each with ``media.url``; ``attachment://name`` must name a
file of the message; at most 40 components counted recursively and 4000 characters of text display.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from .errors import FormErrors, FormPath
from .model import iter_components

ACTION_ROW, BUTTON, SECTION, TEXT_DISPLAY, THUMBNAIL = 1, 2, 9, 10, 11
MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = 12, 13, 14, 17
TOP_LEVEL = frozenset({ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER})
IN_CONTAINER = TOP_LEVEL - {CONTAINER}
MAX_COMPONENTS = 40
MAX_TEXT = 4000
MAX_GALLERY_ITEMS = 10
ATTACHMENT_SCHEME = "attachment://"

RowCheck = Callable[[dict[str, Any], FormPath, FormErrors], None]


class V2Checker:
    """Checks one V2 component tree; ``files`` are the names ``attachment://`` may refer to."""

    def __init__(self, errors: FormErrors, files: Collection[str], check_row: RowCheck) -> None:
        self.errors = errors
        self.files = files
        self.check_row = check_row

    def check(self, components: list[Any]) -> None:
        """Check totals, then every top-level component and its children."""
        self._totals(components)
        for index, component in enumerate(components):
            self._component(component, ("components", index), TOP_LEVEL)

    def _totals(self, components: list[Any]) -> None:
        everything = [c for c in iter_components(components) if isinstance(c, dict)]
        if len(everything) > MAX_COMPONENTS:
            self.errors.add(
                ("components",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMPONENTS} or fewer in length."
            )
        text = sum(len(c.get("content") or "") for c in everything if c.get("type") == TEXT_DISPLAY)
        if text > MAX_TEXT:
            self.errors.add(
                ("components",), "MAX_TEXT_LENGTH_EXCEEDED", f"Total text exceeds {MAX_TEXT} characters"
            )

    def _component(self, component: Any, path: FormPath, allowed: frozenset[int]) -> None:
        kind = component.get("type") if isinstance(component, dict) else None
        if kind not in allowed:
            choices = ", ".join(str(k) for k in sorted(allowed))
            self.errors.add(
                (*path, "type"), "UNION_TYPE_CHOICES", f'Value of field "type" must be one of ({choices}).'
            )
            return
        assert isinstance(component, dict)
        handlers: dict[int, Callable[[dict[str, Any], FormPath], None]] = {
            ACTION_ROW: lambda c, p: self.check_row(c, p, self.errors),
            SECTION: self._section,
            TEXT_DISPLAY: self._text_display,
            MEDIA_GALLERY: self._gallery,
            FILE: self._file,
            SEPARATOR: self._separator,
            CONTAINER: self._container,
        }
        handlers[kind](component, path)

    def _container(self, container: dict[str, Any], path: FormPath) -> None:
        children = container.get("components")
        if not isinstance(children, list) or not children:
            self.errors.add((*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
            return
        for index, child in enumerate(children):
            self._component(child, (*path, "components", index), IN_CONTAINER)

    def _section(self, section: dict[str, Any], path: FormPath) -> None:
        children = section.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 3:
            self.errors.add(
                (*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 3 in length."
            )
            return
        for index, child in enumerate(children):
            self._component(child, (*path, "components", index), frozenset({TEXT_DISPLAY}))
        accessory = section.get("accessory")
        kind = accessory.get("type") if isinstance(accessory, dict) else None
        if kind == THUMBNAIL:
            self._media(accessory.get("media"), (*path, "accessory", "media"))
        elif kind != BUTTON:
            self.errors.add(
                (*path, "accessory", "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (2, 11).',
            )

    def _text_display(self, text: dict[str, Any], path: FormPath) -> None:
        content = text.get("content")
        if not isinstance(content, str) or not content:
            self.errors.required((*path, "content"))

    def _gallery(self, gallery: dict[str, Any], path: FormPath) -> None:
        items = gallery.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_GALLERY_ITEMS:
            self.errors.add(
                (*path, "items"),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {MAX_GALLERY_ITEMS} in length.",
            )
            return
        for index, item in enumerate(items):
            where = (*path, "items", index)
            self._media(item.get("media") if isinstance(item, dict) else None, (*where, "media"))
            if isinstance(item, dict):
                self.errors.max_length((*where, "description"), item.get("description"), 1024)

    def _file(self, file: dict[str, Any], path: FormPath) -> None:
        media = file.get("file")
        url = media.get("url") if isinstance(media, dict) else None
        if not isinstance(url, str) or not url.startswith(ATTACHMENT_SCHEME):
            self.errors.add(
                (*path, "file", "url"), "UNFURLED_MEDIA_ITEM_ATTACHMENT_ONLY", "Only attachment:// urls"
            )
            return
        self._media(media, (*path, "file"))

    def _separator(self, separator: dict[str, Any], path: FormPath) -> None:
        if separator.get("spacing", 1) not in (1, 2):
            self.errors.add((*path, "spacing"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")

    def _media(self, media: Any, path: FormPath) -> None:
        url = media.get("url") if isinstance(media, dict) else None
        if not isinstance(url, str) or not url:
            self.errors.required((*path, "url"))
            return
        if url.startswith(ATTACHMENT_SCHEME) and url[len(ATTACHMENT_SCHEME) :] not in self.files:
            self.errors.add((*path, "url"), "UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND", "Unknown attachment")
