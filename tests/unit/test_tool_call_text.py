"""What a tool call turn shows, closed and opened (desktop/core/conversation/tool_call.py)."""

from __future__ import annotations

from desktop.core.conversation.model import Turn
from desktop.core.conversation.tool_call import FULL_CHARS, cut, summary, tool_call_text


def test_the_line_and_the_whole_call_of_a_finished_call() -> None:
    turn = Turn(item_id="i", kind="function_call", name="box__add", arguments='{"a":1,"b":2}',
                output="3", tool_status="ok", tool_duration_ms=4.6, tool_source="box")
    assert summary(turn) == 'box__add({"a":1,"b":2}) → ok, 5 ms: 3'
    whole = tool_call_text(turn)
    assert whole.title == "box__add · ok · 5 ms · box"
    assert [(p.label, p.text) for p in whole.parts] == [
        ("Arguments", '{\n  "a": 1,\n  "b": 2\n}'), ("Result", "3"),
    ]


def test_broken_arguments_are_shown_as_sent_and_an_error_with_what_the_model_got() -> None:
    turn = Turn(item_id="i", kind="function_call", name="open_url", arguments='{"url": ',
                output='{"error": "bad"}', tool_status="invalid",
                tool_error="open_url: the arguments are not JSON.")
    parts = {p.label: p.text for p in tool_call_text(turn).parts}
    assert parts == {
        "Arguments": '{"url": ',
        "Error": "open_url: the arguments are not JSON.",
        "Sent to the model": '{\n  "error": "bad"\n}',
    }


def test_a_call_still_running_says_so_and_an_output_item_shows_its_output() -> None:
    running = Turn(item_id="i", kind="function_call", name="slow", arguments="{}")
    assert summary(running) == "slow({})"
    assert tool_call_text(running).parts[-1].text == "(none yet)"
    output = Turn(item_id="o", kind="function_call_output", role="tool", output='[1, 2]')
    assert summary(output) == "→ [1, 2]"
    assert tool_call_text(output).parts[0].text == "[\n  1,\n  2\n]"


def test_outside_text_loses_its_control_characters_and_is_cut_with_a_note() -> None:
    assert cut("red\x1b[31m text\u202e here\r\n") == "red text here\n"
    long = "x" * (FULL_CHARS + 5)
    assert cut(long) == "x" * FULL_CHARS + "\n[… 5 more characters not shown]"
    # The arguments stay short on the line, so how the call ended still shows.
    called = Turn(item_id="i", kind="function_call", name="t", arguments=long, output=long,
                  tool_status="ok")
    assert summary(called) == f"t({'x' * 39}…) → ok: {'x' * 159}…"
