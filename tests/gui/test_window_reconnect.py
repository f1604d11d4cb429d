"""The network drops under a connected call: the window reconnects on its own, keeps the
transcript, and the model gets the conversation so far.

The local server's side of the call goes silent (its ICE transport stops sending, as when
a cable is pulled): no audio and no events, so the engine's liveness check fails it."""

from __future__ import annotations

from desktop.core.call.state import CallState
from tests.fakes.network import cut_network
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import click, connect, reply_in, type_message


def test_a_dropped_network_reconnects_and_carries_the_conversation(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    controller = window.controller
    states: list[CallState] = []
    controller.status_changed.connect(lambda status: states.append(status.state))
    connect(gui, window)
    type_message(gui, window, "my name is Ada")
    gui.until(lambda: reply_in(window, "my name is Ada"), "the first reply")
    server = controller.local_server
    assert server is not None
    lost_call = controller.call

    cut_network(server)
    gui.until(lambda: CallState.FAILED in states, "the loss to be noticed", seconds=15)
    gui.until(
        lambda: controller.state is CallState.CONNECTED and controller.call is not lost_call,
        "the reconnection",
        seconds=15,
    )
    assert lost_call is not None and "stopped responding" in (lost_call.status.reason or "")
    assert any("carried over" in t for t in window.notices.texts())
    items = server.calls[-1].assistant.conversation.items
    gui.until(lambda: len(items) >= 2, "the conversation to be carried over")
    assert [item["content"][0]["text"] for item in items][:2] == [
        "my name is Ada", 'You said: "my name is Ada"'
    ]
    type_message(gui, window, "still there")
    gui.until(lambda: reply_in(window, "still there"), "a reply on the new call")
    assert window.transcript.toPlainText().count('You said: "my name is Ada"') == 1


def test_hanging_up_on_purpose_is_not_reconnected(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    connect(gui, window)
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.CLOSED, "the hang-up")
    gui.pause(0.5)
    assert window.controller.state is CallState.CLOSED
    assert window.controller.local_server is not None
    assert len(window.controller.local_server.calls) == 1
