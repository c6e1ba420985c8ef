"""The clip archive in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2...), through aiobotocore.

A clip is the object ``<prefix><job id>/<index>.mp4``. A PUT is atomic in S3 (an object is seen
whole or not at all), so processes on several machines may share one bucket; two that keep the same
clip (one took the job over from the other) write the same bytes. One client per process, opened at
the first use and closed with the services. With an endpoint URL (MinIO, R2, a test server), keys
are addressed by path, which every S3 look-alike accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from bot.media.archive import ArchiveError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import ErrorTypeDef, ObjectIdentifierTypeDef

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# What S3 answers for an object or bucket that is not there (the code of a HEAD has no body: "404").
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# DeleteObjects takes at most 1000 keys per request (S3 API Reference, DeleteObjects).
DELETE_BATCH = 1000
NO_KEY = SecretStr("")
ARCHIVE_ERRORS = (BotoCoreError, ClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


@dataclass(frozen=True, slots=True)
class S3Options:
    """How to reach the bucket: the endpoint (None: AWS), region and keys (empty: botocore's own chain)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: SecretStr = NO_KEY
    secret_access_key: SecretStr = NO_KEY

    def client_arguments(self) -> dict[str, Any]:
        """Return the arguments of ``create_client("s3", ...)``."""
        arguments: dict[str, Any] = {"region_name": self.region, "config": self._config()}
        if self.endpoint_url is not None:
            arguments["endpoint_url"] = self.endpoint_url
        if self.access_key_id.get_secret_value():
            arguments["aws_access_key_id"] = self.access_key_id.get_secret_value()
            arguments["aws_secret_access_key"] = self.secret_access_key.get_secret_value()
        return arguments

    def _config(self) -> AioConfig:
        path_style = {"addressing_style": "path"} if self.endpoint_url is not None else {}
        retries = {"max_attempts": 3, "mode": "standard"}
        return AioConfig(s3=path_style, connect_timeout=10, read_timeout=60, retries=retries)


class S3Archive:
    """Clips kept as objects of one bucket, under a key prefix."""

    def __init__(self, bucket: str, prefix: str, options: S3Options) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._options = options
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None
        self._opening = asyncio.Lock()

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, job_id: int, index: int) -> str:
        """Return the object key of clip ``index`` of job ``job_id``."""
        return f"{self._job_prefix(job_id)}{index}.mp4"

    def _job_prefix(self, job_id: int) -> str:
        return f"{self.prefix}{job_id}/"

    async def _s3(self) -> S3Client:
        async with self._opening:
            if self._client is None:
                creating = get_session().create_client("s3", **self._options.client_arguments())
                client: S3Client = await self._stack.enter_async_context(creating)
                self._client = client
            return self._client

    async def put(self, job_id: int, index: int, source: Path) -> None:
        """Upload ``source`` as the clip's object."""
        key = self.key(job_id, index)
        try:
            s3 = await self._s3()
            body = await asyncio.to_thread(source.read_bytes)
            await s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="video/mp4")
        except ARCHIVE_ERRORS as exc:
            raise ArchiveError(f"clip {index + 1} of job {job_id} not kept in {self}: {exc}") from exc

    async def get(self, job_id: int, index: int, folder: Path) -> Path | None:
        """Download the clip's object into ``folder``; None when it is not there or cannot be read."""
        target = folder / f"{index}.archived.mp4"
        try:
            s3 = await self._s3()
            answer = await s3.get_object(Bucket=self.bucket, Key=self.key(job_id, index))
            async with answer["Body"] as stream:
                await _save(stream, target)
        except ClientError as exc:
            if _code(exc) not in NOT_FOUND_CODES:
                log.warning("clip %d of job %s not read from %s: %s", index + 1, job_id, self, exc)
            return None
        except ARCHIVE_ERRORS as exc:
            log.warning("clip %d of job %s not read from %s: %s", index + 1, job_id, self, exc)
            return None
        return target

    async def delete(self, job_id: int) -> int:
        """Delete every object under the job's prefix (whatever clips it has)."""
        try:
            s3 = await self._s3()
            keys = await self._keys(s3, self._job_prefix(job_id))
            for start in range(0, len(keys), DELETE_BATCH):
                batch: list[ObjectIdentifierTypeDef] = [
                    {"Key": key} for key in keys[start : start + DELETE_BATCH]
                ]
                answer = await s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
                _check_deleted(answer.get("Errors", []))
        except ARCHIVE_ERRORS as exc:
            raise ArchiveError(f"the clips of job {job_id} not removed from {self}: {exc}") from exc
        return len(keys)

    async def _keys(self, s3: S3Client, prefix: str) -> list[str]:
        keys: list[str] = []
        async for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", []) if "Key" in item]
        return keys

    async def check(self) -> str:
        """HEAD the bucket and list one key under the prefix: reachable, keys accepted, readable."""
        try:
            s3 = await self._s3()
            await s3.head_bucket(Bucket=self.bucket)
            await s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except ClientError as exc:
            raise ArchiveError(_check_fix(exc, self.bucket)) from exc
        except ARCHIVE_ERRORS as exc:
            raise ArchiveError(
                f"the S3 endpoint cannot be reached ({exc}); "
                "check CLIP_ARCHIVE_S3_ENDPOINT_URL and the network"
            ) from exc
        return "reachable, bucket found and listed (writes are proved by the first delivery)"

    async def close(self) -> None:
        """Close the client, if it was opened."""
        await self._stack.aclose()
        self._client = None


async def _save(stream: Any, target: Path) -> None:
    """Write the object's body to ``target`` chunk by chunk (a clip may be large)."""
    handle = await asyncio.to_thread(target.open, "wb")
    try:
        async for chunk in stream.iter_chunks(CHUNK_SIZE):
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _check_fix(exc: ClientError, bucket: str) -> str:
    code = _code(exc)
    if code in NOT_FOUND_CODES or code == "NoSuchBucket":
        return f"there is no bucket {bucket}; create it, or fix the bucket in CLIP_ARCHIVE"
    if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return (
            f"the bucket {bucket} refused the keys ({code}); check CLIP_ARCHIVE_S3_ACCESS_KEY_ID, "
            "CLIP_ARCHIVE_S3_SECRET_ACCESS_KEY and their rights on the bucket"
        )
    return f"the bucket {bucket} answered {code or exc}; check CLIP_ARCHIVE and CLIP_ARCHIVE_S3_* settings"


def _check_deleted(errors: Sequence[ErrorTypeDef]) -> None:
    """Raise for the keys a DeleteObjects answer names as not deleted.

    S3 answers 200 to a batch delete whatever became of each key; a key it could not delete (access
    denied, say) is only listed under ``Errors`` (AWS S3 API reference, DeleteObjects).
    """
    if errors:
        first = errors[0]
        why = f"{first.get('Code')} {first.get('Message')}"
        raise ArchiveError(f"{len(errors)} clip(s) not deleted, e.g. {first.get('Key')}: {why}")
