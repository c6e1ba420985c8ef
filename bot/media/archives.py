"""Which clip archive the settings name.

``CLIP_ARCHIVE`` (a folder or ``s3://bucket/prefix``), else the older ``CLIP_ARCHIVE_DIR`` (a folder),
else none.
"""

from __future__ import annotations

from bot.media.archive import ClipArchive, FolderArchive, NoArchive
from bot.settings import ArchiveLocation, Settings


def open_archive(settings: Settings) -> ClipArchive:
    """Return the archive the settings name (``CLIP_ARCHIVE``, else ``CLIP_ARCHIVE_DIR``), or none."""
    location = settings.archive_location
    if location is None:
        return NoArchive()
    if location.folder is not None:
        return FolderArchive(location.folder)
    return _bucket(location, settings)


def _bucket(location: ArchiveLocation, settings: Settings) -> ClipArchive:
    # Imported here: botocore is slow to import, and only a bucket archive needs it.
    from bot.media.s3_archive import S3Archive, S3Options

    endpoint = settings.clip_archive_s3_endpoint_url
    options = S3Options(
        endpoint_url=str(endpoint) if endpoint is not None else None,
        region=settings.clip_archive_s3_region or None,
        access_key_id=settings.clip_archive_s3_access_key_id,
        secret_access_key=settings.clip_archive_s3_secret_access_key,
    )
    return S3Archive(location.bucket, location.prefix, options)
