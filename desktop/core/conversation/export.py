"""Transcript exports: Markdown to read, JSON to keep and load back (rollover, history)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from desktop.core.conversation.model import Conversation, Turn
from desktop.core.events.decoding import FieldError, decode
from desktop.core.events.payloads import Usage
from desktop.core.secrets.redact import redact_data, scrub
from desktop.core.text import encodable

FORMAT_VERSION = 1
_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
_MARKS = {"interrupted": "(interrupted)", "cancelled": "(cancelled)", "failed": "(failed)"}
_CODE_CHARS = 200  # tool arguments and results are shown compactly, not in full


def to_markdown(conversation: Conversation, *, tz: tzinfo | None = None) -> str:
    """A readable transcript, one paragraph per turn; times in ``tz`` (default: local)."""
    blocks = [_turn_markdown(turn, tz) for turn in conversation.items]
    usage = conversation.usage_total
    if usage.total_tokens:
        blocks.append(
            f"---\n\n_Tokens: {usage.total_tokens:,} total "
            f"(input {usage.input_tokens:,}, output {usage.output_tokens:,})_"
        )
    # Exports leave the app: no key in them, and always writable as UTF-8.
    return encodable(scrub("\n\n".join(blocks) + "\n")) if blocks else ""


def _turn_markdown(turn: Turn, tz: tzinfo | None) -> str:
    stamp = _clock_time(turn.created_at, tz)
    mark = f" *{_MARKS[turn.status]}*" if turn.status in _MARKS else ""
    if turn.kind == "function_call":
        call = f"{turn.name or 'tool'}({turn.arguments or ''})"
        result = ""
        if turn.tool_status is not None:
            took = f", {turn.tool_duration_ms:.0f} ms" if turn.tool_duration_ms is not None else ""
            what = turn.tool_error or turn.output or ""
            result = f" → {turn.tool_status}{took}: {_code(what)}"
        return f"**Tool call** ({stamp}): {_code(call)}{result}{mark}"
    if turn.kind == "function_call_output":
        return f"**Tool result** ({stamp}): {_code(turn.output or '')}{mark}"
    text = turn.text.strip()
    if not text:
        text = "…" if turn.status == "in_progress" else "*(no transcript)*"
    if turn.role == "user" and turn.status == "failed":
        mark = " *(transcription failed)*" if turn.source == "voice" else mark
    return f"**{_LABELS.get(turn.role, turn.role)}** ({stamp}): {text}{mark}"


def _clock_time(timestamp: float, tz: tzinfo | None) -> str:
    try:
        return datetime.fromtimestamp(timestamp, tz).strftime("%H:%M:%S")
    except (OverflowError, OSError, ValueError):  # a corrupt timestamp from a loaded file
        return "--:--:--"


def _code(text: str) -> str:
    """An inline code span that survives backticks in ``text``; long text is cut."""
    text = " ".join(text.split())
    if len(text) > _CODE_CHARS:
        text = text[: _CODE_CHARS - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_dict(conversation: Conversation) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "turns": [turn.to_dict() for turn in conversation.items],
        "usage": conversation.usage_total.to_dict(),
        "usage_by_response": {
            response_id: usage.to_dict()
            for response_id, usage in conversation.usage_by_response.items()
        },
    }


def to_json(conversation: Conversation) -> str:
    # Exports leave the app (history, rollover files): no key, always writable as UTF-8.
    return encodable(json.dumps(redact_data(to_dict(conversation)), ensure_ascii=False, indent=2))


def from_json(text: str | bytes, *, clock: Callable[[], float] = time.time) -> Conversation:
    """Load what ``to_json`` wrote. Raises ValueError with a sentence for the user."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"This is not a Talkline conversation file ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise ValueError("This is not a Talkline conversation file (no list of turns).")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"This conversation file has version {version!r}; expected 1.")
    try:
        turns = [decode(Turn, raw, f"turns[{i}]") for i, raw in enumerate(data["turns"])]
        usage_by_response = _usage_by_response(data)
    except FieldError as exc:
        raise ValueError(f"This conversation file is damaged: {exc.reason}.") from None
    conversation = Conversation(clock=clock)
    conversation.load(turns, usage_by_response)
    return conversation


def _usage_by_response(data: dict[str, Any]) -> dict[str, Usage]:
    per_response = data.get("usage_by_response")
    if isinstance(per_response, dict):
        return {
            str(response_id): decode(Usage, usage, f"usage_by_response.{response_id}")
            for response_id, usage in per_response.items()
        }
    if data.get("usage") is not None:  # only a total: keep it as one entry
        return {"imported": decode(Usage, data["usage"], "usage")}
    return {}
