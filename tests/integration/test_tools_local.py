"""Function calls end to end: the local server calls tools, ToolCalls runs and answers them.

Real WebRTC on loopback; the server records every client event, so the tests assert on
what went over the wire (one response.create per batch of calls, the outputs).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.tools.approval import ApprovalRequest, Decision, FlagApprover
from desktop.core.tools.builtin import DesktopHooks, builtin_tools
from desktop.core.tools.calls import RunStatus, ToolCalls, ToolRun
from desktop.core.tools.registry import Policy, Tool, ToolRegistry
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.test_call_local import until

LOCAL = get_profile("local")


class ScriptedApprover:
    """Answers like a user would, and remembers what it was asked."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.asked: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> Decision:
        self.asked.append(request)
        return self.decision


def registry_with(*extra: Tool) -> ToolRegistry:
    registry = ToolRegistry()
    for tool in builtin_tools(DesktopHooks(clipboard=None, open_url=None)):
        registry.add(tool)
    for tool in extra:
        registry.add(tool)
    return registry


async def start(
    server: LocalRealtimeServer, registry: ToolRegistry, approver: Any = None  # noqa: ANN401
) -> tuple[RealtimeCall, ToolCalls, list[ToolRun], list[str]]:
    cfg = replace(default_config(LOCAL), tools=tuple(registry.declarations()))
    call = RealtimeCall(LOCAL.with_base_url(server.base_url), cfg)
    tools = ToolCalls(registry, approver or FlagApprover(set()))
    finished: list[ToolRun] = []
    notices: list[str] = []
    tools.finished.connect(finished.append)
    tools.notice.connect(notices.append)
    tools.attach(call)
    await call.connect()
    return call, tools, finished, notices


def sent(server: LocalRealtimeServer, kind: str) -> list[dict[str, Any]]:
    return [e for e in server.calls[-1].received if e.get("type") == kind]


def outputs(server: LocalRealtimeServer) -> list[dict[str, Any]]:
    return [
        e["item"] for e in sent(server, "conversation.item.create")
        if e["item"].get("type") == "function_call_output"
    ]


def assistant_said(call: RealtimeCall) -> list[str]:
    return [
        t.text for t in call.conversation.items
        if t.role == "assistant" and t.text and t.status == "completed"
    ]


async def test_the_time_is_asked_run_and_said_back_with_one_response_create(server) -> None:
    call, tools, finished, _ = await start(server, registry_with())
    seen: list[str] = []
    call.event_received.connect(lambda e: seen.append(e.type))
    call.send_text("What time is it?")
    await until(lambda: any("The tool returned" in t for t in assistant_said(call)))
    (run,) = finished
    assert run.name == "get_current_time" and run.status is RunStatus.OK
    # The local server calls it like a model: the event sequence of PROVIDERS.md.
    first = seen.index("response.created", seen.index("conversation.item.done"))
    assert seen[first:first + 9] == [
        "response.created", "conversation.item.added", "response.output_item.added",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "conversation.item.done", "response.done",
    ]
    (output,) = outputs(server)
    assert output["call_id"] == run.call_id
    assert "iso8601" in json.loads(output["output"])
    # One for the typed text, exactly one after the output.
    assert len(sent(server, "response.create")) == 2
    assert json.loads(output["output"])["time"][:2] in assistant_said(call)[-1]
    # The transcript shows the result on the call's turn, and exports carry it.
    (turn,) = [t for t in call.conversation.items if t.kind == "function_call"]
    assert turn.tool_status == "ok" and "iso8601" in (turn.output or "")
    assert turn.tool_duration_ms is not None and turn.to_dict()["tool_status"] == "ok"
    assert "get_current_time({})` → ok" in call.conversation.to_markdown()
    await call.close()


async def test_two_calls_in_one_response_run_in_parallel_and_one_response_follows(
    server,
) -> None:
    started: list[float] = []

    async def slow(args: dict[str, Any]) -> str:
        started.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.5)
        return f"slept for {args.get('who')}"

    tools_ = [
        Tool(name, "Sleeps.", {"type": "object", "properties": {"who": {"type": "string"}}},
             slow, Policy.ALLOW)
        for name in ("nap_one", "nap_two")
    ]
    call, tools, finished, _ = await start(server, registry_with(*tools_))
    call.send_text('use nap_one {"who": "a"} and nap_two {"who": "b"}')
    await until(lambda: any("The tool returned" in t for t in assistant_said(call)))
    assert sorted(r.name for r in finished) == ["nap_one", "nap_two"]
    assert abs(started[1] - started[0]) < 0.4  # the second did not wait for the first
    assert [o["output"] for o in outputs(server)] == ["slept for a", "slept for b"] or [
        o["output"] for o in outputs(server)] == ["slept for b", "slept for a"]
    assert len(sent(server, "response.create")) == 2
    await call.close()


async def test_invalid_arguments_and_unknown_tools_answer_the_model_with_an_error(
    server,
) -> None:
    echo = Tool("echo_text", "Echo.", {
        "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
        lambda a: asyncio.sleep(0, result=a["text"]), Policy.ALLOW)
    call, tools, finished, notices = await start(server, registry_with(echo))
    call.send_text("use echo_text {not json")
    await until(lambda: len(finished) == 1)
    await until(lambda: any("The tool returned" in t for t in assistant_said(call)))
    call.send_text('use echo_text {"text": 5}')
    await until(lambda: len(finished) == 2)
    bad_json, bad_schema = finished
    assert bad_json.status is RunStatus.INVALID and "not valid JSON" in bad_json.error
    assert bad_schema.status is RunStatus.INVALID and "schema" in bad_schema.error
    assert all("error" in json.loads(o["output"]) for o in outputs(server))
    assert len(notices) == 2
    await until(lambda: sum("The tool returned" in t for t in assistant_said(call)) == 2)
    await call.close()


async def test_a_tool_that_never_returns_times_out_and_the_call_goes_on(server) -> None:
    async def forever(_args: dict[str, Any]) -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(5)  # a badly written tool: slow to stop when cancelled
        return "too late"

    hang = Tool("hang_forever", "Never returns.", {}, forever, Policy.ALLOW, timeout=0.5)
    call, tools, finished, notices = await start(server, registry_with(hang))
    call.send_text("use hang_forever")
    await until(lambda: bool(finished))
    assert finished[0].status is RunStatus.TIMEOUT
    await until(lambda: bool(outputs(server)))
    assert "did not finish within 0.5 s" in json.loads(outputs(server)[0]["output"])["error"]
    assert any("did not finish" in n for n in notices)
    await until(lambda: any("The tool returned" in t for t in assistant_said(call)))
    call.send_text("still there?")
    await until(lambda: any("still there" in t for t in assistant_said(call)))
    await call.close()


async def test_a_denied_tool_tells_the_model_the_user_declined(server) -> None:
    approver = ScriptedApprover(Decision.DENY)
    call, tools, finished, _ = await start(server, registry_with(), approver)
    call.send_text('use open_url {"url": "https://example.com"}')
    await until(lambda: bool(outputs(server)))
    assert approver.asked[0].tool == "open_url"
    assert approver.asked[0].arguments == {"url": "https://example.com"}
    assert finished[0].status is RunStatus.DENIED
    assert json.loads(outputs(server)[0]["output"]) == {"error": "The user declined this action."}
    await until(lambda: any("declined" in t for t in assistant_said(call)))
    await call.close()


async def test_always_allow_is_remembered_for_the_next_call_of_that_tool(server) -> None:
    opened: list[str] = []
    hooks = DesktopHooks(open_url=lambda url: opened.append(url) is None)
    registry = ToolRegistry()
    for tool in builtin_tools(hooks):
        registry.add(tool)
    approver = ScriptedApprover(Decision.ALWAYS)
    call, tools, finished, _ = await start(server, registry, approver)
    call.send_text('use open_url {"url": "https://example.com/a"}')
    await until(lambda: len(finished) == 1)
    await until(lambda: len(sent(server, "response.create")) == 2)
    await until(lambda: call.turns.state.response_in_flight is False)
    call.send_text('use open_url {"url": "https://example.com/b"}')
    await until(lambda: len(finished) == 2)
    assert opened == ["https://example.com/a", "https://example.com/b"]
    assert len(approver.asked) == 1 and "open_url" in tools.memory
    await call.close()


async def test_interrupting_a_running_tool_cancels_it_and_says_so(server) -> None:
    cancelled = asyncio.Event()

    async def long_task(_args: dict[str, Any]) -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "done"

    slow = Tool("long_task", "Takes long.", {}, long_task, Policy.ALLOW)
    call, tools, finished, _ = await start(server, registry_with(slow))
    running: list[tuple[str, ...]] = []
    tools.running_changed.connect(running.append)
    call.send_text("use long_task")
    await until(lambda: tools.running == ("long_task",))
    await until(lambda: not call.turns.state.response_in_flight)
    call.interrupt()
    assert tools.cancel_all() == 1  # what the session does on Stop
    await asyncio.wait_for(cancelled.wait(), 2)
    assert finished[0].status is RunStatus.CANCELLED
    await until(lambda: bool(outputs(server)))
    assert "interrupted" in json.loads(outputs(server)[0]["output"])["error"]
    assert running == [("long_task",), ()]
    await asyncio.sleep(0.3)
    assert len(sent(server, "response.create")) == 1  # the user's turn brings the next one
    await call.close()


async def test_an_oversized_output_is_cut_to_16_kb_with_a_note(server) -> None:
    huge = Tool("huge_output", "10 MB.", {}, lambda _a: asyncio.sleep(0, result="x" * 10_000_000),
                Policy.ALLOW)
    call, tools, finished, notices = await start(server, registry_with(huge))
    call.send_text("use huge_output")
    await until(lambda: bool(outputs(server)))
    output = outputs(server)[0]["output"]
    assert len(output.encode()) <= 16 * 1024 and "truncated" in output
    assert any("first 16 KB" in n for n in notices)
    await until(lambda: any("The tool returned" in t for t in assistant_said(call)))
    await call.close()


async def test_an_output_finished_during_a_reconnect_is_delivered_on_the_next_call(
    server,
) -> None:
    release = asyncio.Event()

    async def wait_release(_args: dict[str, Any]) -> str:
        await release.wait()
        return "finished while away"

    waiter = Tool("wait_release", "Waits.", {}, wait_release, Policy.ALLOW)
    registry = registry_with(waiter)
    call, tools, finished, _ = await start(server, registry)
    call.send_text("use wait_release")
    await until(lambda: tools.running == ("wait_release",))
    await until(lambda: not call.turns.state.response_in_flight)
    tools.detach()
    await call.close()  # the network dropped; the tool still runs
    release.set()
    await until(lambda: bool(finished))
    cfg = replace(default_config(LOCAL), tools=tuple(registry.declarations()))
    second = RealtimeCall(LOCAL.with_base_url(server.base_url), cfg)
    tools.attach(second)  # before connecting, as a reconnect does: delivered once connected
    await second.connect()
    await until(lambda: bool(outputs(server)))
    assert outputs(server)[0]["output"] == "finished while away"
    await until(lambda: len(sent(server, "response.create")) == 1)
    await until(lambda: any("finished while away" in t for t in assistant_said(second)))
    await second.close()
