"""The approval prompt in the window (pytest-qt, offscreen), driving the real call flow."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.core.events.server import parse_server_event
from desktop.core.tools.approval import ApprovalRequest, Decision
from desktop.core.tools.calls import RunStatus, ToolCalls, ToolRun
from desktop.core.tools.registry import Policy, Tool, ToolRegistry
from desktop.ui.tools.approval_dialog import ApprovalDialog, QtApprover


def _arguments_done(call_id: str, name: str, args: dict[str, Any]):  # noqa: ANN202
    return parse_server_event({
        "type": "response.function_call_arguments.done", "event_id": "e", "response_id": "r",
        "item_id": "i", "output_index": 0, "call_id": call_id, "name": name,
        "arguments": json.dumps(args),
    })


def _flow(approver: QtApprover) -> tuple[ToolCalls, list[ToolRun], list[str]]:
    ran: list[str] = []

    async def note(args: dict[str, Any]) -> str:
        ran.append(args["text"])
        return "noted"

    registry = ToolRegistry()
    registry.add(Tool("take_note", "Writes a note.", {
        "type": "object", "properties": {"text": {"type": "string"}}}, note, Policy.ASK,
        source="notes"))
    calls = ToolCalls(registry, approver)
    finished: list[ToolRun] = []
    calls.finished.connect(finished.append)
    return calls, finished, ran


def test_allow_once_runs_the_tool_and_shows_arguments_as_plain_text(gui, qtbot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    approver = QtApprover(window)
    calls, finished, ran = _flow(approver)
    calls.on_event(_arguments_done("c1", "take_note", {"text": "<b>bold</b>"}))
    gui.until(lambda: approver.open, "the prompt")
    dialog = approver.open[0]
    assert "take_note" in dialog.heading.text() and "MCP server notes" in dialog.heading.text()
    assert dialog.heading.textFormat() == Qt.TextFormat.PlainText
    assert '"text": "<b>bold</b>"' in dialog.arguments.toPlainText()
    assert dialog.deny.isDefault()
    qtbot.mouseClick(dialog.allow_once, Qt.MouseButton.LeftButton)
    gui.until(lambda: finished, "the tool to finish")
    assert ran == ["<b>bold</b>"] and finished[0].status is RunStatus.OK
    assert "take_note" not in calls.memory  # once is not always


def test_always_allow_is_remembered_and_no_answer_in_time_denies(gui, qtbot) -> None:
    approver = QtApprover(None, seconds=1)
    calls, finished, ran = _flow(approver)
    calls.on_event(_arguments_done("c1", "take_note", {"text": "a"}))
    gui.until(lambda: approver.open, "the prompt")
    qtbot.mouseClick(approver.open[0].always, Qt.MouseButton.LeftButton)
    gui.until(lambda: finished, "the first call")
    assert calls.memory.names == ("take_note",)
    calls.on_event(_arguments_done("c2", "take_note", {"text": "b"}))
    gui.until(lambda: len(finished) == 2, "the second call, without a prompt")
    assert ran == ["a", "b"]
    calls.memory.remove("take_note")  # "undo" in Settings
    calls.on_event(_arguments_done("c3", "take_note", {"text": "c"}))
    gui.until(lambda: approver.open, "the prompt again")
    assert "Denied automatically in 1 s" in approver.open[0].countdown.text()
    gui.until(lambda: len(finished) == 3, "the countdown to deny")
    assert finished[2].status is RunStatus.DENIED and ran == ["a", "b"]
    assert not approver.open


def test_stop_while_the_prompt_is_open_closes_it(gui, qtbot) -> None:
    notified: list[tuple[str, str]] = []
    hidden = QWidget()
    qtbot.addWidget(hidden)
    approver = QtApprover(hidden, notify=lambda t, m: notified.append((t, m)))
    calls, finished, _ = _flow(approver)
    calls.on_event(_arguments_done("c1", "take_note", {"text": "a"}))
    gui.until(lambda: approver.open, "the prompt")
    assert notified and "take_note" in notified[0][1]  # the window is hidden: the tray says so
    assert calls.cancel_all() == 1
    gui.until(lambda: not approver.open, "the prompt to close")
    assert finished[0].status is RunStatus.CANCELLED


def test_escape_and_closing_deny(gui, qtbot) -> None:
    request = ApprovalRequest("open_url", "built-in", {"url": "https://x.org"})
    dialog = ApprovalDialog(request, 60)
    qtbot.addWidget(dialog)
    decisions: list[Decision] = []
    dialog.decided.connect(decisions.append)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert decisions == [Decision.DENY]
    assert "Talkline" in dialog.heading.text()
    gui.run(asyncio.sleep(0))


def test_the_transcript_shows_a_tool_result_on_its_call() -> None:
    from desktop.core.conversation.model import Turn
    from desktop.ui.widgets.transcript_view import body_text

    turn = Turn(item_id="i1", kind="function_call", name="get_current_time", arguments="{}",
                output='{"time": "16:40"}', tool_status="ok", tool_duration_ms=2.4)
    assert body_text(turn) == '▸ get_current_time({}) → ok, 2 ms: {"time": "16:40"}'
    turn.tool_status, turn.tool_error = "denied", "The user declined this action."
    assert body_text(turn).endswith("denied, 2 ms: The user declined this action.")


def test_the_clipboard_tools_use_the_system_clipboard_through_qt(gui) -> None:
    from desktop.core.tools.builtin import DesktopHooks, builtin_tools
    from desktop.ui.tools.clipboard import QtClipboard

    tools = {t.name: t for t in builtin_tools(DesktopHooks(clipboard=QtClipboard()))}
    gui.run(tools["copy_to_clipboard"].runner({"text": "from the assistant"}))
    assert gui.run(tools["read_clipboard"].runner({})) == {"text": "from the assistant"}
