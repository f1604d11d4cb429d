"""Connect → session ready with three MCP servers configured, against none.

    .venv/bin/python benchmarks/mcp_connect.py [--runs 15]

Issue "Tools", Benchmarks: "Connect → session ready with three MCP servers configured:
unchanged". The conversation session is built as the app builds it: the servers in
``ToolSettings.mcp_servers`` (the ``mcpServers`` shape) → ``registry_from_settings`` and
``servers_from_settings`` (desktop/core/tools/setup.py) → ``McpHub`` → ``ConversationTools``
→ ``TalkSession.use_tools``, and ``start_tools()`` as the window calls it after its first
paint. The servers are three copies of the test suite's SDK server over stdio
(tests/mcp_servers/toolbox.py, ``MCPServer``). The built-in local server runs in its own
process, as a provider would (only Talkline is measured); the call is real WebRTC on
loopback, with no sound devices.

Measured: ``session.connect()`` → the call CONNECTED (session.updated received), wall
clock, and the call's own connect time. Three cases, interleaved run by run so that a busy
machine weighs on all of them alike:

- none: no MCP servers configured;
- 3 starting: Connect at the moment the servers start (Connect right after launch: three
  processes spawn and import the SDK while the call connects);
- 3 running: the servers were ready before Connect.

The window starts the servers right after its first paint, and `talkline call` waits for
them before connecting, so "3 running" is the usual case and "3 starting" the worst one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.local_server import local_server  # noqa: E402
from desktop.core.call.state import CallState, CallStatus  # noqa: E402
from desktop.core.settings.schema import AppSettings  # noqa: E402
from desktop.core.talk.audio import no_audio  # noqa: E402
from desktop.core.talk.session import TalkSession  # noqa: E402
from desktop.core.talk.tools import ConversationTools  # noqa: E402
from desktop.core.tools.approval import FlagApprover  # noqa: E402
from desktop.core.tools.builtin import DesktopHooks  # noqa: E402
from desktop.core.tools.calls import ToolCalls  # noqa: E402
from desktop.core.tools.mcp import McpHub  # noqa: E402
from desktop.core.tools.setup import registry_from_settings, servers_from_settings  # noqa: E402

ROOT = str(Path(__file__).resolve().parents[1])
TOOLBOX = str(Path(ROOT) / "tests" / "mcp_servers" / "toolbox.py")
CASES = ("none", "3 starting", "3 running")


@dataclass
class Sample:
    wall_ms: float  # session.connect() → CONNECTED
    call_ms: float  # the call's own timings (its start → CONNECTED)
    servers_ready: int  # MCP servers ready when the call was
    servers_start_ms: float | None = None  # start_tools() → all three ready ("3 running")


def settings_for(base_url: str, servers: int) -> AppSettings:
    settings = AppSettings()
    settings.provider_settings("local").base_url = base_url
    settings.tools.mcp_servers = {
        f"box{n}": {"command": sys.executable, "args": [TOOLBOX]} for n in range(1, servers + 1)
    }
    return settings


def session_for(settings: AppSettings) -> TalkSession:
    """As the app does (desktop/ui/tools/wiring.py, desktop/cli/call.py), without Qt."""
    session = TalkSession(settings, audio_factory=no_audio)
    registry = registry_from_settings(settings.tools, DesktopHooks(end_call=session.disconnect))
    servers, problems = servers_from_settings(settings.tools)
    assert not problems, problems
    hub = McpHub(registry, servers) if servers else None
    calls = ToolCalls(registry, FlagApprover(set()))  # no tool runs here
    session.use_tools(ConversationTools(registry, calls, hub))
    return session


async def one(base_url: str, case: str) -> Sample:
    session = session_for(settings_for(base_url, 0 if case == "none" else 3))
    connected = asyncio.Event()
    session.status_changed.connect(
        lambda status: connected.set() if status.state is CallState.CONNECTED else None
    )
    failed: list[CallStatus] = []
    session.status_changed.connect(
        lambda status: failed.append(status) if status.state is CallState.FAILED else None
    )
    tools = session.tools
    assert tools is not None
    try:
        started = time.perf_counter()
        session.start_tools()
        servers_start_ms = None
        if case == "3 running":
            assert tools.hub is not None
            await tools.hub.wait_started()
            servers_start_ms = (time.perf_counter() - started) * 1000
        t0 = time.perf_counter()
        session.connect()
        await asyncio.wait_for(connected.wait(), 30)
        wall = (time.perf_counter() - t0) * 1000
        call = session.call
        assert call is not None and not failed, failed
        ready = 0
        if tools.hub is not None:
            ready = sum(1 for s in tools.hub.servers.values() if s.status.state.value == "ready")
        return Sample(wall, call.timings.total_setup_ms() or 0.0, ready, servers_start_ms)
    finally:
        await session.shutdown()


async def measure(base_url: str, runs: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {case: [] for case in CASES}
    for case in CASES:  # warm-up: imports, codecs, the SDK, the server's first call
        await one(base_url, case)
    for _ in range(runs):
        for case in CASES:
            samples[case].append(await one(base_url, case))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with local_server() as base_url:  # its own process: only Talkline is measured
        samples = asyncio.run(measure(base_url, args.runs))
    base = statistics.median(s.wall_ms for s in samples["none"])
    print(f"Connect → session ready, local server over WebRTC on loopback ({args.runs} runs)")
    for case in CASES:
        values = samples[case]
        wall = statistics.median(s.wall_ms for s in values)
        own = statistics.median(s.call_ms for s in values)
        ready = statistics.median(s.servers_ready for s in values)
        print(f"  {case:11} median {wall:6.1f} ms  (call's own {own:6.1f} ms)  "
              f"max {max(s.wall_ms for s in values):6.1f} ms  ratio to none {wall / base:4.2f}"
              + (f"  servers ready at connected: {ready:g}/3" if case != "none" else ""))
    start = [s.servers_start_ms for s in samples["3 running"] if s.servers_start_ms is not None]
    print(f"  (three servers take {statistics.median(start):.0f} ms median from start to ready:"
          " a Connect within that time overlaps their start)")


if __name__ == "__main__":
    main()
