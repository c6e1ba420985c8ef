"""Fixtures for end-to-end tests: a running Motionbot between the two doubles."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.harness import World, make_world


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[World]:
    """Motionbot running against fresh doubles with default settings."""
    async with make_world(tmp_path) as started:
        yield started


@pytest.fixture
async def postgres_world(tmp_path, postgres_url) -> AsyncIterator[World]:
    """Motionbot running on a fresh PostgreSQL database of its own (DATABASE_URL) against fresh doubles."""
    async with make_world(tmp_path, database_url=postgres_url) as started:
        yield started
