"""How fast a call is ready: Connect → session.updated, and `talkline call` from process start.

    .venv/bin/python benchmarks/connect.py [--runs 20]

Prints medians (and p90) with the stage breakdown. The local server gives no ICE servers.
The Inworld case uses its test server (tests/fakes/inworld.py) whose ICE servers point at a
loopback STUN server that never answers (a firewall dropping STUN): the offer must go out
after the gathering budget, not after aioice's 5 s STUN timeout. Target ≤ 1,000 ms, aim
≤ 300 ms; it is run in-process and as `talkline call --provider inworld --json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from desktop.core.call.engine import RealtimeCall  # noqa: E402
from desktop.core.profiles import get_profile  # noqa: E402
from desktop.core.session import default_config  # noqa: E402
from desktop.localserver.server import LocalRealtimeServer  # noqa: E402
from tests.fakes.inworld import DEFAULT_KEY as INWORLD_KEY  # noqa: E402
from tests.fakes.inworld import InworldFake  # noqa: E402
from tests.fakes.stun import StunServer  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def measure(title: str, runs: int, make: Callable[[], RealtimeCall]) -> None:
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for i in range(runs + 1):
        call = make()
        await call.connect()
        if i:  # the first call warms imports and codecs
            totals.append(call.timings.total_setup_ms() or 0.0)
            for name, ms in call.timings.durations_ms().items():
                stages.setdefault(name, []).append(ms)
        await call.close()
    print(f"{title} ({runs} runs)")
    print(f"  median {statistics.median(totals):6.1f} ms   p90 {pct(totals, 0.9):6.1f} ms")
    print("  stage breakdown (median ms; connect milestones counted from 'connecting'):")
    for name, values in stages.items():
        print(f"    {name:16} {statistics.median(values):6.1f}")


async def in_process(runs: int) -> None:
    server = LocalRealtimeServer()
    base = await server.start()
    profile = get_profile("local").with_base_url(base)
    try:
        await measure(
            "Connect → session ready (in-process server)",
            runs,
            lambda: RealtimeCall(profile, default_config(profile)),
        )
    finally:
        await server.stop()


async def inworld_silent_stun(runs: int) -> None:
    stun = await StunServer(answer=False).start()
    fake = InworldFake(ice_servers=stun.ice_servers())
    await fake.start()
    profile = get_profile("inworld").with_base_url(fake.base_url)
    try:
        await measure(
            "Connect → session ready, Inworld test server, its STUN server silent",
            runs,
            lambda: RealtimeCall(profile, default_config(profile), api_key=INWORLD_KEY),
        )
    finally:
        await fake.stop()
        stun.stop()


def serve_in_thread(start: Callable[[], Awaitable[str]]) -> str:
    """Run a test server on its own loop in a daemon thread; return its base URL."""
    ready: list[str] = []
    started = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        ready.append(loop.run_until_complete(start()))
        started.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    started.wait(10)
    return ready[0]


def inworld_cli(runs: int) -> None:
    async def start() -> str:
        stun = await StunServer(answer=False).start()
        fake = InworldFake(ice_servers=stun.ice_servers())
        await fake.start()
        return fake.base_url

    base = serve_in_thread(start)
    env = dict(os.environ, INWORLD_API_KEY=INWORLD_KEY)
    to_connected: list[float] = []
    reported: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop", "call", "--provider", "inworld"]
            + ["--base-url", base, "--json", "--say", "hi"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            data = json.loads(line)
            if data.get("kind") == "state" and data.get("state") == "connected":
                to_connected.append((time.perf_counter() - t0) * 1000)
            if data.get("kind") == "timings" and data.get("setup_ms") is not None:
                reported.append(float(data["setup_ms"]))
        proc.wait()
        if proc.returncode != 0:
            raise SystemExit(f"talkline call --provider inworld exited {proc.returncode}")
    print(f"`talkline call --provider inworld --json`, STUN server silent ({runs} runs)")
    print(f"  process start to connected: median {statistics.median(to_connected):6.0f} ms")
    if reported:
        print(f"  connect (the call's own timings): median {statistics.median(reported):6.0f} ms")


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
    asyncio.run(inworld_silent_stun(args.runs))
    from_process_start(args.runs)
    inworld_cli(args.runs)


if __name__ == "__main__":
    main()
