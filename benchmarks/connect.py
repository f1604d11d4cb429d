"""How fast a call is ready: Connect → session.updated, and `talkline call` from process start.

    .venv/bin/python benchmarks/connect.py [--runs 20]

Prints medians (and p90) with the stage breakdown. Gathering uses no ICE servers, so it
must not wait on STUN.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.localserver.server import LocalRealtimeServer


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def in_process(runs: int) -> None:
    server = LocalRealtimeServer()
    base = await server.start()
    profile = get_profile("local").with_base_url(base)
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    try:
        for i in range(runs + 1):
            call = RealtimeCall(profile, default_config(profile))
            await call.connect()
            if i:  # the first call warms imports and codecs
                totals.append(call.timings.total_setup_ms() or 0.0)
                for name, ms in call.timings.durations_ms().items():
                    stages.setdefault(name, []).append(ms)
            await call.close()
    finally:
        await server.stop()
    print(f"Connect → session ready (in-process server, {runs} runs)")
    print(f"  median {statistics.median(totals):6.1f} ms   p90 {pct(totals, 0.9):6.1f} ms")
    print("  stage breakdown (median ms; connect milestones counted from 'connecting'):")
    for name, values in stages.items():
        print(f"    {name:16} {statistics.median(values):6.1f}")


def from_process_start(runs: int) -> None:
    to_connected: list[float] = []
    to_exit: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop",
                "call",
                "--provider",
                "local",
                "--json",
                "--say",
                "hi",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            data = json.loads(line)
            if data.get("kind") == "state" and data.get("state") == "connected":
                to_connected.append((time.perf_counter() - t0) * 1000)
        proc.wait()
        if proc.returncode != 0:
            raise SystemExit(f"talkline call exited {proc.returncode}")
        to_exit.append((time.perf_counter() - t0) * 1000)
    print(f"`talkline call --provider local --say hi` from process start ({runs} runs)")
    print(f"  to connected: median {statistics.median(to_connected):6.0f} ms")
    print(
        f"  whole command (reply, idle wait, hang-up): {statistics.median(to_exit):6.0f} ms median"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(in_process(args.runs))
    from_process_start(args.runs)


if __name__ == "__main__":
    main()
