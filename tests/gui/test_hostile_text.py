"""Text from a server or the model is shown as written, never obeyed as markup: a hostile
error message cannot draw its own green headline or link in the state label, its tooltip,
a notice, the transcript or the event log."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from desktop.core.call.errors import http_error
from desktop.core.call.state import CallState, CallStatus
from desktop.core.conversation.model import Conversation
from desktop.core.events.server import parse_server_event
from desktop.ui.widgets.event_log_model import EventLogModel, make_entry
from desktop.ui.widgets.notice_bar import NoticeBar
from desktop.ui.widgets.state_indicator import StateIndicator
from desktop.ui.widgets.transcript_view import TranscriptView

MARKUP = (
    '<b style="color:green">Your API key was revoked</b> '
    '<a href="https://evil.example">Fix it</a> <img src="https://evil.example/x.png">'
)


def seen_through_rich_text(markup: str) -> str:
    """What a person sees where Qt renders rich text (tooltips, rich labels)."""
    doc = QTextDocument()
    doc.setHtml(markup)
    return doc.toPlainText()


def test_a_failure_reason_and_its_tooltip_show_the_tags(qapp: QApplication) -> None:
    err = http_error(
        400, json.dumps({"error": {"message": MARKUP}}), provider="P", stage=CallState.SIGNALING
    )
    indicator = StateIndicator()
    indicator.set_status(
        CallStatus(CallState.FAILED, reason=err.message, stage=err.stage, details=err.details)
    )
    reason = indicator._reason
    assert reason.textFormat() == Qt.TextFormat.PlainText
    assert '<b style="color:green">' in reason.text() and '<a href="https' in reason.text()
    tip = seen_through_rich_text(indicator.toolTip())
    assert '<b style="color:green">Your API key was revoked</b>' in tip
    assert '<img src="https://evil.example/x.png">' in tip


def test_a_notice_shows_the_tags_and_no_control_characters(qapp: QApplication) -> None:
    bar = NoticeBar()
    bar.show_notice(f"P: {MARKUP}\x1b[31m\u202e")
    label = bar._notices[-1].label
    shown = seen_through_rich_text(label.text())
    assert '<a href="https://evil.example">Fix it</a>' in shown
    assert "\x1b" not in shown and "\u202e" not in shown


def test_the_transcript_and_event_log_show_markup_as_text(qapp: QApplication) -> None:
    view = TranscriptView()
    conversation = Conversation()
    conversation.changed.connect(view.apply_change)
    item = {"id": "i1", "type": "message", "role": "assistant", "status": "completed"}
    content = [{"type": "output_text", "text": MARKUP}]
    conversation.apply(
        parse_server_event({"type": "conversation.item.done", "item": {**item, "content": content}})
    )
    view.flush()
    assert MARKUP in view.toPlainText()

    model = EventLogModel()
    raw = {"type": "<b>odd</b>", "error": {"message": MARKUP}}
    model.append(make_entry(0.0, "in", raw["type"], raw))
    assert model.data(model.index(0, 2)) == "<b>odd</b>"  # a view cell: plain display text
    details = model.entry(0).pretty()  # the details pane shows it with setPlainText
    assert "Your API key was revoked</b> <a href=" in details


@pytest.mark.parametrize("message", ["x" * 100_000, MARKUP * 2000])
def test_a_huge_server_message_is_a_short_label(qapp: QApplication, message: str) -> None:
    err = http_error(
        400, json.dumps({"error": {"message": message}}), provider="P", stage=CallState.SIGNALING
    )
    indicator = StateIndicator()
    indicator.set_status(CallStatus(CallState.FAILED, reason=err.message, stage=err.stage))
    assert len(indicator._reason.text()) < 700 and len(indicator.toolTip()) < 3000
