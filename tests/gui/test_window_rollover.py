"""A session that reaches its provider's time limit continues in a new call: the window
stays connected, the transcript stays one, and the model is told what was said.

Against the local server with the limit shortened to a few seconds."""

from __future__ import annotations

from desktop.core.call.rollover import RolloverPolicy
from desktop.core.call.state import CallState
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, reply_in, type_message


def test_a_long_session_rolls_over_without_losing_the_conversation(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    controller = window.controller
    controller.session.session_limit = lambda _profile: 5.0
    controller.session.rollover_policy = RolloverPolicy(lead_s=3.0, last_moment_s=1.0)
    states: list[CallState] = []
    controller.status_changed.connect(lambda status: states.append(status.state))
    tokens: list[int] = []
    controller.usage_changed.connect(lambda total, _cost: tokens.append(total))

    connect(gui, window)
    first_call = controller.call
    type_message(gui, window, "my name is Ada")
    gui.until(lambda: reply_in(window, "my name is Ada"), "the first reply")
    gui.until(lambda: tokens and tokens[-1] > 0, "the first reply's usage")
    before = tokens[-1]
    gui.until(lambda: controller.call is not first_call, "the rollover", seconds=15)
    gui.until(
        lambda: any("Continued in a new" in t for t in window.notices.texts()), "its notice"
    )

    assert controller.state is CallState.CONNECTED
    assert CallState.CLOSED not in states and CallState.CLOSING not in states
    assert first_call is not None and first_call.state is CallState.CLOSED
    server = controller.local_server
    assert server is not None and len(server.calls) == 2
    carried = server.calls[-1].assistant.conversation.items
    assert [item["content"][0]["text"] for item in carried][:2] == [
        "my name is Ada", 'You said: "my name is Ada"'
    ]
    # One transcript: nothing shown twice, and the new call answers in it.
    type_message(gui, window, "still there")
    gui.until(lambda: reply_in(window, "still there"), "a reply from the new call")
    gui.until(lambda: tokens[-1] > before, "usage counting on across the rollover")
    new_call = controller.call
    assert new_call is not None
    # One conversation through both calls; the status bar counts both replies.
    conversation = new_call.conversation
    assert conversation is first_call.conversation
    assert len(conversation.usage_by_response) == 2
    assert tokens[-1] == conversation.usage_total.total_tokens
    text = window.transcript.toPlainText()
    assert text.count('You said: "my name is Ada"') == 1
    assert text.count("my name is Ada") == 2  # the message and its reply, once each
