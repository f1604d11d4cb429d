"""Mouth-to-ear round trip: virtual mic → Talkline → local echo server (immediate echo) →
Talkline → virtual speaker, over real WebRTC on loopback and real PulseAudio devices.

    .venv/bin/python benchmarks/audio_latency.py [--bursts 24] [--no-aec] [--stock-jitter]
                                                [--latency low] [--blocksize N]

A probe (`tests.pulse.PulseAudio.play_and_record`: two PortAudio streams aligned on
PortAudio's DAC/ADC timestamps; plays into `micfeed`, records `speaker.monitor`) sends
distinct 250 ms voice-like bursts and finds each one in what comes back. Its own loop
(play → monitor, no Talkline; ~0-5 ms) is measured first and reported; "net" subtracts it.
The breakdown comes from the audio path's own counters (and the local server's queue).

`--stock-jitter` puts back aiortc's own audio jitter buffer (80 ms on each receiving side)
for comparison. With the echo canceller on, a few bursts may not be recognised: an
instant echo overlaps the burst itself, which the canceller partly treats as echo — an
artefact of echoing the user, not of the path; `--no-aec` measures without it (noise
suppression and high-pass stay on), `--no-processing` without any WebRTC processing.

WebRTC's audio processing delays the microphone by itself (measured offline, 12 bursts
through livekit's module, envelope-matched like here): high-pass + noise suppression
7.5 ms, + echo canceller 15 ms (AEC3 works in 4 ms blocks behind a 3-band filter bank at
48 kHz), whatever the far end does. Talkline's capture adds no buffer for it: each 10 ms
piece is cleaned as it completes, and a frame leaves with its second piece.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.pulse

from tests.integration.audio.signals import envelope_match, speech_like  # noqa: E402
from tests.pulse import MICFEED, PulseAudio  # noqa: E402

BURST_S = 0.25
PERIOD_S = 0.8  # longer than any round trip: each burst is found in its own slot
RATE = 48000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def use_stock_jitter_buffer() -> None:
    """Leave aiortc's own audio jitter buffer in place (it holds 4 packets, 80 ms), in
    Talkline and in the local server, to show what the arrival-order buffer saves."""
    import desktop.core.call.engine as engine
    import desktop.localserver.call as server_call

    def keep(_receiver: object) -> bool:
        return False

    engine.use_arrival_order = keep  # type: ignore[assignment]
    server_call.use_arrival_order = keep  # type: ignore[assignment]


def bursts(count: int) -> tuple[np.ndarray, list[np.ndarray]]:
    pieces = [speech_like(BURST_S, seed=100 + i, dbfs=-14, pauses=False) for i in range(count)]
    gap = np.zeros(int((PERIOD_S - BURST_S) * RATE), np.float32)
    return np.concatenate([np.concatenate((p, gap)) for p in pieces]), pieces


def lags(recording: np.ndarray, pieces: list[np.ndarray]) -> tuple[list[float], int]:
    """Round trip of each burst in ms (bursts found with envelope correlation >= 0.7)."""
    period = int(PERIOD_S * RATE)
    found, missed = [], 0
    for i, piece in enumerate(pieces):
        score, lag = envelope_match(piece, recording[i * period : (i + 1) * period])
        if score >= 0.7:
            found.append(lag * 1000 / RATE)
        else:
            missed += 1
    return found, missed


async def measure(args: argparse.Namespace, pulse: PulseAudio) -> None:
    from desktop.core.audio.path import AudioPath
    from desktop.core.audio.processing import ProcessingSettings
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.profiles import get_profile
    from desktop.core.session import default_config
    from desktop.localserver.server import LocalRealtimeServer

    signal, pieces = bursts(args.bursts)
    probe_loop = await asyncio.to_thread(
        pulse.play_and_record, signal[: int(4 * PERIOD_S * RATE)], MICFEED, f"{MICFEED}.monitor"
    )
    base, _ = lags(probe_loop, pieces[:4])
    baseline = statistics.median(base)

    server = LocalRealtimeServer(echo_mode="immediate")
    profile = get_profile("local").with_base_url(await server.start())
    latency: str | float = args.latency if args.latency in ("low", "high") else float(
        args.latency
    )
    settings = ProcessingSettings(echo_cancellation=not args.no_aec)
    if args.no_processing:  # no WebRTC processing at all (its own delay: see the docstring)
        settings = ProcessingSettings(False, False, False, False)
    path = AudioPath(latency=latency, blocksize=args.blocksize, settings=settings)
    await path.start()
    if path.source is None or path.sink is None:
        raise SystemExit(f"audio did not open: {[e.message for e in path.errors]}")
    call = RealtimeCall(
        profile, default_config(profile), audio_source=path.source, audio_sink=path.sink
    )
    await call.connect()
    samples: list[tuple[float, float, float, float, float]] = []

    async def sample_stats() -> None:
        while True:
            await asyncio.sleep(0.1)
            capture, speaker = path.source.stats(), path.sink.stats()  # type: ignore[union-attr]
            # The local server's echo queue (diagnostic; a private counter of its voice track).
            voice = server.calls[-1].voice if server.calls else None
            queued = getattr(voice, "_queued", 0) * 1000 / RATE
            samples.append(
                (
                    capture.input_latency_ms,
                    capture.capture_to_send_ms,
                    speaker.playout.depth_ms,
                    speaker.receive_to_play_ms,
                    queued,
                )
            )

    sampler = asyncio.create_task(sample_stats())
    try:
        await asyncio.sleep(1.0)  # codecs, buffers and the echo canceller settle
        recording = await asyncio.to_thread(pulse.play_and_record, signal, tail=0.5)
    finally:
        sampler.cancel()
        stats = path.stats()
        speaker_stats = path.sink.stats()
        await call.close()
        await path.close()
        await server.stop()

    found, missed = lags(recording, pieces)
    if not found:
        raise SystemExit("no burst came back")
    net = [x - baseline for x in found]
    cols = list(zip(*samples, strict=True)) if samples else [[0.0]] * 5
    jitter = "aiortc's stock (80 ms)" if args.stock_jitter else "arrival order (Talkline's)"
    mode = "echo canceller " + ("off" if args.no_aec else "on")
    mode = "no processing" if args.no_processing else mode
    print(f"audio_latency: {len(found)} bursts ({missed} not recognised), latency={latency}, "
          f"blocksize={args.blocksize}, "
          f"{mode}, "
          f"receive jitter buffer: {jitter}")
    print(f"  round trip, probe included : median {statistics.median(found):6.1f} ms   "
          f"p95 {pct(found, 0.95):6.1f} ms")
    print(f"  probe's own loop           : median {baseline:6.1f} ms (play -> monitor, no app)")
    print(f"  mouth-to-ear (net)         : median {statistics.median(net):6.1f} ms   "
          f"p95 {pct(net, 0.95):6.1f} ms")
    print("  breakdown (medians):")
    print(f"    microphone device latency       {statistics.median(cols[0]):6.1f} ms")
    print(f"    capture to RTP (frame's oldest)  {statistics.median(cols[1]):6.1f} ms")
    print(f"    receive jitter buffer, each side {80.0 if args.stock_jitter else 0.0:6.1f} ms "
          "(client and server; jitter is absorbed by the playout buffer)")
    print(f"    local server's echo queue        {statistics.median(cols[4]):6.1f} ms (sent as "
          "it arrives)")
    print(f"    received frame to DAC            {statistics.median(cols[3]):6.1f} ms "
          f"(playout wait + device {speaker_stats.output_latency_ms:.1f} ms)")
    print(f"    playout buffer depth             {statistics.median(cols[2]):6.1f} ms "
          f"(target {speaker_stats.playout.target_ms:.0f} ms)")
    print(f"  playout: {stats.underruns} underruns, {stats.overruns} overruns, "
          f"{stats.dropped_ms:.0f} ms dropped; echo canceller delay {stats.echo_delay_ms} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=24)
    parser.add_argument("--stock-jitter", action="store_true",
                        help="keep aiortc's 80 ms audio jitter buffer (for comparison)")
    parser.add_argument("--latency", default="low", help='"low", "high" or seconds')
    parser.add_argument("--no-aec", action="store_true", help="echo canceller off")
    parser.add_argument("--no-processing", action="store_true",
                        help="no echo canceller, noise suppression or high-pass")
    parser.add_argument("--blocksize", type=int, default=None,
                        help="device block, frames (both directions; default: each its own)")
    args = parser.parse_args()
    if args.stock_jitter:
        use_stock_jitter_buffer()
    with PulseAudio() as pulse:
        asyncio.run(measure(args, pulse))


if __name__ == "__main__":
    main()
