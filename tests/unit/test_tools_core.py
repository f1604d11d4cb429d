"""The tool registry, names, output caps, path confinement, config parsing: pure logic."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.session.dialects import session_payload
from desktop.core.settings import AppSettings
from desktop.core.tools.approval import (
    ApprovalMemory,
    ApprovalRequest,
    Decision,
    FlagApprover,
    ask_in_time,
)
from desktop.core.tools.builtin import DesktopHooks, builtin_tools, confined
from desktop.core.tools.calls import cap_output, schema_problem
from desktop.core.tools.mcp_config import (
    IN_KEYRING,
    fill_secrets,
    parse_json_text,
    stash_secrets,
)
from desktop.core.tools.registry import ToolError, ToolRegistry, namespaced, valid_name


def test_namespaced_names_are_valid_unique_and_readable() -> None:
    assert namespaced("files", "read") == "files__read"
    long_a = namespaced("a" * 40, "tool_" + "x" * 40)
    long_b = namespaced("a" * 40, "tool_" + "x" * 39 + "y")
    assert valid_name(long_a) and valid_name(long_b) and long_a != long_b
    assert len(long_a) <= 64
    odd = namespaced("my server", "do.it")
    assert valid_name(odd) and odd != namespaced("my_server", "do_it")


def test_declarations_leave_out_disabled_tools() -> None:
    registry = ToolRegistry()
    for tool in builtin_tools(DesktopHooks()):
        registry.add(tool)
    registry.enable("open_url", False)
    names = [d["name"] for d in registry.declarations()]
    assert "open_url" not in names and "get_current_time" in names
    assert all(d["type"] == "function" and "parameters" in d for d in registry.declarations())
    assert registry.get("open_url") is None


def test_output_cap_keeps_16_kb_and_says_what_was_cut() -> None:
    text = "é" * 20_000  # two bytes each
    capped = cap_output(text)
    assert len(capped.encode()) <= 16 * 1024
    assert "truncated: the tool returned 40000 bytes" in capped
    assert cap_output("short") == "short"


def test_schema_problems_are_sentences() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert schema_problem(schema, {"a": 1}) is None
    assert "'a' is a required property" in (schema_problem(schema, {}) or "")
    assert schema_problem(schema, {"a": "x"}) == "a: 'x' is not of type 'integer'"


def test_file_tools_cannot_leave_the_chosen_folder(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "note.txt").write_text("hello")
    (tmp_path / "secret.txt").write_text("no")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.symlink(tmp_path, root / "up")
    assert confined(root, "sub/note.txt") == (root / "sub" / "note.txt").resolve()
    for escape in ("../secret.txt", "sub/../../secret.txt", "link.txt", "up/secret.txt",
                   str(tmp_path / "secret.txt"), "~/secret.txt"):
        with pytest.raises(ToolError):
            confined(root, escape)


async def test_file_tools_list_and_read_with_size_caps(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "big.txt").write_bytes(b"x" * 300_000)
    tools = {t.name: t for t in builtin_tools(DesktopHooks(folder=tmp_path))}
    listing = await tools["list_files"].runner({})
    assert {"name": "a.txt", "bytes": 5} in listing["entries"]  # type: ignore[index]
    assert (await tools["read_text_file"].runner({"path": "a.txt"}))["text"] == "alpha"  # type: ignore[index]
    with pytest.raises(ToolError, match="at most 256 KB"):
        await tools["read_text_file"].runner({"path": "big.txt"})
    nowhere = {t.name: t for t in builtin_tools(DesktopHooks(folder=None))}
    with pytest.raises(ToolError, match="No folder is chosen"):
        await nowhere["list_files"].runner({})


async def test_open_url_takes_only_http_and_https() -> None:
    opened: list[str] = []
    hooks = DesktopHooks(open_url=lambda u: not opened.append(u))
    tools = {t.name: t for t in builtin_tools(hooks)}
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "ftp://x.org", "https://"):
        with pytest.raises(ToolError, match="Only http and https"):
            await tools["open_url"].runner({"url": bad})
    await tools["open_url"].runner({"url": "https://example.org/x"})
    assert opened == ["https://example.org/x"]


async def test_no_answer_within_the_timeout_is_a_denial() -> None:
    class Silent:
        async def ask(self, request: ApprovalRequest) -> Decision:
            await asyncio.sleep(10)
            return Decision.ALLOW_ONCE

    request = ApprovalRequest("open_url", "built-in", {"url": "https://x.org"})
    assert await ask_in_time(Silent(), request, 0.05) is Decision.DENY
    reports: list[str] = []
    flags = FlagApprover({"read_clipboard"}, reports.append)
    assert await flags.ask(request) is Decision.DENY
    assert "--allow-tool open_url" in reports[0]
    assert await FlagApprover("all").ask(request) is Decision.ALLOW_ONCE
    memory = ApprovalMemory(["a"])
    memory.add("b")
    memory.remove("a")
    assert memory.names == ("b",)


def test_mcp_config_parses_both_shapes_and_names_every_problem() -> None:
    servers, problems = parse_json_text("""{"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "server-files"], "env": {"A": "1"}},
        "web": {"url": "https://mcp.example.org/mcp", "headers": {"Authorization": "Bearer t"}},
        "broken": {"args": []}, "ftp": {"url": "ftp://x"}}}""")
    assert [s.name for s in servers] == ["files", "web"]
    assert servers[0].transport == "stdio" and servers[0].args == ("-y", "server-files")
    assert servers[1].transport == "http"
    assert len(problems) == 2 and "'broken'" in problems[0]
    assert parse_json_text("{nope")[1][0].startswith("The MCP configuration is not valid JSON")


def test_secret_headers_go_to_the_store_not_the_settings() -> None:
    class Store(dict[str, str]):
        def set(self, key: str, value: str) -> None:  # type: ignore[override]
            self[key] = value

    store = Store()
    servers, _ = parse_json_text('{"mcpServers": {"web": {"url": "https://x.org/mcp", '
                                 '"headers": {"Authorization": "Bearer abc", "X-Team": "blue"}}}}')
    kept = stash_secrets(servers, store)
    assert kept[0].headers == {"Authorization": IN_KEYRING, "X-Team": "blue"}
    assert "Bearer abc" not in str(kept[0].to_json())
    filled, missing = fill_secrets(kept[0], store)
    assert filled.headers["Authorization"] == "Bearer abc" and not missing


def test_tools_are_declared_only_where_the_profile_supports_them() -> None:
    tool = {"type": "function", "name": "get_current_time", "description": "t",
            "parameters": {"type": "object", "properties": {}}}
    remote = {"type": "mcp", "server_label": "docs", "server_url": "https://x.org/mcp",
              "require_approval": "always"}
    for pid in ("openai", "inworld", "compatible", "local"):
        profile = get_profile(pid)
        cfg = default_config(profile).__class__(**{**default_config(profile).__dict__,
                                                   "tools": (tool, remote)})
        session = session_payload(cfg, profile)
        assert session["tools"][0] == tool and session["tool_choice"] == "auto"
        assert (remote in session["tools"]) is (pid == "openai")
    rtav = get_profile("rtav")
    cfg = default_config(rtav).__class__(**{**default_config(rtav).__dict__, "tools": (tool,)})
    assert "tools" not in session_payload(cfg, rtav)
    assert rtav.tools_unsupported_reason


def test_tool_settings_survive_a_round_trip_and_bad_values_reset() -> None:
    settings = AppSettings()
    settings.tools.always_allowed = ["open_url"]
    settings.tools.mcp_servers = {"files": {"command": "x"}}
    loaded, problems = AppSettings.from_dict(settings.to_dict())
    assert not problems and loaded.tools.always_allowed == ["open_url"]
    assert loaded.tools.mcp_servers == {"files": {"command": "x"}}
    _, problems = AppSettings.from_dict({"tools": {"always_allowed": [1, 2], "enabled": "yes"}})
    assert len(problems) == 2


def test_a_remote_mcp_call_shows_in_the_transcript_with_its_result() -> None:
    from desktop.core.conversation.model import Conversation
    from desktop.core.events.server import parse_server_event

    conversation = Conversation()
    item = {"id": "mcp_1", "type": "mcp_call", "server_label": "docs", "name": "search",
            "arguments": '{"q": "x"}', "output": None}
    conversation.apply(parse_server_event(
        {"type": "conversation.item.added", "event_id": "e1", "item": item}))
    conversation.apply(parse_server_event({
        "type": "conversation.item.done", "event_id": "e2",
        "item": {**item, "status": "completed", "output": "3 results"}}))
    (turn,) = conversation.items
    assert (turn.kind, turn.name, turn.output, turn.tool_status) == (
        "function_call", "docs:search", "3 results", "ok")
    assert "docs:search" in conversation.to_markdown()


def test_settings_decide_which_tools_and_servers_there_are(tmp_path: Path) -> None:
    from desktop.core.settings.schema import ToolSettings
    from desktop.core.tools.setup import registry_from_settings, servers_from_settings

    settings = ToolSettings(disabled_builtins=["open_url"], folder=str(tmp_path),
                            mcp_servers={"a": {"command": "x"},
                                         "b": {"command": "y", "disabled": True}})
    names = [d["name"] for d in registry_from_settings(settings, DesktopHooks()).declarations()]
    assert "open_url" not in names and "list_files" in names
    assert [s.name for s in servers_from_settings(settings)[0]] == ["a"]
    off = ToolSettings(enabled=False, mcp_servers={"a": {"command": "x"}})
    assert registry_from_settings(off, DesktopHooks()).all() == []
    assert servers_from_settings(off) == ([], [])


async def test_the_user_speaking_stops_a_running_tool() -> None:
    from desktop.core.events.server import parse_server_event
    from desktop.core.tools.calls import RunStatus, ToolCalls, ToolRun
    from desktop.core.tools.registry import Policy, Tool

    async def slow(_args: dict[str, object]) -> str:
        await asyncio.sleep(30)
        return "late"

    registry = ToolRegistry()
    registry.add(Tool("slow_tool", "Slow.", {}, slow, Policy.ALLOW))
    calls = ToolCalls(registry, FlagApprover("all"))
    finished: list[ToolRun] = []
    calls.finished.connect(finished.append)
    calls.on_event(parse_server_event({
        "type": "response.function_call_arguments.done", "event_id": "e", "response_id": "r",
        "item_id": "i", "call_id": "c1", "name": "slow_tool", "arguments": "{}"}))
    await asyncio.sleep(0.05)
    assert calls.running == ("slow_tool",)
    calls.on_event(parse_server_event({
        "type": "input_audio_buffer.speech_started", "event_id": "e2", "audio_start_ms": 10,
        "item_id": "u1"}))
    assert finished[0].status is RunStatus.CANCELLED and calls.running == ()
    assert "started speaking" in (finished[0].output or "")
    # The same call id again does not run it twice.
    notices: list[str] = []
    calls.notice.connect(notices.append)
    calls.on_event(parse_server_event({
        "type": "response.function_call_arguments.done", "event_id": "e3", "response_id": "r",
        "item_id": "i", "call_id": "c1", "name": "slow_tool", "arguments": "{}"}))
    assert calls.running == () and "twice" in notices[0]
