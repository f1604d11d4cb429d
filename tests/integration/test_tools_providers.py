"""Function calls against the OpenAI and Inworld test servers (their exact wire formats)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.tools.approval import FlagApprover
from desktop.core.tools.builtin import DesktopHooks, builtin_tools
from desktop.core.tools.calls import RunStatus, ToolCalls, ToolRun
from desktop.core.tools.registry import ToolRegistry
from tests.fakes import InworldFake, OpenAIFake
from tests.fakes.harness import CallFactory, Serve, until

pytest_plugins = ("tests.fakes.fixtures",)


@pytest.mark.parametrize("provider", ["openai", "inworld"])
async def test_a_scripted_call_runs_and_one_response_create_follows(
    provider: str, serve_fake: Serve[OpenAIFake | InworldFake], provider_calls: CallFactory
) -> None:
    fake = await serve_fake(OpenAIFake() if provider == "openai" else InworldFake())
    fake.scripted_calls = [[("get_current_time", "{}"), ("read_clipboard", "{}")]]
    registry = ToolRegistry()
    for tool in builtin_tools(DesktopHooks(clipboard=None)):
        registry.add(tool)
    profile = get_profile(provider)
    cfg = replace(default_config(profile), tools=tuple(registry.declarations()))
    w = provider_calls.make(fake, provider, config=cfg)
    reports: list[str] = []
    tools = ToolCalls(registry, FlagApprover(set(), reports.append))
    finished: list[ToolRun] = []
    tools.finished.connect(finished.append)
    tools.attach(w.call)
    await w.call.connect()

    session = fake.last_call.session
    assert session["tool_choice"] == "auto"
    assert {t["name"] for t in session["tools"]} >= {"get_current_time", "end_call"}
    w.call.send_text("What time is it, and what is on my clipboard?")
    await until(lambda: any("The tool returned" in text for _r, text in w.transcript()),
                "the reply to the tool outputs")
    by_name = {r.name: r for r in finished}
    assert by_name["get_current_time"].status is RunStatus.OK
    # read_clipboard needs approval; the non-interactive approver denies and says so.
    assert by_name["read_clipboard"].status is RunStatus.DENIED
    assert reports and "read_clipboard" in reports[0]
    received = fake.last_call.received
    outputs = [e["item"] for e in received if e.get("type") == "conversation.item.create"
               and e["item"]["type"] == "function_call_output"]
    assert {o["call_id"] for o in outputs} == {r.call_id for r in finished}
    assert "iso8601" in json.loads(next(
        o["output"] for o in outputs if o["call_id"] == by_name["get_current_time"].call_id))
    creates = [i for i, e in enumerate(received) if e.get("type") == "response.create"]
    assert len(creates) == 2  # the typed text, then one for both outputs
    last_output = max(i for i, e in enumerate(received)
                      if e.get("type") == "conversation.item.create")
    assert creates[1] > last_output  # only after every output


async def test_openai_remote_mcp_is_declared_and_its_approval_request_answered(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    remote = {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.org",
              "require_approval": "always"}
    profile = get_profile("openai")
    cfg = replace(default_config(profile), tools=(remote,))
    w = provider_calls.make(openai_fake, "openai", config=cfg)
    tools = ToolCalls(ToolRegistry(), FlagApprover({"search_docs"}))
    tools.attach(w.call)
    await w.call.connect()
    openai_fake.last_call.scripted_mcp_approval = ("docs", "search_docs", '{"q": "tools"}')
    assert openai_fake.last_call.session["tools"] == [remote]
    w.call.send_text("search the docs")
    await until(lambda: any("approved" in text for _r, text in w.transcript()),
                "the reply after the approval")
    received = openai_fake.last_call.received
    (answer,) = [e["item"] for e in received if e.get("type") == "conversation.item.create"
                 and e["item"]["type"] == "mcp_approval_response"]
    request = next(e["item"] for e in openai_fake.last_call.sent
                   if e.get("type") == "response.output_item.done")
    assert answer == {"type": "mcp_approval_response",
                      "approval_request_id": request["id"], "approve": True}
    assert [e.get("type") for e in received].count("response.create") == 2
