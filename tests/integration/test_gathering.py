"""Connect never waits on a STUN server that does not answer (a firewall that drops it).

Real WebRTC against the Inworld test server, whose `GET /v1/realtime/ice-servers` points at
a loopback STUN server. Speed is in benchmarks/connect.py; here: the offer went out with
what had been gathered, and the call still connects and talks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from desktop.core.call.state import CallState
from tests.fakes import InworldFake
from tests.fakes.harness import CallFactory, Serve
from tests.fakes.stun import StunServer

pytest_plugins = ("tests.fakes.fixtures",)

SETUP_PATH = [
    CallState.AUTHORIZING,
    CallState.GATHERING,
    CallState.SIGNALING,
    CallState.CONNECTING,
    CallState.CONNECTED,
]


@pytest.fixture
async def silent_stun() -> AsyncIterator[StunServer]:
    server = await StunServer(answer=False).start()
    yield server
    server.stop()


@pytest.fixture
async def answering_stun() -> AsyncIterator[StunServer]:
    server = await StunServer(answer=True).start()
    yield server
    server.stop()


async def test_silent_stun_server_does_not_hold_the_offer(
    silent_stun: StunServer, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(InworldFake(ice_servers=silent_stun.ice_servers()))
    w = provider_calls.make(fake, "inworld")
    await w.call.connect()

    assert w.states == SETUP_PATH
    assert silent_stun.requests > 0  # it was asked, and said nothing
    gathered = w.call.gathered
    assert gathered is not None and gathered.budgeted
    # The offer went with host candidates alone; the silent server gave none.
    assert gathered.candidates.get("host", 0) > 0
    assert "srflx" not in gathered.candidates
    assert gathered.servers_silent
    # Gathering is its own step of the connect breakdown, before the offer was posted.
    timings = w.call.timings
    assert timings.entered[CallState.GATHERING] < timings.entered[CallState.SIGNALING]
    assert "gathering" in timings.durations_ms()
    # aioice gave up on the server within the budget, so the offer it posted has no
    # server-reflexive line, and the call works over host candidates.
    offer = fake.requests[-1]
    assert offer.route == "calls"
    assert "typ host" in offer.text and "typ srflx" not in offer.text
    await w.turn_round_trip("hello")
    assert w.transcript() == [("user", "hello"), ("assistant", "You said: hello")]


async def test_stun_answer_in_time_goes_into_the_offer(
    answering_stun: StunServer, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(InworldFake(ice_servers=answering_stun.ice_servers()))
    w = provider_calls.make(fake, "inworld")
    await w.call.connect()

    assert w.states == SETUP_PATH
    gathered = w.call.gathered
    assert gathered is not None
    assert gathered.candidates.get("srflx", 0) > 0
    assert not gathered.servers_silent
    assert w.call.pc is not None and "typ srflx" in w.call.pc.localDescription.sdp
