"""Discord's server-side limits on message bodies, embeds, components, files and modals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .components import check_components, check_modal_components
from .errors import FormErrors, FormPath, entity_too_large
from .interactions import UploadedFile
from .model import Message, MessageFlag

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_FILES = 10
MAX_EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
CREATE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS
    | MessageFlag.SUPPRESS_NOTIFICATIONS
    | MessageFlag.IS_VOICE_MESSAGE
    | MessageFlag.IS_COMPONENTS_V2
)
INTERACTION_FLAGS = CREATE_FLAGS | MessageFlag.EPHEMERAL


def validate_message_body(
    body: dict[str, Any],
    errors: FormErrors,
    uploads: Sequence[UploadedFile],
    *,
    current: Message | None = None,
) -> None:
    """Check content, embeds, components and attachments of a create body, or of an edit of ``current``.

    An edit of a V2 message stays V2: the flag cannot be removed, and content/embeds stay forbidden.
    """
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(("content",), "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    elif isinstance(content, str):
        errors.max_length(("content",), content, MAX_CONTENT)
    requested = _flags(body.get("flags"), errors)
    was_v2 = current is not None and bool(current.flags & MessageFlag.IS_COMPONENTS_V2)
    if (
        was_v2
        and "flags" in body
        and body["flags"] is not None
        and not requested & MessageFlag.IS_COMPONENTS_V2
    ):
        errors.add(
            ("flags",), "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG", "The components v2 flag cannot be removed"
        )
    v2 = was_v2 or bool(requested & MessageFlag.IS_COMPONENTS_V2)
    if v2:
        _forbid_legacy_fields(_merged_legacy(body, current), errors)
    check_embeds(body.get("embeds"), errors)
    files = _file_names(body, uploads, current)
    check_components(body.get("components"), errors, components_v2=v2, files=files)
    _check_attachment_list(body.get("attachments"), uploads, errors)


def _merged_legacy(body: dict[str, Any], current: Message | None) -> dict[str, Any]:
    """Content and embeds the message would have after this body (an edit keeps what it omits)."""
    if current is None:
        return body
    return {
        "content": body.get("content", current.content),
        "embeds": body.get("embeds", current.embeds),
    }


def _file_names(body: dict[str, Any], uploads: Sequence[UploadedFile], current: Message | None) -> set[str]:
    """Names an ``attachment://`` URL may use: new uploads (as listed) and, on an edit, the files kept."""
    names = {upload.filename for upload in uploads}
    listed = body.get("attachments")
    if isinstance(listed, list):
        names |= {str(item["filename"]) for item in listed if isinstance(item, dict) and item.get("filename")}
    if current is not None:
        names |= {stored.filename for stored in current.attachments}
    return names


def _forbid_legacy_fields(body: dict[str, Any], errors: FormErrors) -> None:
    for key in ("content", "embeds"):
        if body.get(key):
            errors.add(
                (key,),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using components v2",
            )


def check_embeds(embeds: Any, errors: FormErrors) -> None:
    """Check the per-field embed limits, the 25 fields, the 10 embeds and the 6000 total."""
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.add(("embeds",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > MAX_EMBEDS:
        errors.add(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = sum(_check_embed(embed, ("embeds", i), errors) for i, embed in enumerate(embeds))
    if total > MAX_EMBED_TOTAL:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"
        )


def _check_embed(embed: Any, path: FormPath, errors: FormErrors) -> int:
    if not isinstance(embed, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return 0
    total = 0
    for key, limit in EMBED_TEXT_LIMITS.items():
        total += _text(embed.get(key), (*path, key), limit, errors)
    total += _text((embed.get("footer") or {}).get("text"), (*path, "footer", "text"), 2048, errors)
    total += _text((embed.get("author") or {}).get("name"), (*path, "author", "name"), 256, errors)
    return total + _check_fields(embed.get("fields") or [], path, errors)


def _check_fields(fields: list[Any], path: FormPath, errors: FormErrors) -> int:
    if len(fields) > MAX_FIELDS:
        errors.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELDS} or fewer in length.")
    total = 0
    for index, item in enumerate(fields):
        where = (*path, "fields", index)
        for key, limit in (("name", 256), ("value", 1024)):
            value = item.get(key) if isinstance(item, dict) else None
            if not value:
                errors.required((*where, key))
            total += _text(value, (*where, key), limit, errors)
    return total


def _text(value: Any, path: FormPath, limit: int, errors: FormErrors) -> int:
    if not isinstance(value, str):
        return 0
    errors.max_length(path, value, limit)
    return len(value)


def _check_attachment_list(attachments: Any, uploads: Sequence[UploadedFile], errors: FormErrors) -> None:
    if len(uploads) > MAX_FILES or (isinstance(attachments, list) and len(attachments) > MAX_FILES):
        errors.add(("attachments",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.")


def check_upload_sizes(uploads: Sequence[UploadedFile], limit: int) -> None:
    """Raise 413/40005 if any single file is over ``limit`` bytes."""
    if any(upload.size > limit for upload in uploads):
        raise entity_too_large()


def validate_modal(data: dict[str, Any], errors: FormErrors) -> None:
    """Check a type-9 modal: custom_id 1-100, title 1-45, 1-5 components."""
    errors.bad_length(("custom_id",), data.get("custom_id"), 1, 100)
    errors.bad_length(("title",), data.get("title"), 1, 45)
    check_modal_components(data.get("components"), errors)


def has_message_substance(body: dict[str, Any], files: int) -> bool:
    """Whether a message body would produce a non-empty message."""
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    return files > 0 or any(body.get(key) for key in keys)


def _flags(value: Any, errors: FormErrors) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(("flags",), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return 0
    return value
