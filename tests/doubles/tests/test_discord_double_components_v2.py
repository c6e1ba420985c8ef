"""Components V2 as the double enforces it: layout types, gallery, attachment names, totals, the flag."""

from __future__ import annotations

from typing import Any

import pytest

from tests.doubles.discord import DiscordAPIError
from tests.doubles.discord.errors import FormErrors
from tests.doubles.discord.interactions import UploadedFile
from tests.doubles.discord.limits import validate_message_body
from tests.doubles.discord.model import Message, StoredFile, User

V2 = 1 << 15


def text(content: str = "status") -> dict[str, Any]:
    return {"type": 10, "content": content}


def gallery(*names: str) -> dict[str, Any]:
    return {"type": 12, "items": [{"media": {"url": f"attachment://{name}"}} for name in names]}


def row(*custom_ids: str) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": c} for c in custom_ids],
    }


def container(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 17, "components": list(children)}


def uploads(*names: str) -> list[UploadedFile]:
    return [UploadedFile(i, name, b"x", "video/mp4") for i, name in enumerate(names)]


def errors_of(
    body: dict[str, Any], files: list[UploadedFile], current: Message | None = None
) -> dict[str, Any]:
    errors = FormErrors()
    validate_message_body(body, errors, files, current=current)
    with pytest.raises(DiscordAPIError) as caught:
        errors.raise_if_any()
    assert (caught.value.status, caught.value.code) == (400, 50035)
    return caught.value.errors or {}


def codes(tree: dict[str, Any]) -> set[str]:
    found = {str(e["code"]) for e in tree.get("_errors", [])}
    for key, child in tree.items():
        if key != "_errors" and isinstance(child, dict):
            found |= codes(child)
    return found


def card(names: tuple[str, ...] = ("a.mp4", "b.mp4")) -> dict[str, Any]:
    return {"flags": V2, "components": [container(text(), gallery(*names), row("x", "y")), row("z")]}


def test_a_gallery_card_with_its_files_and_buttons_is_valid() -> None:
    errors = FormErrors()
    validate_message_body(card(), errors, uploads("a.mp4", "b.mp4"))
    assert errors.empty


@pytest.mark.parametrize(
    ("body", "files", "code"),
    [
        (
            {"flags": V2, "embeds": [{"title": "t"}], "components": [text()]},
            (),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        ),
        (
            {"flags": V2, "components": [{"type": 11, "media": {"url": "https://x"}}]},
            (),
            "UNION_TYPE_CHOICES",
        ),
        ({"flags": V2, "components": [container(container(text()))]}, (), "UNION_TYPE_CHOICES"),
        ({"flags": V2, "components": [container()]}, (), "BASE_TYPE_MIN_LENGTH"),
        ({"flags": V2, "components": [gallery()]}, (), "BASE_TYPE_BAD_LENGTH"),
        (
            {"flags": V2, "components": [gallery(*(f"{i}.mp4" for i in range(11)))]},
            tuple(f"{i}.mp4" for i in range(11)),
            "BASE_TYPE_BAD_LENGTH",
        ),
        ({"flags": V2, "components": [{"type": 12, "items": [{"media": {}}]}]}, (), "BASE_TYPE_REQUIRED"),
        (
            {"flags": V2, "components": [gallery("missing.mp4")]},
            ("a.mp4",),
            "UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND",
        ),
        ({"flags": V2, "components": [text("")]}, (), "BASE_TYPE_REQUIRED"),
        ({"flags": V2, "components": [text("t" * 2001), text("t" * 2000)]}, (), "MAX_TEXT_LENGTH_EXCEEDED"),
        ({"flags": V2, "components": [container(*(text() for _ in range(40)))]}, (), "BASE_TYPE_MAX_LENGTH"),
        (
            {"flags": V2, "components": [{"type": 9, "components": [text()], "accessory": {"type": 10}}]},
            (),
            "UNION_TYPE_CHOICES",
        ),
        (
            {"flags": V2, "components": [{"type": 13, "file": {"url": "https://x/a.mp4"}}]},
            (),
            "UNFURLED_MEDIA_ITEM_ATTACHMENT_ONLY",
        ),
    ],
)
def test_invalid_v2_bodies_are_refused(body: dict[str, Any], files: tuple[str, ...], code: str) -> None:
    assert code in codes(errors_of(body, uploads(*files)))


def test_forty_components_counted_recursively_are_allowed() -> None:
    errors = FormErrors()
    # 1 container + 38 text displays + 1 top-level text = 40
    validate_message_body(
        {"flags": V2, "components": [container(*(text() for _ in range(38))), text()]}, errors, []
    )
    assert errors.empty


def stored(name: str) -> StoredFile:
    return StoredFile(1, 2, name, b"x", "video/mp4", f"http://cdn/{name}")


def v2_message(**extra: Any) -> Message:
    user = User(id=1, username="bot")
    return Message(id=5, channel_id=2, guild_id=3, author=user, flags=V2, components=[text()], **extra)


def test_an_edit_cannot_remove_the_flag_or_bring_back_content() -> None:
    current = v2_message()
    assert "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG" in codes(
        errors_of({"flags": 0, "components": [text()]}, [], current)
    )
    assert "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2" in codes(
        errors_of({"embeds": [{"title": "t"}]}, [], current)
    )


def test_an_edit_may_show_a_file_the_message_keeps() -> None:
    errors = FormErrors()
    current = v2_message(attachments=[stored("kept.mp4")])
    validate_message_body({"components": [gallery("kept.mp4")]}, errors, [], current=current)
    assert errors.empty
