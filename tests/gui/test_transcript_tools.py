"""Tool calls in the transcript: one line until clicked, then the whole call as plain text.

The window test runs a real call: the built-in local server over WebRTC on loopback calls
an MCP tool of a real stdio server written with the SDK (tests/mcp_servers/toolbox.py),
whose output carries markup. The others feed the real Conversation model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

from desktop.core.conversation.model import Conversation, Turn
from desktop.core.events.server import parse_server_event
from desktop.core.settings.schema import AppSettings
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets.transcript_view import TranscriptView
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, type_message

TOOLBOX = str(Path(__file__).resolve().parents[1] / "mcp_servers" / "toolbox.py")
MARKUP = '<b>bold</b> & <a href="https://evil.example">link</a>'
LINE = "\u2028"


def row_cursor(view: TranscriptView, start: str) -> QTextCursor:
    """The found start of a row's text, made visible as a user would scroll to it."""
    view.flush()
    cursor = view.document().find(start)
    assert not cursor.isNull(), f"no row starting {start!r} in the transcript"
    cursor.clearSelection()  # the caret just after the found text, in that row
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    return cursor


def click_row(gui: Gui, view: TranscriptView, start: str) -> None:
    point = view.cursorRect(row_cursor(view, start)).center()
    gui.do(lambda: QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point))


def lines_of(view: TranscriptView, start: str) -> int:
    block = row_cursor(view, start).block()
    view.document().documentLayout().blockBoundingRect(block)  # laid out now
    return block.layout().lineCount()


def tool_turn(window: MainWindow) -> Turn | None:
    items = window.controller.session.conversation.items
    return next((t for t in items if t.kind == "function_call" and t.tool_status), None)


def test_a_tool_call_opens_on_click_showing_its_whole_output_as_plain_text(
    gui: Gui, make_window: WindowFactory
) -> None:
    settings = AppSettings()
    settings.tools.mcp_servers = {"box": {"command": sys.executable, "args": [TOOLBOX]}}
    settings.tools.always_allowed = ["box__shout"]  # no prompt: this is about the transcript
    window = make_window(settings)
    tools = window.controller.session.tools
    assert tools is not None
    gui.until(lambda: "box__shout" in {d["name"] for d in tools.registry.declarations()},
              "the MCP server's tools", seconds=30)
    connect(gui, window)
    said = f"{MARKUP} {'and some more words ' * 20}the last words"
    type_message(gui, window, "box__shout " + json.dumps({"text": said}))
    gui.until(lambda: tool_turn(window), "the tool call and its result")
    turn = tool_turn(window)
    assert turn is not None and turn.tool_status == "ok", turn
    view = window.transcript
    output = said.upper()
    assert turn.output == output

    # Closed: one line, cut to the width; the end of the output is not shown.
    assert lines_of(view, "▸ box__shout(") == 1
    assert "THE LAST WORDS" not in view.toPlainText()
    assert not view.is_open(turn)

    click_row(gui, view, "▸ box__shout(")
    assert view.is_open(turn)
    shown = view.toPlainText()
    assert "▸ box__shout(" not in shown
    assert "▾ box__shout · ok ·" in shown and "ms · box" in shown
    arguments = json.dumps({"text": said}, indent=2)
    assert f"Arguments:\n{arguments}\nResult:\n{output}\n" in shown + "\n"
    # The markup is shown as its characters, not obeyed: no link, no bold.
    assert '<B>BOLD</B> & <A HREF="HTTPS://EVIL.EXAMPLE">LINK</A>' in shown
    assert '"<b>bold</b> & <a href=\\"https://evil.example\\">link</a>' in shown
    assert not view.anchorAt(view.cursorRect(row_cursor(view, "<B>BOLD")).center())

    click_row(gui, view, "▾ box__shout")
    assert not view.is_open(turn)
    assert lines_of(view, "▸ box__shout(") == 1
    assert "THE LAST WORDS" not in view.toPlainText()

    # The keyboard: Enter on the row (Space is push-to-talk while in a call).
    gui.do(view.setFocus)
    row_cursor(view, "▸ box__shout(")
    gui.do(lambda: QTest.keyClick(view, Qt.Key.Key_Return))
    assert view.is_open(turn) and "THE LAST WORDS" in view.toPlainText()
    gui.do(lambda: QTest.keyClick(view, Qt.Key.Key_Return))
    assert not view.is_open(turn)


def _feed(conversation: Conversation, *events: dict[str, object]) -> None:
    for raw in events:
        conversation.apply(parse_server_event(raw))


def test_a_failed_call_shows_its_error_and_a_huge_output_is_cut_with_a_note(
    gui: Gui, qtbot: object
) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(420, 360)
    view.show()
    conversation = Conversation()
    conversation.changed.connect(view.apply_change)
    _feed(conversation, {"type": "conversation.item.added", "previous_item_id": None, "item": {
        "id": "F1", "type": "function_call", "status": "completed", "name": "read_text_file",
        "call_id": "c1", "arguments": '{"path": "notes.txt", "lines": [1, 2]}'}})
    huge = "line of the file\n" * 3000
    conversation.attach_tool_result("c1", output=huge, status="error",
                                    error="read_text_file failed: <i>disk</i> trouble",
                                    duration_ms=7.2, source="built-in")
    view.flush()
    assert lines_of(view, "▸ read_text_file(") == 1

    # Space opens it when the caret is on the row (no call here: Space is not talking).
    view.setFocus()
    row_cursor(view, "▸ read_text_file(")
    QTest.keyClick(view, Qt.Key.Key_Space)
    shown = view.toPlainText()
    assert "▾ read_text_file · error · 7 ms · built-in" in shown
    assert 'Arguments:\n{\n  "path": "notes.txt",\n  "lines": [\n    1,\n    2\n  ]\n}' in shown
    assert "Error:\nread_text_file failed: <i>disk</i> trouble" in shown
    assert "Sent to the model:\nline of the file\n" in shown
    assert shown.count("line of the file") == 400  # then a note says what was left out
    assert f"[… {len(huge) - (400 * 17 - 1):,} more characters not shown]" in shown
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0  # the long output scrolls with the transcript

    QTest.keyClick(view, Qt.Key.Key_Space)
    assert "Error:" not in view.toPlainText()
    view.resize(260, 360)  # narrower: still one line
    view.flush()
    gui.until(lambda: lines_of(view, "▸ read_text_file(") == 1, "the row to fit the width")
