"""Pytest fixtures for the CometAPI double and a client pointed at it.

Register them for every test with ``pytest_plugins = ["tests.doubles.fixtures_cometapi"]`` in
``tests/conftest.py``, or bind them in one module (``cometapi_double = fixtures_cometapi.cometapi_double``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.provider.cometapi import CometAPIClient
from tests.doubles.cometapi_double import CometAPIDouble

__all__ = [
    "TEST_API_KEY",
    "cometapi_client",
    "cometapi_double",
    "cometapi_session",
    "make_cometapi_client",
]

TEST_API_KEY = "sk-test-0123456789abcdef"


def make_cometapi_client(
    session: aiohttp.ClientSession, base_url: str, api_key: str = TEST_API_KEY, **kwargs: object
) -> CometAPIClient:
    """Return a client with test-friendly retry timings (overridable through ``kwargs``)."""
    options: dict[str, object] = {
        "timeout": 2.0,
        "max_retries": 3,
        "backoff_base": 0.001,
        "backoff_max": 0.01,
    }
    options.update(kwargs)
    return CometAPIClient(session, base_url, SecretStr(api_key), **options)  # type: ignore[arg-type]


@pytest.fixture
async def cometapi_double() -> AsyncIterator[CometAPIDouble]:
    """A started CometAPI double on 127.0.0.1 that accepts ``TEST_API_KEY``."""
    async with CometAPIDouble.serve(api_key=TEST_API_KEY) as double:
        yield double


@pytest.fixture
async def cometapi_session() -> AsyncIterator[aiohttp.ClientSession]:
    """One aiohttp session for the test, closed afterwards."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def cometapi_client(
    cometapi_double: CometAPIDouble, cometapi_session: aiohttp.ClientSession
) -> CometAPIClient:
    """A ``CometAPIClient`` for ``cometapi_double`` over ``cometapi_session``, with tiny backoff."""
    return make_cometapi_client(cometapi_session, cometapi_double.base_url)
