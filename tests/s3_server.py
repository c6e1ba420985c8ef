"""A local S3-compatible server for the tests: moto's server mode on 127.0.0.1, one per session.

The tests speak the S3 protocol to it through the bot's own client (aiobotocore), as the bot speaks to
AWS S3, MinIO or R2. Nothing leaves the machine: the server binds 127.0.0.1 on a free port, and the
archive always gets explicit keys and a region, so botocore never looks for credentials elsewhere
(an instance-metadata lookup would reach for the network).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

TEST_REGION = "us-east-1"
TEST_KEY_ID = "motionbot-test"
TEST_SECRET = "motionbot-test-secret"  # moto accepts any keys; these are never real ones
_buckets = itertools.count(1)


@dataclass(frozen=True)
class S3Server:
    """The running server: its endpoint, and a synchronous client to look at (or make) buckets."""

    endpoint_url: str

    def client(self) -> Any:
        """Return a boto3 S3 client of the server (for the tests' own reads and set-up)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=TEST_REGION,
            aws_access_key_id=TEST_KEY_ID,
            aws_secret_access_key=TEST_SECRET,
        )

    def new_bucket(self) -> str:
        """Create a bucket of its own for one test and return its name."""
        name = f"motionbot-clips-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Return every key of ``bucket``, sorted."""
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def settings(self, bucket: str, prefix: str = "clips") -> dict[str, Any]:
        """Return the bot's settings that keep clips in ``bucket`` on this server."""
        return {
            "clip_archive": f"s3://{bucket}/{prefix}",
            "clip_archive_s3_endpoint_url": self.endpoint_url,
            "clip_archive_s3_region": TEST_REGION,
            "clip_archive_s3_access_key_id": TEST_KEY_ID,
            "clip_archive_s3_secret_access_key": TEST_SECRET,
        }


def serve_s3() -> Iterator[S3Server]:
    """Run moto's server on 127.0.0.1 (a free port) until the generator is closed."""
    # werkzeug logs one line per request at INFO; a failing test's output needs none of them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A local S3-compatible server shared by the session's tests (each makes its own bucket)."""
    yield from serve_s3()
