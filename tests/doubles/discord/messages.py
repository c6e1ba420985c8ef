"""Creating, editing, deleting and rendering messages with Discord's validation and v10 semantics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .components import assign_component_ids
from .errors import FormErrors, FormPath, empty_message
from .interactions import UploadedFile
from .limits import CREATE_FLAGS, check_upload_sizes, has_message_substance, validate_message_body
from .mentions import MentionRules
from .model import Channel, Message, MessageFlag, StoredFile, User
from .payloads import message_json
from .snowflake import utcnow
from .state import DoubleState

REPLY = 19
MENTION_FIELDS = frozenset({"content", "components", "allowed_mentions"})


class PendingUpload(NamedTuple):
    """A ``files[n]`` part and its ``attachments`` entry, stored once the whole body is valid."""

    upload: UploadedFile
    item: dict[str, Any]


@dataclass
class MessageOrigin:
    """Who and what produced a message beyond its body (interaction responses, webhooks)."""

    author: User
    type: int = 0
    allowed_flags: int = CREATE_FLAGS
    forced_flags: int = 0
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    interaction_legacy: dict[str, Any] | None = None


class MessageService:
    """Message operations shared by the REST routes, interaction responses and the driver."""

    def __init__(self, state: DoubleState) -> None:
        self.state = state

    def create(
        self,
        channel: Channel,
        body: dict[str, Any],
        uploads: Sequence[UploadedFile],
        origin: MessageOrigin,
        *,
        upload_limit: int,
        prefix: FormPath = (),
    ) -> Message:
        """Validate a create body and store the message (raises 400/413 like Discord)."""
        check_upload_sizes(uploads, upload_limit)
        errors = FormErrors(prefix)
        validate_message_body(body, errors, uploads)
        webhook = origin.webhook_id is not None
        rules = MentionRules.from_body(body.get("allowed_mentions"), webhook=webhook, errors=errors)
        reference = self._reference(channel, body.get("message_reference"), errors)
        plan = self._attachments(body.get("attachments"), uploads, [], errors)
        errors.raise_if_any()
        if not has_message_substance(body, len(plan)):
            raise empty_message()
        message = self._build(channel, body, origin, self._store(channel, plan), reference)
        self.state.apply_mentions(message, rules)
        return self.state.add_message(channel, message)

    def _build(
        self,
        channel: Channel,
        body: dict[str, Any],
        origin: MessageOrigin,
        attachments: list[StoredFile],
        reference: dict[str, Any] | None,
    ) -> Message:
        components = list(body.get("components") or [])
        assign_component_ids(components)
        flags = (int(body.get("flags") or 0) & origin.allowed_flags) | origin.forced_flags
        return Message(
            id=self.state.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=origin.author,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=components,
            attachments=attachments,
            flags=flags,
            type=REPLY if reference and origin.type == 0 else origin.type,
            tts=bool(body.get("tts")),
            reference=reference,
            webhook_id=origin.webhook_id,
            application_id=self.state.application_id if origin.webhook_id else None,
            interaction_metadata=origin.interaction_metadata,
            interaction_legacy=origin.interaction_legacy,
        )

    def edit(
        self,
        message: Message,
        body: dict[str, Any],
        uploads: Sequence[UploadedFile],
        *,
        upload_limit: int,
        prefix: FormPath = (),
        webhook: bool = False,
    ) -> Message:
        """Apply an edit: given fields replace, ``attachments`` lists everything to keep (API v10).

        ``webhook``: the edit came through an interaction or webhook route (its mention defaults).
        """
        check_upload_sizes(uploads, upload_limit)
        errors = FormErrors(prefix)
        validate_message_body(body, errors, uploads, current=message)
        rules = MentionRules.from_body(body.get("allowed_mentions"), webhook=webhook, errors=errors)
        plan = self._attachments(body.get("attachments"), uploads, message.attachments, errors)
        errors.raise_if_any()
        self._apply(message, body, self.state.channels[message.channel_id], plan)
        if MENTION_FIELDS & body.keys():
            # The edited text is parsed again under the edit's rules.
            self.state.apply_mentions(message, rules)
        message.snapshot()
        self.state.notifier.notify()
        return message

    def _apply(
        self, message: Message, body: dict[str, Any], channel: Channel, plan: list[StoredFile | PendingUpload]
    ) -> None:
        content = (body.get("content") or "") if "content" in body else message.content
        embeds = list(body.get("embeds") or []) if "embeds" in body else message.embeds
        components = list(body.get("components") or []) if "components" in body else message.components
        substance = {"content": content, "embeds": embeds, "components": components}
        if not has_message_substance(substance, len(plan)):
            raise empty_message()
        assign_component_ids(components)
        message.content, message.embeds, message.components = content, embeds, components
        message.attachments = self._store(channel, plan)
        message.flags = self._edited_flags(message.flags, body.get("flags"))
        message.edited_at = utcnow()

    @staticmethod
    def _edited_flags(current: int, requested: Any) -> int:
        flags = current & ~MessageFlag.LOADING
        if requested is None:
            return flags
        suppress = int(requested) & MessageFlag.SUPPRESS_EMBEDS
        # Once set, IS_COMPONENTS_V2 stays (an edit may set it, never clear it).
        v2 = int(requested) & MessageFlag.IS_COMPONENTS_V2
        return (flags & ~MessageFlag.SUPPRESS_EMBEDS) | suppress | v2

    def delete(self, message: Message) -> None:
        """Mark ``message`` deleted (tests can still inspect it)."""
        message.deleted = True
        self.state.notifier.notify()

    def _reference(self, channel: Channel, reference: Any, errors: FormErrors) -> dict[str, Any] | None:
        if not isinstance(reference, dict) or reference.get("message_id") is None:
            return None
        target = self.state.messages.get(_int_or_none(reference["message_id"]) or 0)
        ref_channel = _int_or_none(reference.get("channel_id")) or channel.id
        if target is None or target.deleted or target.channel_id != ref_channel or target.ephemeral:
            if reference.get("fail_if_not_exists", True):
                errors.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            return None
        result = {"type": 0, "message_id": str(target.id), "channel_id": str(target.channel_id)}
        if target.guild_id is not None:
            result["guild_id"] = str(target.guild_id)
        return result

    def _attachments(
        self,
        spec: Any,
        uploads: Sequence[UploadedFile],
        existing: list[StoredFile],
        errors: FormErrors,
    ) -> list[StoredFile | PendingUpload]:
        """What the message will hold: kept files and new uploads (stored only once the body is valid)."""
        if not isinstance(spec, list):
            return [*existing, *(PendingUpload(u, {}) for u in uploads)]
        kept = {a.id: a for a in existing}
        by_index = {u.index: u for u in uploads}
        plan: list[StoredFile | PendingUpload] = []
        for index, item in enumerate(spec):
            entry = item if isinstance(item, dict) else {}
            ident = _int_or_none(entry.get("id"))
            if ident in kept:
                plan.append(kept[ident])
            elif ident in by_index:
                plan.append(PendingUpload(by_index[ident], entry))
            else:
                errors.add(("attachments", index, "id"), "ATTACHMENT_NOT_FOUND", "Unknown attachment")
        return plan

    def _store(self, channel: Channel, plan: list[StoredFile | PendingUpload]) -> list[StoredFile]:
        return [item if isinstance(item, StoredFile) else self._store_upload(channel, item) for item in plan]

    def _store_upload(self, channel: Channel, pending: PendingUpload) -> StoredFile:
        upload, item = pending
        filename = str(item.get("filename") or upload.filename)
        return self.state.store_file(
            channel.id, filename, upload.data, upload.content_type, description=item.get("description")
        )

    def render(self, message: Message, *, privileged: bool) -> dict[str, Any]:
        """The message as the bot may see it (content hidden unless visible under the intent rules)."""
        referenced = None
        if message.reference is not None:
            referenced = self.state.messages.get(int(message.reference["message_id"]))
            referenced = None if referenced is None or referenced.deleted else referenced
        payload = message_json(
            message,
            me=self.state.bot_user.id,
            referenced=referenced,
            hide_content=not self.state.content_visible(message, privileged=privileged),
        )
        if referenced is not None and not self.state.content_visible(referenced, privileged=privileged):
            payload["referenced_message"] = message_json(
                referenced, me=self.state.bot_user.id, hide_content=True
            )
        return payload


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
