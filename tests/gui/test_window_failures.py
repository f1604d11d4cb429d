"""Failures the window must survive: a readable state, the transcript kept, no traceback.

The hosted provider is the OpenAI test server from tests/fakes (its exact wire format on
loopback), made to answer 401 / 429, to drop the data channel mid-call, or to send an
event that does not parse.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QPlainTextEdit, QTextEdit, QWidget

from desktop.core.call.retry import RetryPolicy
from desktop.core.call.state import CallState
from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from desktop.ui.main_window import MainWindow
from tests.fakes.openai import OpenAIFake
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import click, connect, reply_in, type_message

KEY = "sk-test-abcdefghijklmnop"


@pytest.fixture
def fake(gui: Gui) -> Iterator[OpenAIFake]:
    """Tests list it before ``make_window``, so the window hangs up before it stops."""
    server = OpenAIFake(api_key=KEY)
    gui.run(server.start())
    yield server
    gui.run(server.stop())


def openai_settings(base_url: str) -> AppSettings:
    settings = AppSettings()
    settings.provider = "openai"
    settings.providers["openai"].base_url = base_url
    return settings


def everything_shown(window: MainWindow) -> str:
    """Every text a person can see or hover in the window."""
    parts: list[str] = []
    for widget in window.findChildren(QWidget):
        parts.append(widget.toolTip())
        if isinstance(widget, QLabel | QAbstractButton):
            parts.append(widget.text())
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            parts.append(widget.toPlainText())
    return "\n".join(parts)


def fail_after_local_chat(
    gui: Gui, window: MainWindow, base_url: str
) -> None:
    """Talk on Local first, then switch to OpenAI and connect (which fails)."""
    connect(gui, window)
    type_message(gui, window, "keep this")
    gui.until(lambda: reply_in(window, "keep this"), "the local reply")
    click(gui, window.connect_button)
    gui.until(lambda: not window.controller.state.is_active, "the local call to end")
    window.settings.providers["openai"].base_url = base_url
    gui.do(lambda: window.provider.setCurrentIndex(window.provider.findData("openai")))
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.FAILED, "the call to fail")


def test_wrong_key_reads_as_such_and_keeps_the_transcript(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", "sk-wrong-0000000000000000")
    window = make_window()
    fail_after_local_chat(gui, window, fake.base_url)
    assert "rejected the API key" in window.state.text()
    assert "Settings" in window.state.text()  # what to do about it
    assert "Incorrect API key" in window.state.toolTip()  # the server's own words
    assert window.connect_button.text() == "Connect" and window.connect_button.isEnabled()
    assert reply_in(window, "keep this")
    shown = everything_shown(window)
    assert "Traceback" not in shown and "sk-wrong" not in shown
    assert any(a.startswith("Call failed.") for a in window.announcer.recent)
    gui.until(lambda: connect_finished(window), "connecting to give up")
    assert window.controller.state is CallState.FAILED
    assert len(fake.requests_to("client_secrets")) == 1  # a rejected key is never retried


def connect_finished(window: MainWindow) -> bool:
    task = window.controller.session._connect_task
    return task is not None and task.done()


def test_rate_limit_waits_as_asked_then_connects(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    fake.fail("client_secrets", 429, retry_after=1, times=1)
    window = make_window(openai_settings(fake.base_url))
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.WAITING, "the wait to show")
    shown = window.state.text()
    assert "rate-limiting" in shown and "Trying again in 1 s (attempt 2 of 4)" in shown
    assert "Rate limit reached" in window.state.toolTip()  # the server's own words
    assert window.connect_button.text() == "Disconnect"  # the wait can be cancelled
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the second attempt")
    assert len(fake.requests_to("client_secrets")) == 2


def test_a_server_error_is_retried_and_disconnect_stops_the_retries(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    fake.fail("calls", 503)
    window = make_window(openai_settings(fake.base_url))
    window.controller.session.retry_policy = RetryPolicy(first_delay=30.0)  # a long pause
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.WAITING, "the wait to show")
    assert "server error (HTTP 503)" in window.state.text()
    click(gui, window.connect_button)  # Disconnect, during the pause
    gui.until(lambda: window.controller.state is CallState.CLOSED, "the retry to be dropped")
    assert connect_finished(window)
    assert len(fake.requests_to("calls")) == 1


def test_a_closed_port_is_a_readable_failure(
    gui: Gui, make_window: WindowFactory, keystore: KeyStore
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    keystore.set("openai", KEY)
    window = make_window()
    fail_after_local_chat(gui, window, f"http://127.0.0.1:{port}")
    reason = window.state.text()
    assert "Cannot reach 127.0.0.1" in reason and "refused" in reason
    assert reply_in(window, "keep this")
    assert "Traceback" not in everything_shown(window)


def test_network_drop_mid_call_keeps_the_transcript(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    window = make_window(openai_settings(fake.base_url))
    connect(gui, window)
    type_message(gui, window, "before the drop")
    gui.until(lambda: "before the drop" in window.transcript.toPlainText(), "my message")
    gui.run(fake.last_call.drop_channel())
    gui.until(lambda: window.controller.state is CallState.FAILED, "the drop to show")
    assert "OpenAI" in window.state.text()
    assert window.connect_button.text() == "Connect"
    assert "before the drop" in window.transcript.toPlainText()
    assert window.controller.audio is None  # the microphone is released


def test_a_malformed_event_is_skipped_with_a_notice(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    window = make_window(openai_settings(fake.base_url))
    connect(gui, window)
    fake.last_call.send({"type": "response.done", "response": "not an object"})
    gui.until(lambda: any("could not read" in n for n in window.notices.texts()), "a notice")
    assert any(e.type.startswith("malformed") for e in window.event_log.entries())
    assert window.controller.state is CallState.CONNECTED  # one bad event is not the end
    type_message(gui, window, "still here")
    gui.until(lambda: "still here" in window.transcript.toPlainText(), "the call to go on")


def test_the_event_log_never_shows_a_key(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    window = make_window(openai_settings(fake.base_url))
    connect(gui, window)
    fake.last_call.send(
        {
            "type": "session.updated",
            "session": {
                "client_secret": {"value": "ek_live_secret_value_123", "expires_at": 1},
                "api_key": KEY,
                "note": f"Bearer {KEY}",
            },
        }
    )
    gui.until(
        lambda: sum(e.type == "session.updated" for e in window.event_log.entries()) >= 2,
        "the injected event in the log",
    )
    window.event_log.flush()
    for row in range(window.event_log.proxy.rowCount()):
        gui.do(lambda row=row: window.event_log.select_row(row))
        details = window.event_log.details.toPlainText()
        assert KEY not in details and "ek_live_secret_value_123" not in details
    assert "[redacted]" in window.event_log.details.toPlainText() or any(
        "[redacted]" in e.pretty() for e in window.event_log.entries()
    )
    assert KEY not in everything_shown(window)


def test_no_key_at_all_says_where_to_add_one(
    gui: Gui, fake: OpenAIFake, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    window = make_window()  # first run: Local, no key anywhere
    gui.do(lambda: window.provider.setCurrentIndex(window.provider.findData("openai")))
    gui.until(lambda: any("no key for OpenAI" in n for n in window.notices.texts()), "a notice")
    window.settings.providers["openai"].base_url = fake.base_url
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.FAILED, "the call to fail")
    assert "No API key for OpenAI" in window.state.text()
    assert fake.requests == []  # nothing was sent without a key
