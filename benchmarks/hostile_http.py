"""The hostile HTTP answers of issue 13, timed: how long until the one clear sentence, the
longest the event loop stalled meanwhile (the window shares it), and RSS growth.

    .venv/bin/python benchmarks/hostile_http.py

Targets: within the request timeout (here 5 s), loop stall ≤ 100 ms, RSS growth < 50 MB.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fakes

from aiohttp import web  # noqa: E402

from desktop.core.call.engine import RealtimeCall  # noqa: E402
from desktop.core.call.errors import CallError  # noqa: E402
from desktop.core.profiles import get_profile  # noqa: E402
from desktop.core.session import default_config  # noqa: E402
from tests.fakes.hostile import CALLS, HostileServer, endless, gzip_bomb  # noqa: E402

MB = 1024 * 1024


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def huge_message() -> Any:  # noqa: ANN401 - a generator
    yield b'{"error": {"message": "'
    for _ in range(800):
        yield b"A" * (64 * 1024)
    yield b'"}}'


def huge_secret() -> Any:  # noqa: ANN401 - a generator
    yield b'{"value": "ek_'
    for _ in range(800):
        yield b"a" * (64 * 1024)
    yield b'"}'


def cases(bomb: bytes) -> list[tuple[str, Callable[[HostileServer], None]]]:
    async def bomb_answer(request: web.Request) -> web.Response:
        await request.read()
        headers = {"Content-Encoding": "gzip", "Location": f"{CALLS}/rtc_b"}
        return web.Response(status=201, body=bomb, content_type="application/sdp", headers=headers)

    def set_bomb(s: HostileServer) -> None:
        s.calls = bomb_answer

    def set_endless(s: HostileServer) -> None:
        s.calls = s.streamer(endless())

    def set_message(s: HostileServer) -> None:
        s.calls = s.streamer(huge_message, status=400)

    def set_secret(s: HostileServer) -> None:
        s.mint = s.streamer(huge_secret, status=200)

    return [
        ("gzip bomb (1 GiB unpacked)", set_bomb),
        ("endless body", set_endless),
        ("400 with a 50 MB message", set_message),
        ("50 MB client secret", set_secret),
    ]


async def stall_watch(stop: asyncio.Event, worst: list[float]) -> None:
    tick = 0.01
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(tick)
        worst[0] = max(worst[0], time.perf_counter() - t0 - tick)


async def run_case(name: str, setup: Callable[[HostileServer], None]) -> None:
    server = HostileServer()
    await server.start()
    setup(server)
    profile = get_profile("openai").with_base_url(server.base_url)
    call = RealtimeCall(
        profile,
        default_config(profile),
        api_key="sk-bench-0123456789",
        http_timeout=5.0,
        liveness_timeout=None,
    )
    before = rss_mb()
    stop, worst = asyncio.Event(), [0.0]
    watcher = asyncio.create_task(stall_watch(stop, worst))
    t0 = time.perf_counter()
    sentence = "(connected?)"
    try:
        await call.connect()
    except CallError as exc:
        sentence = exc.message
    took = time.perf_counter() - t0
    stop.set()
    await watcher
    await call.close()
    await server.stop()
    print(
        f"{name:28} {took:5.2f} s   loop stall ≤ {worst[0] * 1000:5.1f} ms   "
        f"RSS +{rss_mb() - before:5.1f} MB   “{sentence[:70]}…”"
    )


async def main() -> None:
    bomb = gzip_bomb(1024 * MB)  # built before measuring
    print(f"(bomb: {len(bomb) / MB:.1f} MB on the wire)")
    for name, setup in cases(bomb):
        await run_case(name, setup)


if __name__ == "__main__":
    asyncio.run(main())
