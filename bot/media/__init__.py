"""Clips: download, fitting under an upload limit, the delivery plan and its notes, recall.

No Discord here: ``delivery`` plans what a job's message carries (and archives it), ``clip_download``
streams a clip and checks it is a video, ``fit`` re-encodes one over the limit, ``recall`` answers
who may re-post a finished job (``/show``) and where its clips are, ``deletion`` who may delete
one. May import: ``bot.checks`` (``Refusal``) and the shared vocabulary.
"""

from bot.media.deletion import check_may_delete, check_not_deleted, may_delete
from bot.media.delivery import (
    DEFAULT_FILE_LIMIT,
    MAX_SOURCE_BYTES,
    NO_VIDEO_REASON,
    ClipFile,
    DeliveryError,
    LinkReason,
    UploadPlan,
    archive_clip,
    attachable_size,
    delete_archived,
    download_clip,
    job_upload_limit,
    plan_uploads,
)
from bot.media.delivery_notes import Note
from bot.media.fit import ClipFitter, FitFailed
from bot.media.recall import (
    SHOW_DOWNLOADS,
    ChannelAccess,
    ClipSource,
    OwnDeletions,
    archived_clip,
    check_may_show,
    clear_removal,
    has_clips,
    is_repost,
    job_in_guild,
    job_of_message,
    record_removal,
    record_repost,
    was_removed,
)

__all__ = [
    "DEFAULT_FILE_LIMIT",
    "MAX_SOURCE_BYTES",
    "NO_VIDEO_REASON",
    "SHOW_DOWNLOADS",
    "ChannelAccess",
    "ClipFile",
    "ClipFitter",
    "ClipSource",
    "DeliveryError",
    "FitFailed",
    "LinkReason",
    "Note",
    "OwnDeletions",
    "UploadPlan",
    "archive_clip",
    "archived_clip",
    "attachable_size",
    "check_may_delete",
    "check_may_show",
    "check_not_deleted",
    "clear_removal",
    "delete_archived",
    "download_clip",
    "has_clips",
    "is_repost",
    "job_in_guild",
    "job_of_message",
    "job_upload_limit",
    "may_delete",
    "plan_uploads",
    "record_removal",
    "record_repost",
    "was_removed",
]
