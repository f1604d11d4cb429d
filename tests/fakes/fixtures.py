"""Fixtures for the provider tests; load with ``pytest_plugins = ("tests.fakes.fixtures",)``.

- ``provider_calls``: a ``CallFactory``; every call it made is closed at the end.
- ``serve_fake``: ``await serve_fake(InworldFake(...))`` starts a fake built in the test.
- ``openai_fake``, ``inworld_fake``, ``rtav_fake``: a started fake with default settings.

At teardown the calls hang up first, then the fakes stop (a fake stopping first would end
the calls from the server's side and log a failure).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.harness import CallFactory, F, Serve
from tests.fakes.inworld import InworldFake
from tests.fakes.openai import OpenAIFake
from tests.fakes.rtav import RtavFake
from tests.fakes.server import FakeProvider


@pytest.fixture
async def provider_calls() -> AsyncIterator[CallFactory]:
    factory = CallFactory()
    yield factory
    await factory.close_all()


@pytest.fixture
async def serve_fake(provider_calls: CallFactory) -> AsyncIterator[Serve[F]]:
    """Start a fake built in the test; at the end the calls hang up first, then it stops."""
    started: list[FakeProvider] = []

    async def start(fake: F) -> F:
        await fake.start()
        started.append(fake)
        return fake

    yield start
    await provider_calls.close_all()
    for fake in started:
        await fake.stop()


@pytest.fixture
async def openai_fake(serve_fake: Serve[OpenAIFake]) -> OpenAIFake:
    return await serve_fake(OpenAIFake())


@pytest.fixture
async def inworld_fake(serve_fake: Serve[InworldFake]) -> InworldFake:
    return await serve_fake(InworldFake())


@pytest.fixture
async def rtav_fake(serve_fake: Serve[RtavFake]) -> RtavFake:
    return await serve_fake(RtavFake())
