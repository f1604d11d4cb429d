"""What a call costs: CPU (% of one core) and memory of the Talkline process during a call
with echo cancellation, noise suppression and high-pass on, talking all the time.

    .venv/bin/python benchmarks/audio_cpu.py [--seconds 60] [--runs 1]
        [--processing all|aec|none] [--blocksize N]

Real devices (a private PulseAudio with virtual devices), real WebRTC on loopback to the
local server in immediate-echo mode, run in its own process so only Talkline is measured.
A voice is played into the virtual microphone for the whole call and comes straight back,
so capture, both Opus directions, playout and the echo canceller all work at once.
Targets: <= 15 % of one core, <= 250 MB resident.

`--processing` picks what runs (all: AEC+NS+HPF, the default; aec: the canceller alone;
none). With `--runs N` each run is printed and then the medians. CPU is also shown per
thread: "native (threaded-ml)" is libpulse's mainloop thread, where the device callbacks
and the canceller run (through PortAudio, when libpulse does not load: "native (python)",
its callback threads, each beside a libpulse thread of the ALSA plugin), MainThread the
event loop (RTP, SRTP, Opus both ways); the harness's pacat feeder is left out. So are
wake-ups a second per thread: on a virtual machine a thread that has just woken runs its
work 2-4 times slower than warm, so how often threads wake matters as much as what they
do. To compare with an earlier commit, use
audio_cpu_ab.py (side by side: this machine's load varies by minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.pulse

from benchmarks.local_server import local_server  # noqa: E402
from tests.integration.audio.signals import speech_like  # noqa: E402
from tests.pulse import PulseAudio  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def thread_cpu() -> dict[int, tuple[str, float, int]]:
    """Each thread of this process so far: {tid: (name, CPU seconds, wake-ups)}. Wake-ups
    are voluntary context switches: on this VM each costs more than most of the work."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/self/task/{tid}/comm", encoding="ascii") as f:
                comm = f.read().strip()
            with open(f"/proc/self/task/{tid}/status", encoding="ascii") as f:
                wakes = next(int(line.split()[1]) for line in f
                             if line.startswith("voluntary_ctxt_switches"))
        except (OSError, StopIteration):  # the thread ended
            continue
        name = names.get(int(tid), f"native ({comm})")
        out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / tick, wakes)
    return out


def by_thread(
    before: dict[int, tuple[str, float, int]], wall: float
) -> list[tuple[str, float, float]]:
    """(% of one core, wake-ups a second) per thread over the call, threads of one name
    summed, busiest first."""
    after = thread_cpu()
    sums: dict[str, tuple[float, float]] = {}
    for tid, (name, seconds, wakes) in after.items():
        _, seconds0, wakes0 = before.get(tid, (name, 0.0, 0))
        key = name.rstrip("0123456789_") if name.startswith(("Thread-", "asyncio_")) else name
        cpu, rate = sums.get(key, (0.0, 0.0))
        sums[key] = (cpu + (seconds - seconds0) / wall * 100, rate + (wakes - wakes0) / wall)
    return sorted(
        ((k, cpu, rate) for k, (cpu, rate) in sums.items() if cpu >= 0.05),
        key=lambda row: -row[1],
    )


PROCESSING = {
    "all": dict(echo_cancellation=True, noise_suppression=True, high_pass_filter=True),
    "aec": dict(echo_cancellation=True, noise_suppression=False, high_pass_filter=False),
    "none": dict(echo_cancellation=False, noise_suppression=False, high_pass_filter=False),
}


async def measure(
    seconds: float, pulse: PulseAudio, base_url: str, processing: str, blocksize: int | None
) -> tuple[float, float]:
    from desktop.core.audio.path import AudioPath
    from desktop.core.audio.processing import ProcessingSettings
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.profiles import get_profile
    from desktop.core.session import default_config

    profile = get_profile("local").with_base_url(base_url)
    path = AudioPath(settings=ProcessingSettings(**PROCESSING[processing]), blocksize=blocksize)
    await path.start()
    if path.source is None or path.sink is None:
        raise SystemExit(f"audio did not open: {[e.message for e in path.errors]}")
    call = RealtimeCall(
        profile, default_config(profile), audio_source=path.source, audio_sink=path.sink
    )
    await call.connect()
    voice = speech_like(seconds + 8, seed=77, dbfs=-16)
    player = pulse.play(voice, wait=False)  # talks for the whole call
    try:
        await asyncio.sleep(3.0)  # warm: codecs, canceller, buffers
        cpu0, wall0, threads0 = time.process_time(), time.monotonic(), thread_cpu()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        threads = by_thread(threads0, wall)
        stats = path.stats()
        received = path.sink.stats().frames_received
    finally:
        player.kill()
        await call.close()
        await path.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"audio_cpu: {wall:.0f} s call, processing {processing}, immediate echo (full duplex)")
    # The harness's own thread (feeding the voice to pacat) is not Talkline: left out.
    harness = sum(v for k, v, _ in threads if k.startswith("pacat-"))
    print(f"  CPU     {cpu / wall * 100 - harness:5.1f} % of one core   (target <= 15 %)")
    print("  by thread: " + ", ".join(f"{k} {v:.1f}" for k, v, _ in threads))
    wakes = [(k, r) for k, _, r in threads if not k.startswith("pacat-")]
    print(f"  wake-ups {sum(r for _, r in wakes):5.0f} a second: "
          + ", ".join(f"{k} {r:.0f}" for k, r in wakes))
    print(f"  RSS     {rss_mb():5.0f} MB now, {peak:.0f} MB peak   (target <= 250 MB)")
    print(f"  frames received {received}, playout underruns {stats.underruns}, "
          f"overruns {stats.overruns} ({stats.dropped_ms:.0f} ms dropped), "
          f"echo delay {stats.echo_delay_ms} ms", flush=True)
    return cpu / wall * 100 - harness, float(stats.overruns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--processing", choices=sorted(PROCESSING), default="all")
    parser.add_argument("--blocksize", type=int, default=None,
                        help="device block, frames (both directions; default: each its own)")
    args = parser.parse_args()
    results = []
    with local_server(echo_mode="immediate") as base_url, PulseAudio() as pulse:
        for _ in range(args.runs):
            results.append(asyncio.run(
                measure(args.seconds, pulse, base_url, args.processing, args.blocksize)
            ))
    if args.runs > 1:
        cpus = sorted(r[0] for r in results)
        print(f"median of {args.runs} runs: CPU {statistics.median(cpus):.1f} % "
              f"(runs: {', '.join(f'{c:.1f}' for c in cpus)}), overruns per run "
              f"{statistics.median(r[1] for r in results):.0f}")


if __name__ == "__main__":
    main()
