"""A job card as one Components V2 message: a Container of text displays, the clips' gallery, the buttons.

The card is V2 from its first message (the checking card) to its last: Discord never lets a message
drop the IS_COMPONENTS_V2 flag, and a V2 message cannot carry content or embeds. Each text display has
a fixed ``id`` (unique in the message, as Discord requires), so readers can tell the parts apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import ui

READY_ID, TITLE_ID, STATE_ID, FIELDS_ID, NOTES_ID, EXTENSION_ID = 1, 2, 3, 4, 5, 6
NOTES_PREFIX = "-# "  # Discord's subtext: the notes read like the old embed footer
ButtonRow = tuple[ui.Item[Any], ...]  # DynamicItem buttons and link buttons
# The status text names the requester; like the embed field it replaces, it must not ping them.
NO_PING = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class Card:
    """What one card message shows: texts, the clips shown in its gallery, its button rows."""

    title: str
    state: str
    colour: discord.Colour
    fields: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    ready: str | None = None  # "@member, your video is ready": the one line that mentions
    extension: str | None = None  # "Extension 1 of 3" on an extension's card
    gallery: tuple[str, ...] = ()  # file names of this message's clips, shown as attachment://
    rows: tuple[ButtonRow, ...] = ()
    pings: tuple[int, ...] = ()  # the members the ready line is for: the only ones the card may ping

    def allowed_mentions(self) -> discord.AllowedMentions:
        """Return whom sending this card may ping: the ready line's member, else nobody.

        Discord reads mentions from a V2 message's text displays, so without this the requester's
        name in the fields (or anyone named anywhere on the card) would be pinged by every post.
        """
        if not self.pings:
            return NO_PING
        users = [discord.Object(user_id) for user_id in self.pings]
        return discord.AllowedMentions(everyone=False, users=users, roles=False, replied_user=False)

    def with_note(self, note: str) -> Card:
        """Return this card with one more note."""
        return replace(self, notes=(*self.notes, note))

    def layout(self) -> ui.LayoutView:
        """Return the card as a persistent LayoutView (every button is a DynamicItem or a link)."""
        view = ui.LayoutView(timeout=None)
        container: ui.Container[ui.LayoutView] = ui.Container(accent_colour=self.colour)
        for item in self._texts():
            container.add_item(item)
        if self.gallery:
            gallery: ui.MediaGallery[ui.LayoutView] = ui.MediaGallery()
            for name in self.gallery:
                gallery.add_item(media=f"attachment://{name}")
            container.add_item(gallery)
        if self.rows:
            container.add_item(ui.Separator())
            for row in self.rows:
                container.add_item(ui.ActionRow(*row))
        view.add_item(container)
        return view

    def _texts(self) -> list[ui.TextDisplay[ui.LayoutView]]:
        texts: list[ui.TextDisplay[ui.LayoutView]] = []
        if self.ready is not None:
            texts.append(ui.TextDisplay(self.ready, id=READY_ID))
        texts.append(ui.TextDisplay(f"### {self.title}", id=TITLE_ID))
        texts.append(ui.TextDisplay(self.state, id=STATE_ID))
        if self.fields:
            lines = [f"**{name}:** {value}" for name, value in self.fields]
            texts.append(ui.TextDisplay("\n".join(lines), id=FIELDS_ID))
        if self.extension is not None:
            texts.append(ui.TextDisplay(self.extension, id=EXTENSION_ID))
        if self.notes:
            texts.append(ui.TextDisplay("\n".join(NOTES_PREFIX + note for note in self.notes), id=NOTES_ID))
        return texts

    def signature(self) -> str:
        """Return a string that changes only when something visible changes."""
        # discord.py leaves to_components untyped; it returns the JSON the message is sent with.
        return repr(self.layout().to_components())  # type: ignore[no-untyped-call]


def rows_of(*groups: Sequence[ui.Item[Any]]) -> tuple[ButtonRow, ...]:
    """Return the non-empty groups of buttons as rows (each becomes one ActionRow)."""
    return tuple(tuple(group) for group in groups if group)
