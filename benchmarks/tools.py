"""Tool overhead: from ``response.function_call_arguments.done`` to the output sent.

    .venv/bin/python benchmarks/tools.py [--runs 40]

Real WebRTC on loopback to the local server (its own process), which calls the tool the
typed text names; ``ToolRun.duration_ms`` is measured by the call flow itself
(arguments.done handled → ``function_call_output`` sent on the data channel). The MCP
tool is ``add`` of the test suite's SDK server over stdio, started before measuring.
Targets: get_current_time <= 5 ms median; an MCP stdio tool <= 30 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.local_server import local_server  # noqa: E402
from desktop.core.call.engine import RealtimeCall  # noqa: E402
from desktop.core.events.server import ResponseDone, ServerEvent  # noqa: E402
from desktop.core.profiles import get_profile  # noqa: E402
from desktop.core.session import default_config  # noqa: E402
from desktop.core.tools.approval import FlagApprover  # noqa: E402
from desktop.core.tools.builtin import DesktopHooks, builtin_tools  # noqa: E402
from desktop.core.tools.calls import ToolCalls, ToolRun  # noqa: E402
from desktop.core.tools.mcp import McpHub  # noqa: E402
from desktop.core.tools.mcp_config import McpServerConfig  # noqa: E402
from desktop.core.tools.registry import ToolRegistry  # noqa: E402

ROOT = str(Path(__file__).resolve().parents[1])
TOOLBOX = str(Path(ROOT) / "tests" / "mcp_servers" / "toolbox.py")




async def measure(base_url: str, runs: int) -> dict[str, list[float]]:
    registry = ToolRegistry()
    for tool in builtin_tools(DesktopHooks()):
        registry.add(tool)
    hub = McpHub(registry, [McpServerConfig("box", command=sys.executable, args=(TOOLBOX,))])
    hub.start()
    await hub.wait_started()
    profile = get_profile("local")
    cfg = replace(default_config(profile), tools=tuple(registry.declarations()))
    call = RealtimeCall(profile.with_base_url(base_url), cfg)
    tools = ToolCalls(registry, FlagApprover("all"))
    done: asyncio.Queue[ToolRun] = asyncio.Queue()
    tools.finished.connect(done.put_nowait)
    responses: asyncio.Queue[ServerEvent] = asyncio.Queue()
    call.event_received.connect(
        lambda e: responses.put_nowait(e) if isinstance(e, ResponseDone) else None
    )
    tools.attach(call)
    await call.connect()
    figures: dict[str, list[float]] = {"get_current_time": [], "box__add (MCP stdio)": []}
    try:
        for text, key in (("use get_current_time", "get_current_time"),
                          ('use box__add {"a": 1, "b": 2}', "box__add (MCP stdio)")):
            for i in range(runs + 3):
                call.send_text(text)
                run = await asyncio.wait_for(done.get(), 10)
                if i >= 3 and run.duration_ms is not None:  # the first few warm up
                    figures[key].append(run.duration_ms)
                for _ in range(2):  # the response that called, then the reply to the output
                    await asyncio.wait_for(responses.get(), 10)
    finally:
        await call.close()
        await hub.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with local_server() as base_url:  # its own process: only Talkline is measured
        figures = asyncio.run(measure(base_url, args.runs))
    targets = {"get_current_time": 5.0, "box__add (MCP stdio)": 30.0}
    for name, values in figures.items():
        median = statistics.median(values)
        worst = max(values)
        verdict = "ok" if median <= targets[name] else "OVER TARGET"
        print(f"{name:24} median {median:6.2f} ms  max {worst:6.2f} ms  "
              f"(n={len(values)}, target <= {targets[name]:g} ms) {verdict}")


if __name__ == "__main__":
    main()
