"""MCP servers written with the official SDK (tests/mcp_servers/toolbox.py), for real."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.tools.approval import FlagApprover
from desktop.core.tools.calls import RunStatus, ToolCalls, ToolRun
from desktop.core.tools.mcp import McpHub, ServerState
from desktop.core.tools.mcp_config import McpServerConfig, parse_servers
from desktop.core.tools.registry import ToolRegistry
from tests.integration.test_call_local import until

LOCAL = get_profile("local")
TOOLBOX = str(Path(__file__).resolve().parents[1] / "mcp_servers" / "toolbox.py")


def toolbox(name: str = "box", *mode: str) -> McpServerConfig:
    return McpServerConfig(name=name, command=sys.executable, args=(TOOLBOX, *mode))


async def started_hub(*servers: McpServerConfig, **kw: float) -> tuple[McpHub, list[str]]:
    hub = McpHub(ToolRegistry(), list(servers), **kw)
    notices: list[str] = []
    hub.notice.connect(notices.append)
    hub.start()
    await hub.wait_started()
    return hub, notices


async def test_a_stdio_server_is_listed_offered_called_and_answered(server) -> None:
    hub, _ = await started_hub(toolbox())
    try:
        names = {t.name for t in hub.registry.all()}
        assert {"box__add", "box__shout"} <= names
        cfg = replace(default_config(LOCAL), tools=tuple(hub.registry.declarations()))
        declared = {t["name"]: t for t in cfg.tools}
        assert declared["box__add"]["parameters"]["required"] == ["a", "b"]
        call = RealtimeCall(LOCAL.with_base_url(server.base_url), cfg)
        tools = ToolCalls(hub.registry, FlagApprover({"box__add"}))
        finished: list[ToolRun] = []
        tools.finished.connect(finished.append)
        tools.attach(call)
        await call.connect()
        assert {t["name"] for t in server.calls[-1].session["tools"]} >= {"box__add"}
        call.send_text('please use box__add {"a": 2, "b": 40}')
        await until(lambda: any(
            "42" in t.text for t in call.conversation.items
            if t.role == "assistant" and t.status == "completed"))
        assert finished[0].status is RunStatus.OK and finished[0].output == "42"
        assert finished[0].source == "box"
        await call.close()
    finally:
        await hub.stop()


async def test_servers_that_exit_hang_or_print_garbage_become_notices() -> None:
    # The hanging one gets a short start timeout; the others the default (a loaded machine
    # may take seconds to start Python).
    (hub, notices), (stuck_hub, stuck_notices) = await asyncio.gather(
        started_hub(toolbox("quits", "exit"), toolbox("noisy", "garbage"),
                    McpServerConfig(name="missing", command="/nonexistent/mcp-server")),
        started_hub(toolbox("stuck", "hang"), start_timeout=3.0),
    )
    try:
        states = {s.name: s.state for s in [*hub.statuses, *stuck_hub.statuses]}
        assert states["quits"] is ServerState.FAILED
        assert states["stuck"] is ServerState.FAILED
        assert states["missing"] is ServerState.FAILED
        assert any("'stuck' did not start within 3 s" in n for n in stuck_notices)
        assert any("'quits'" in n and "refusing to start" in n for n in notices)
        assert any("'missing'" in n and "cannot start" in n for n in notices)
        # A server that printed garbage first still serves its tools.
        assert states["noisy"] is ServerState.READY
        run = hub.registry.get("noisy__shout")
        assert run is not None and await run.runner({"text": "hi"}) == "HI"
    finally:
        await hub.stop()
        await stuck_hub.stop()


async def test_a_server_crashing_mid_call_and_a_hanging_call_end_in_error_outputs() -> None:
    hub, _ = await started_hub(toolbox(), call_timeout=1.0)
    tools = ToolCalls(hub.registry, FlagApprover("all"))
    finished: list[ToolRun] = []
    tools.finished.connect(finished.append)
    try:
        tools.on_event(_arguments_done("c1", "box__slow", {"seconds": 30}))
        await until(lambda: len(finished) == 1)
        assert finished[0].status is RunStatus.TIMEOUT
        tools.on_event(_arguments_done("c2", "box__crash", {}))
        await until(lambda: len(finished) == 2, seconds=15)
        assert finished[1].status in (RunStatus.ERROR, RunStatus.TIMEOUT)
        assert "error" in json.loads(finished[1].output or "{}")
    finally:
        await hub.stop()


async def test_a_streamable_http_server_on_loopback() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, TOOLBOX, "http", str(port),
        stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP MCP server did not come up"
                await asyncio.sleep(0.1)
        servers, problems = parse_servers(
            {"mcpServers": {"web": {"url": f"http://127.0.0.1:{port}/mcp"}}})
        assert not problems
        hub, notices = await started_hub(*servers)
        try:
            assert hub.statuses[0].state is ServerState.READY, notices
            tool = hub.registry.get("web__add")
            assert tool is not None and await tool.runner({"a": 1, "b": 2}) == "3"
        finally:
            await hub.stop()
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 5)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_stdio_server_does_not_outlive_an_app_killed_with_sigkill(tmp_path) -> None:
    pidfile = tmp_path / "server.pid"
    app = textwrap.dedent(f"""
        import asyncio, sys
        from desktop.core.tools.mcp import McpHub
        from desktop.core.tools.mcp_config import McpServerConfig
        from desktop.core.tools.registry import ToolRegistry
        async def main():
            hub = McpHub(ToolRegistry(), [McpServerConfig(
                name="box", command=sys.executable,
                args=({TOOLBOX!r}, "spawn", {str(pidfile)!r}))])
            hub.start()
            await hub.wait_started()
            print("ready", flush=True)
            await asyncio.sleep(60)
        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", app], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        server_pid = int(pidfile.read_text())
        assert _alive(server_pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        deadline = time.monotonic() + 5
        while _alive(server_pid):
            assert time.monotonic() < deadline, "the MCP server outlived the killed app"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def _arguments_done(call_id: str, name: str, args: dict[str, object]):  # noqa: ANN202
    from desktop.core.events.server import parse_server_event

    return parse_server_event({
        "type": "response.function_call_arguments.done", "event_id": "e", "response_id": "r",
        "item_id": "i", "output_index": 0, "call_id": call_id, "name": name,
        "arguments": json.dumps(args),
    })
