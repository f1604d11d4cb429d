"""Reading aiortc's reports, the connect breakdown, the quality hints and the exports."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCStatsReport,
    RTCTransportStats,
)

from desktop.core.call.state import CallState, StageTimings
from desktop.core.stats.export import samples_csv, to_json, write
from desktop.core.stats.quality import assess
from desktop.core.stats.rtc import audio_clock_rate, read_report
from desktop.core.stats.series import CallStats, Sample, TurnLatency, connect_breakdown

NOW = datetime.datetime(2026, 1, 1)


def report(rtt: float | None) -> RTCStatsReport:
    r = RTCStatsReport()
    r.add(RTCInboundRtpStreamStats(NOW, "inbound-rtp", "in", 1, "audio", "t",
                                   packetsReceived=90, packetsLost=10, jitter=96))
    r.add(RTCOutboundRtpStreamStats(NOW, "outbound-rtp", "out", 2, "audio", "t",
                                    packetsSent=100, bytesSent=8000, trackId="x"))
    r.add(RTCRemoteInboundRtpStreamStats(NOW, "remote-inbound-rtp", "rin", 2, "audio", "t",
                                         packetsReceived=99, packetsLost=1, jitter=48,
                                         roundTripTime=rtt, fractionLost=64))
    r.add(RTCTransportStats(NOW, "transport", "t", packetsSent=1, packetsReceived=2,
                            bytesSent=3, bytesReceived=4, iceRole="controlling",
                            dtlsState="connected"))
    return r


def test_a_report_becomes_plain_numbers_and_missing_ones_stay_missing() -> None:
    c = read_report(report(0.125))
    assert (c.packets_received, c.packets_lost, c.packets_sent) == (90, 10, 100)
    assert c.jitter_ms == 2.0  # 96 ticks of the 48 kHz Opus clock
    assert c.rtt_ms == 125.0 and c.remote_loss_pct == 25.0 and c.remote_jitter_ms == 1.0
    assert (c.bytes_received, c.bytes_sent) == (4, 3)
    assert read_report(report(None)).rtt_ms is None  # no round trip measured yet
    assert read_report(RTCStatsReport()).packets_received is None


def test_the_clock_rate_comes_from_the_negotiated_codec() -> None:
    sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\na=rtpmap:0 PCMU/8000\r\n"
    assert audio_clock_rate(sdp) == 8000
    assert audio_clock_rate(None) == 48000


def test_the_connect_breakdown_follows_the_stages_in_order() -> None:
    t = StageTimings()
    for state, at in ((CallState.AUTHORIZING, 0.0), (CallState.GATHERING, 0.01),
                      (CallState.SIGNALING, 0.03), (CallState.CONNECTING, 0.10)):
        t.enter(state, at)
    t.mark("ice_connected", 0.14)
    t.mark("channel_open", 0.15)
    t.mark("session_ready", 0.151)
    steps = connect_breakdown(t)
    assert list(steps) == ["authorizing", "gathering", "signaling", "ice_dtls",
                           "data_channel", "session_ready"]
    assert round(steps["signaling"]) == 70 and round(steps["ice_dtls"]) == 40
    del t.milestones["ice_connected"]  # never reported: left out, not guessed
    assert "ice_dtls" not in connect_breakdown(t)
    assert round(connect_breakdown(t)["data_channel"]) == 50


def series(**over: object) -> list[Sample]:
    out = []
    for i in range(8):
        fields: dict = {"t_s": float(i), "packets_received": 50 * i, "packets_lost": 0,
                        "rtt_ms": 40.0, "underruns": 0}
        fields.update({k: (v(i) if callable(v) else v) for k, v in over.items()})
        out.append(Sample(**fields))
    return out


def test_hints_name_the_problem_in_plain_words() -> None:
    assert assess(series()) == []
    lossy = assess(series(packets_received=lambda i: 45 * i, packets_lost=lambda i: 5 * i))
    assert [w.key for w in lossy] == ["loss"] and "dropping packets (10 %" in lossy[0].text
    slow = assess(series(rtt_ms=420.0))
    assert [w.key for w in slow] == ["rtt"] and "420 ms" in slow[0].text
    stutter = assess(series(underruns=lambda i: i))
    assert [w.key for w in stutter] == ["underruns"] and "ran out" in stutter[0].text
    assert assess(series(underruns=lambda i: min(i, 1))) == []  # once is a hiccup


def test_exports_hold_every_figure_and_say_what_was_not_measured(tmp_path: Path) -> None:
    stats = CallStats(provider="Local", samples=series(), connect_ms={"signaling": 7.0})
    stats.turns.append(TurnLatency(1, "r1", "local_vad", 850.0, 320.0, 530.0, "speaker", 3.0))
    data = json.loads(to_json(stats))
    assert len(data["samples"]) == 8 and data["turns"][0]["speech_end_to_audio_ms"] == 850.0
    assert "concealment" in data["not_measured"]
    rows = samples_csv(stats).splitlines()
    assert rows[0].split(",")[:2] == ["t_s", "rtt_ms"] and len(rows) == 9
    assert rows[1].split(",")[2] == ""  # jitter never measured: empty, not 0
    written = write(stats, tmp_path / "q.csv", "csv")
    assert [p.name for p in written] == ["q.csv", "q-turns.csv"]
    assert "local_vad" in (tmp_path / "q-turns.csv").read_text()
