"""What a tool call turn shows: one compact line, and the whole call when opened.

Renderers (the window's transcript) take these texts as they are and show them as plain
text: arguments and outputs come from the model and from tools, outside text. Opened, a
call shows its arguments pretty-printed and its full result or error; a part longer than
``FULL_CHARS`` characters or ``FULL_LINES`` lines is cut with a note saying how much was
left out, so a 1 MB output (a remote MCP tool's are not capped) never lands in a widget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.core.conversation.model import Turn
from desktop.core.text import plain

SUMMARY_CHARS = 160  # the compact line, before a renderer fits it to its width
SUMMARY_ARGUMENTS = 40  # of which the arguments: how the call ended must still fit
FULL_CHARS = 20_000  # one part (arguments, result) of an opened call
FULL_LINES = 400


@dataclass(frozen=True)
class ToolCallPart:
    label: str  # "Arguments", "Result", "Error", "Sent to the model", "Output"
    text: str  # plain text, possibly several lines


@dataclass(frozen=True)
class ToolCallText:
    summary: str  # one line: name(arguments) → status, duration: result
    title: str  # the opened call's first line: name · status · duration · source
    parts: tuple[ToolCallPart, ...]


def compact(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` on one line (runs of whitespace as one space), cut with an ellipsis."""
    text = " ".join(plain(text[: 4 * limit], limit=None).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_json(text: str) -> str:
    """JSON text indented for reading; anything else (broken arguments) as it came."""
    if len(text) > 2 * FULL_CHARS:
        return text  # it is cut anyway; parsing megabytes to indent them is not worth it
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json allows
        return text
    if not isinstance(value, dict | list):
        return text  # a bare string or number reads better as it was sent
    return json.dumps(value, indent=2, ensure_ascii=False)


def cut(text: str, chars: int = FULL_CHARS, lines: int = FULL_LINES) -> str:
    """``text`` made safe to show in full, up to ``chars`` characters and ``lines`` lines;
    what is left out is counted in a note."""
    shown = text[:chars]
    if shown.count("\n") >= lines:
        shown = "\n".join(shown.split("\n", lines)[:lines])
    left = len(text) - len(shown)
    shown = plain(shown, limit=None)
    return f"{shown}\n[… {left:,} more characters not shown]" if left > 0 else shown


def _took(turn: Turn) -> str:
    return f"{turn.tool_duration_ms:.0f} ms" if turn.tool_duration_ms is not None else ""


def summary(turn: Turn) -> str:
    """The compact line of a ``function_call`` or ``function_call_output`` turn."""
    if turn.kind == "function_call_output":
        return "→ " + compact(turn.output or "")
    arguments = compact(turn.arguments or "", SUMMARY_ARGUMENTS)
    call = f"{compact(turn.name or 'tool', 64)}({arguments})"
    if turn.tool_status is None:
        return call
    took = _took(turn)
    took = f", {took}" if took else ""
    return f"{call} → {turn.tool_status}{took}: {compact(turn.tool_error or turn.output or '')}"


def tool_call_text(turn: Turn) -> ToolCallText:
    """Both views of a tool call turn: the compact line and the whole call."""
    if turn.kind == "function_call_output":
        return ToolCallText(
            summary(turn), "Tool output",
            (ToolCallPart("Output", cut(pretty_json(turn.output or ""))),),
        )
    name = compact(turn.name or "tool", 80)
    title = " · ".join(
        p for p in (name, turn.tool_status or "", _took(turn), compact(turn.tool_source or "", 80))
        if p
    )
    parts = [ToolCallPart("Arguments", cut(pretty_json(turn.arguments or "")) or "(none)")]
    if turn.tool_error:
        parts.append(ToolCallPart("Error", cut(turn.tool_error)))
        if turn.output and turn.output != turn.tool_error:
            parts.append(ToolCallPart("Sent to the model", cut(pretty_json(turn.output))))
    elif turn.output is not None:
        parts.append(ToolCallPart("Result", cut(pretty_json(turn.output))))
    else:
        parts.append(ToolCallPart("Result", "(none yet)"))
    return ToolCallText(summary(turn), title, tuple(parts))
