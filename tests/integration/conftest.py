"""The built-in local realtime server, started fresh for each test that asks for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from desktop.localserver.server import LocalRealtimeServer


@asynccontextmanager
async def local_server(**options: Any) -> AsyncIterator[LocalRealtimeServer]:  # noqa: ANN401
    """`async with local_server(echo_mode=...) as server:` — stopped however the test ends."""
    server = LocalRealtimeServer(**options)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    """Answers each turn with what it heard (typed text gets a text reply)."""
    async with local_server() as running:
        yield running


@pytest.fixture
async def echo_server() -> AsyncIterator[LocalRealtimeServer]:
    """Says back what it hears, at once (immediate echo)."""
    async with local_server(echo_mode="immediate") as running:
        yield running
