"""`talkline tools list`, and the call flags and JSON lines a headless call uses."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from desktop.cli.printer import Printer
from desktop.cli.tooling import add_tool_arguments, build_tools, tool_lines
from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from tests.integration.test_call_local import until
from tests.integration.test_cli import talkline

TOOLBOX = str(Path(__file__).resolve().parents[1] / "mcp_servers" / "toolbox.py")
LOCAL = get_profile("local")


def mcp_config(tmp_path: Path, **servers: dict[str, object]) -> str:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return str(path)


def test_tools_list_shows_built_in_and_mcp_tools(tmp_path: Path) -> None:
    config = mcp_config(tmp_path, box={"command": sys.executable, "args": [TOOLBOX]})
    done = talkline("tools", "list", "--mcp-config", config, "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    tools = {line["name"]: line for line in lines if line["kind"] == "tool"}
    assert tools["get_current_time"]["policy"] == "allow"
    assert tools["box__add"]["source"] == "box" and tools["box__add"]["policy"] == "ask"
    plain = talkline("tools", "list")
    assert plain.returncode == 0 and "end_call" in plain.stdout


def test_tools_list_says_why_a_server_failed_and_exits_1(tmp_path: Path) -> None:
    config = mcp_config(tmp_path, gone={"command": "/nonexistent/server"})
    done = talkline("tools", "list", "--mcp-config", config)
    assert done.returncode == 1
    assert "MCP server 'gone' could not be used" in done.stderr
    assert "Traceback" not in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    done = talkline("tools", "list", "--mcp-config", str(broken))
    assert "not valid JSON" in done.stderr and "Traceback" not in done.stderr


async def test_flags_build_tools_that_run_mcp_and_print_json_lines(
    server, tmp_path: Path, capsys
) -> None:
    parser = argparse.ArgumentParser()
    add_tool_arguments(parser)
    config = mcp_config(tmp_path, box={"command": sys.executable, "args": [TOOLBOX]})
    args = parser.parse_args(["--mcp-config", config, "--allow-tool", "box__shout"])
    notes: list[str] = []
    registry, calls, hub = build_tools(args, notes.append)
    assert hub is not None
    hub.start()
    await hub.wait_started()
    printer = Printer(json_mode=True)
    tool_lines(printer, calls)
    cfg = replace(default_config(LOCAL), tools=tuple(registry.declarations()))
    call = RealtimeCall(LOCAL.with_base_url(server.base_url), cfg)
    calls.attach(call)
    try:
        await call.connect()
        call.send_text('use box__shout {"text": "hello"} and copy_to_clipboard {"text": "x"}')
        await until(lambda: any("The tool returned" in t.text for t in call.conversation.items
                                if t.role == "assistant" and t.status == "completed"))
    finally:
        await call.close()
        await hub.stop()
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    results = {x["name"]: x for x in lines if x["kind"] == "tool_result"}
    assert results["box__shout"]["output"] == "HELLO"
    assert results["box__shout"]["duration_ms"] > 0
    assert results["copy_to_clipboard"]["status"] == "denied"
    assert {x["name"] for x in lines if x["kind"] == "tool_call"} == set(results)
    assert any("--allow-tool copy_to_clipboard" in n for n in notes)


def test_no_tools_flag_offers_none() -> None:
    parser = argparse.ArgumentParser()
    add_tool_arguments(parser)
    registry, _calls, hub = build_tools(parser.parse_args(["--tools", "none"]), print)
    assert registry.declarations() == [] and hub is None
