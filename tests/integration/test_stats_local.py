"""Call statistics over a real WebRTC call to the local server, clean and on a bad network.

The bad network is the local server's test knob: it drops a seeded random share of the
RTP it sends and delays its RTP and RTCP. The sampler must report the loss that really
happened (the server counts it) and its hints must say so in plain words; `talkline call
--stats-json` must save what it measured.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from desktop.core.audio.files import WavRecorder
from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.stats.export import to_dict
from desktop.core.stats.sampler import Sampler
from desktop.localserver.impairment import Impairment
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.conftest import local_server

LOCAL = get_profile("local")


async def until(predicate: Callable[[], object], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # noqa: ASYNC110 - polling figures the sampler fills in
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def lossy_server() -> AsyncIterator[LocalRealtimeServer]:
    async with local_server(impairment=Impairment(drop=0.12, delay_ms=350, seed=7)) as server:
        yield server


async def start_call(server: LocalRealtimeServer, **kw: object) -> tuple[RealtimeCall, Sampler]:
    assert server.base_url is not None
    call = RealtimeCall(LOCAL.with_base_url(server.base_url), default_config(LOCAL), **kw)
    sampler = Sampler(call, sink=kw.get("audio_sink"), interval=0.5)
    sampler.start()
    await call.connect()
    return call, sampler


async def test_dropped_packets_and_a_slow_link_are_reported_as_they_happened(
    lossy_server: LocalRealtimeServer,
) -> None:
    call, sampler = await start_call(lossy_server)
    hints: list[str] = []
    sampler.warnings_changed.connect(lambda ws: hints.extend(w.text for w in ws))
    stats = sampler.stats
    try:
        await until(
            lambda: len(stats.samples) >= 12 and stats.samples[-1].rtt_ms is not None,
            "six seconds of samples with a round trip",
        )
        await until(lambda: len(hints) >= 2, "both hints")
        link = lossy_server.calls[-1].impairment
        assert link is not None
        last = stats.samples[-1]
        dropped = link.dropped_pct
    finally:
        sampler.stop()
        await call.close()
    print(
        f"server dropped {dropped:.1f} % of {link.rtp_sent} packets; sampler: "
        f"{last.loss_total_pct:.1f} % of {last.packets_received + last.packets_lost}; "
        f"RTT {last.rtt_ms:.0f} ms, jitter {last.jitter_ms:.1f} ms"
    )
    assert last.loss_total_pct is not None
    assert abs(last.loss_total_pct - dropped) <= 3, (last, dropped)
    assert last.rtt_ms is not None and last.rtt_ms >= 300, "the 350 ms delay shows in the RTT"
    assert any("dropping packets" in h for h in hints), hints
    assert any("connection is slow" in h for h in hints), hints


async def test_a_clean_call_has_a_full_picture_and_no_hints(server: LocalRealtimeServer) -> None:
    recorder = WavRecorder()
    call, sampler = await start_call(server, audio_sink=recorder)
    hints: list[str] = []
    sampler.warnings_changed.connect(lambda ws: hints.extend(w.text for w in ws))
    stats = sampler.stats
    try:
        await until(lambda: len(stats.samples) >= 4, "two seconds of samples")
        call.send_text("hello there")
        await until(lambda: stats.turns, "the reply's first audio")
    finally:
        sampler.stop()
        await call.close()
    exported = to_dict(stats)
    last = stats.samples[-1]
    turn = stats.turns[0]
    print(f"connect {stats.connect_ms}; pair {stats.pair}; turn {turn}")
    assert last.loss_total_pct == 0 and hints == []
    assert last.bitrate_in_kbps and last.bitrate_out_kbps, "audio flows both ways"
    assert stats.pair is not None and stats.pair.describe() == "host → host over UDP"
    assert list(stats.connect_ms) == [
        "authorizing", "gathering", "signaling", "ice_dtls", "data_channel", "session_ready"
    ]
    assert turn.speech_end_source is None, "typed: nobody stopped speaking"
    assert turn.audio_at == "received" and turn.created_to_audio_ms is not None
    assert 0 < turn.created_to_audio_ms < 5000
    assert exported["samples"] and exported["turns"] and exported["connect_ms"]


def test_the_cli_saves_the_calls_figures(tmp_path: Path) -> None:
    out = tmp_path / "stats.json"
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "call", "--say", "how is the line?",
         "--record-wav", str(tmp_path / "reply.wav"), "--stats-json", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["samples"] and data["samples"][-1]["packets_received"] > 0
    assert list(data["connect_ms"])[-1] == "session_ready"
    assert data["candidate_pair"]["protocol"] == "udp"
    (turn,) = data["turns"]
    assert turn["audio_at"] == "received" and turn["created_to_audio_ms"] > 0
