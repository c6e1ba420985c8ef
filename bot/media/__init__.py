"""Clips: download, fitting under an upload limit, the delivery plan and its notes, recall.

No Discord here: ``delivery`` plans what a job's message carries (and archives it), ``clip_download``
streams a clip and checks it is a video, ``fit`` re-encodes one over the limit, ``recall`` answers
who may re-post a finished job (``/show``) and where its clips are, ``deletion`` who may delete
one. May import: ``bot.checks`` (``Refusal``) and the shared vocabulary.
"""

from bot.media.archive import (
    ArchiveError,
    ClipArchive,
    FolderArchive,
    NoArchive,
    folder_problem,
)
from bot.media.archives import open_archive
from bot.media.deletion import (
    check_may_delete,
    check_may_delete_elsewhere,
    check_not_deleted,
    may_delete,
)
from bot.media.delivery import (
    DEFAULT_FILE_LIMIT,
    MAX_SOURCE_BYTES,
    NO_VIDEO_REASON,
    ClipFile,
    DeliveryError,
    LinkReason,
    UploadPlan,
    attachable_size,
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
    check_may_show_privately,
    clear_removal,
    has_clips,
    is_repost,
    job_in_guild,
    job_of_message,
    record_removal,
    record_repost,
    shows_privately,
    was_removed,
)

__all__ = [
    "DEFAULT_FILE_LIMIT",
    "MAX_SOURCE_BYTES",
    "NO_VIDEO_REASON",
    "SHOW_DOWNLOADS",
    "ArchiveError",
    "ChannelAccess",
    "ClipArchive",
    "ClipFile",
    "ClipFitter",
    "ClipSource",
    "DeliveryError",
    "FitFailed",
    "FolderArchive",
    "LinkReason",
    "NoArchive",
    "Note",
    "OwnDeletions",
    "UploadPlan",
    "archived_clip",
    "attachable_size",
    "check_may_delete",
    "check_may_delete_elsewhere",
    "check_may_show",
    "check_may_show_privately",
    "check_not_deleted",
    "clear_removal",
    "download_clip",
    "folder_problem",
    "has_clips",
    "is_repost",
    "job_in_guild",
    "job_of_message",
    "job_upload_limit",
    "may_delete",
    "open_archive",
    "plan_uploads",
    "record_removal",
    "record_repost",
    "shows_privately",
    "was_removed",
]
