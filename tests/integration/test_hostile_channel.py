"""A hostile peer on the data channel: floods, huge events and odd numbers keep the call up,
the transcript so far intact, and memory bounded by what is kept (not by timing)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from desktop.core.call.engine import MAX_EVENT_BYTES, RealtimeCall
from desktop.core.call.state import CallState
from desktop.core.conversation.model import CUT_NOTE, MAX_TURN_TEXT, MAX_UNANNOUNCED
from desktop.core.events.server import ServerEvent
from desktop.core.profiles import get_profile
from desktop.core.secrets.redact import forget_secrets
from desktop.core.session import default_config
from tests.fakes.harness import until
from tests.fakes.hostile import HostileServer

KEY = "sk-hostile-test-key-0123456789"


@pytest.fixture
async def connected() -> AsyncIterator[tuple[RealtimeCall, HostileServer, list[ServerEvent]]]:
    """A connected call whose first answer ("Hello there") is already in the transcript."""
    server = HostileServer()
    await server.start()
    profile = get_profile("openai").with_base_url(server.base_url)
    call = RealtimeCall(profile, default_config(profile), api_key=KEY, liveness_timeout=None)
    events: list[ServerEvent] = []
    call.event_received.connect(events.append)
    await call.connect()
    server.peer.turn("item_first", "Hello there")
    await until(lambda: transcript(call) == [("assistant", "Hello there")], "the first answer")
    yield call, server, events
    await call.close()
    await server.stop()
    forget_secrets()


def transcript(call: RealtimeCall) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in call.conversation.items]


def survived(call: RealtimeCall) -> None:
    assert call.state is CallState.CONNECTED
    assert transcript(call)[0] == ("assistant", "Hello there")


Connected = tuple[RealtimeCall, HostileServer, list[ServerEvent]]


async def test_a_flood_of_unknown_item_ids_makes_few_ghost_turns(connected: Connected) -> None:
    call, server, events = connected
    for n in range(3000):
        server.peer.send(
            {"type": "response.output_text.delta", "item_id": f"ghost_{n}", "delta": "boo "}
        )
    server.peer.turn("item_last", "Still here")
    await until(lambda: ("assistant", "Still here") in transcript(call), "the last answer", 30)
    survived(call)
    assert len(call.conversation.items) <= MAX_UNANNOUNCED + 2


async def test_many_large_deltas_into_one_turn_are_capped_with_a_note(
    connected: Connected,
) -> None:
    call, server, events = connected
    chunk = "w" * 2048
    for _ in range(600):  # 1.2 MB into one item
        server.peer.send(
            {"type": "response.output_text.delta", "item_id": "item_big", "delta": chunk}
        )
    server.peer.turn("item_after", "After the flood")
    await until(lambda: ("assistant", "After the flood") in transcript(call), "next answer", 60)
    survived(call)
    big = call.conversation.get("item_big")
    assert big is not None
    assert len(big.text) == MAX_TURN_TEXT + len(CUT_NOTE) and big.text.endswith(CUT_NOTE)


async def test_an_oversized_event_is_dropped_with_one_log_line(
    connected: Connected, caplog: pytest.LogCaptureFixture
) -> None:
    call, server, events = connected
    huge = json.dumps(
        {
            "type": "response.output_text.delta",
            "item_id": "item_x",
            "delta": "h" * (4 * MAX_EVENT_BYTES),
        }
    )
    with caplog.at_level(logging.WARNING, logger="talkline.call"):
        server.peer.send(huge)
        server.peer.turn("item_after", "Small again")
        await until(lambda: ("assistant", "Small again") in transcript(call), "next answer", 30)
    survived(call)
    assert call.conversation.get("item_x") is None
    dropped = [r for r in caplog.records if "dropped an event" in r.getMessage()]
    assert len(dropped) == 1


async def test_lone_surrogates_and_escapes_in_a_transcript_are_kept_as_text(
    connected: Connected,
) -> None:
    call, server, events = connected
    # A lone surrogate can only travel as a JSON escape; the parser turns it into a str.
    server.peer.send(
        '{"type": "response.output_text.delta", "item_id": "item_odd", '
        '"delta": "bad \\ud800 \\u001b[31mred\\u001b]0;title\\u0007"}'
    )
    server.peer.turn("item_after", "Fine")
    await until(lambda: ("assistant", "Fine") in transcript(call), "next answer")
    survived(call)
    odd = call.conversation.get("item_odd")
    assert odd is not None and "\ud800" in odd.text  # kept; every output path cleans it


@pytest.mark.parametrize(
    "usage",
    [
        {"total_tokens": -100, "input_tokens": -60, "output_tokens": -40},
        {"total_tokens": 10**15, "input_tokens": 10**15, "output_tokens": 0},
        {"total_tokens": "many", "input_tokens": 1.5, "output_tokens": True},
    ],
)
async def test_absurd_usage_is_ignored_and_said_so(connected: Connected, usage: Any) -> None:  # noqa: ANN401
    call, server, events = connected
    server.peer.send(
        {
            "type": "response.done",
            "response": {"id": "resp_1", "status": "completed", "usage": usage},
        }
    )
    await until(lambda: any(e.type == "response.done" for e in events), "response.done arrives")
    survived(call)
    total = call.conversation.usage_total
    assert total.total_tokens == 0 and total.input_tokens == 0 and total.output_tokens == 0
    done = next(e for e in events if e.type == "response.done")
    assert done.raw["talkline_ignored"]  # the event log says what was not believed
