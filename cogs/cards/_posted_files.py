"""The files (and notes) a message of the bot carries, read the way Discord returns them.

A file that a Components V2 component shows (``attachment://name`` in a media gallery, a thumbnail or
a File component) is not in ``message.attachments``: Discord lists there only "any attached files
that are not referenced in embeds or components" and returns the others resolved in the
component's media item (``url``, ``proxy_url``, ``content_type``, ``attachment_id``…;
docs:developers/resources/message.mdx, ``attachments``; discord-api-docs issue 8277). So a card's
clips are read from its components first, then from its attachments (a classic message, or a file
no component shows); a media item that still says ``attachment://name`` is read too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import discord
from discord.components import (
    Component,
    Container,
    FileComponent,
    MediaGalleryComponent,
    SectionComponent,
    TextDisplay,
    ThumbnailComponent,
    UnfurledMediaItem,
)

from cogs.cards._layout import NOTES_ID, NOTES_PREFIX

if TYPE_CHECKING:
    from discord.types.message import Attachment as AttachmentPayload

ATTACHMENT_SCHEME = "attachment://"


@dataclass(frozen=True, slots=True)
class PostedFile:
    """One file on a message: its name and, when Discord gave them, its attachment id and URLs."""

    filename: str
    attachment_id: int | None
    url: str
    proxy_url: str | None = None

    def keep(self, message: discord.Message) -> discord.Attachment | None:
        """Return this file as an attachment to keep in an edit of ``message`` (None without an id).

        An edit lists "the id of each file to keep" (message.mdx, Attachment Request Structure);
        a file shown only in a component has no ``discord.Attachment`` of its own, so one is made
        from its media item.
        """
        if self.attachment_id is None:
            return None
        data: AttachmentPayload = {
            "id": self.attachment_id,
            "filename": self.filename,
            "size": 0,  # unknown from a media item, and not read back when a file is kept
            "url": self.url,
            "proxy_url": self.proxy_url or self.url,
        }
        # discord.Attachment wants the message's connection state (it downloads through it).
        return discord.Attachment(data=data, state=message._state)


def posted_files(message: discord.Message) -> list[PostedFile]:
    """Return the files ``message`` carries: those its components show, then its other attachments."""
    shown = [_from_media(media, name) for media, name in _media(message.components)]
    names = {posted.filename for posted in shown}
    attached = [
        PostedFile(a.filename, a.id, a.url, a.proxy_url)
        for a in message.attachments
        if a.filename not in names
    ]
    return [*shown, *attached]


def posted_names(messages: Iterable[discord.Message]) -> set[str]:
    """Return the names of every file the messages carry."""
    return {posted.filename for message in messages for posted in posted_files(message)}


def kept_attachments(message: discord.Message, names: Sequence[str]) -> list[discord.Attachment]:
    """Return the files of ``message`` named in ``names``, ready to be kept by an edit."""
    by_name = {posted.filename: posted for posted in posted_files(message)}
    kept = (by_name[name].keep(message) for name in names if name in by_name)
    return [attachment for attachment in kept if attachment is not None]


def file_name(url: str) -> str:
    """Return the file name a media URL points at: after ``attachment://``, else its path's last part."""
    if url.startswith(ATTACHMENT_SCHEME):
        return url[len(ATTACHMENT_SCHEME) :]
    return unquote(PurePosixPath(urlsplit(url).path).name)


def _from_media(media: UnfurledMediaItem, name: str | None) -> PostedFile:
    return PostedFile(name or file_name(media.url), media.attachment_id, media.url, media.proxy_url)


def _media(components: Sequence[Component]) -> Iterator[tuple[UnfurledMediaItem, str | None]]:
    """Every media item of a component tree (with a File component's name, when it has one)."""
    for component in walk(components):
        if isinstance(component, MediaGalleryComponent):
            yield from ((item.media, None) for item in component.items)
        elif isinstance(component, FileComponent):
            yield component.media, component.name
        elif isinstance(component, ThumbnailComponent):
            yield component.media, None


def walk(components: Sequence[Component]) -> Iterator[Component]:
    """Every component of a tree, depth first (containers' and sections' children, accessories)."""
    for component in components:
        yield component
        if isinstance(component, Container):
            yield from walk(component.children)
        elif isinstance(component, SectionComponent):
            yield from walk([*component.children, component.accessory])


def card_notes(message: discord.Message) -> tuple[str, ...]:
    """Return the note lines a card shows (its notes text display), without their subtext marks."""
    for component in walk(message.components):
        if isinstance(component, TextDisplay) and component.id == NOTES_ID:
            return tuple(line.removeprefix(NOTES_PREFIX) for line in component.content.splitlines())
    return ()
