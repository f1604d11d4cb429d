"""What `talkline call` prints: transcript lines for people, or JSON lines for programs.

Everything printed goes through two doors: ``for_terminal`` (no escape sequences, carriage
returns or bidi overrides from a server or the model reach the terminal) and ``scrub`` (no
key, by pattern or by value). Printing never fails on a string (lone surrogates become
U+FFFD), and a reader that went away (``| head -1``) ends output quietly, once.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState, CallStatus
from desktop.core.secrets.redact import redact_data, scrub
from desktop.core.text import encodable, for_terminal

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.conversation.model import TurnChange
    from desktop.core.events.client import ClientEvent
    from desktop.core.events.server import ServerEvent
    from desktop.core.tools.calls import ToolRun


def json_line(data: dict[str, Any]) -> str:
    """One JSON line for any data: control characters escaped by JSON, lone surrogates
    replaced (they cannot be written as UTF-8), never an exception for a string."""
    return encodable(json.dumps(data, ensure_ascii=False, default=str))


def for_people(text: str) -> str:
    """A line for a person at a terminal: no secrets, no escape codes."""
    return for_terminal(scrub(text))


class Printer:
    """Transcript lines for people, or JSON lines for programs; always one line per fact."""

    def __init__(
        self,
        json_mode: bool,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.t0 = time.monotonic()
        self._printed: set[tuple[str, str, str]] = set()
        self._out = out
        self._err = err
        # Called once when standard output's reader has gone (the call can end then).
        self.on_closed = on_closed
        self.closed = False

    # -- writing --------------------------------------------------------------------------

    def _write(self, line: str, *, to_err: bool = False) -> None:
        stream = (self._err or sys.stderr) if to_err else (self._out or sys.stdout)
        if self.closed and not to_err:
            return
        try:
            stream.write(encodable(line) + "\n")
            stream.flush()
        except BrokenPipeError:
            if to_err:
                return
            self._reader_gone(stream)

    def _reader_gone(self, stream: TextIO) -> None:
        self.closed = True
        # Later writes (and the interpreter's own flush at exit) must not raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (a test's StringIO): nothing to redirect
        if self.on_closed is not None:
            self.on_closed()

    def _emit(self, kind: str, **data: Any) -> None:
        data = {"kind": kind, "t_ms": round((time.monotonic() - self.t0) * 1000, 1), **data}
        self._write(json_line(data))

    # -- what is printed ------------------------------------------------------------------

    def state(self, status: CallStatus) -> None:
        if self.json_mode:
            self._emit("state", state=status.state.value, reason=scrub(status.reason) or None)
        elif status.state is CallState.CONNECTED:
            self._write("connected", to_err=True)

    def received(self, event: ServerEvent) -> None:
        self._event("in", event.type, event.raw)

    def sent(self, event: ClientEvent) -> None:
        self._event("out", event.type, event.to_dict())

    def _event(self, direction: str, event_type: str, body: dict[str, Any]) -> None:
        if self.json_mode:
            self._emit("event", direction=direction, type=event_type, event=redact_data(body))

    def finished_turn(self, change: TurnChange) -> None:
        """Print each turn once, when it is final (deltas are for the window)."""
        turn = change.turn
        if turn.status in ("completed", "interrupted", "cancelled", "failed") and turn.text:
            key = (turn.item_id, turn.status, turn.text)
            if key not in self._printed:
                self._printed.add(key)
                self.turn(turn.role, turn.text, turn.status)

    def turn(self, role: str, text: str, status: str) -> None:
        if self.json_mode:
            self._emit("transcript", role=role, text=scrub(text), status=status)
        else:
            who = "You" if role == "user" else "Assistant"
            mark = " (interrupted)" if status == "interrupted" else ""
            self._write(f"{who}: {for_people(text)}{mark}")

    def notice(self, text: str) -> None:
        if self.json_mode:
            self._emit("notice", text=scrub(text))
        else:
            self._write(f"note: {for_people(text)}", to_err=True)

    def tool_call(self, run: ToolRun) -> None:
        if self.json_mode:
            self._emit("tool_call", name=run.name, call_id=run.call_id,
                       arguments=run.arguments, source=run.source or None)
        else:
            print(f"tool: {run.name}({run.arguments})", file=sys.stderr, flush=True)

    def tool_result(self, run: ToolRun) -> None:
        status = run.status.value if run.status else "running"
        if self.json_mode:
            self._emit("tool_result", name=run.name, call_id=run.call_id,
                       arguments=run.arguments, status=status,
                       output=run.output if run.error is None else None, error=run.error,
                       duration_ms=None if run.duration_ms is None else round(run.duration_ms, 1))
        else:
            took = f" in {run.duration_ms:.0f} ms" if run.duration_ms is not None else ""
            what = run.error or (run.output or "")[:200]
            print(f"tool: {run.name} {status}{took}: {what}", file=sys.stderr, flush=True)

    def timings(self, call: RealtimeCall) -> None:
        if self.json_mode:
            self._emit(
                "timings",
                stages_ms=call.timings.durations_ms(),
                setup_ms=call.timings.total_setup_ms(),
            )

    def failure(self, exc: CallError) -> None:
        stage = exc.stage.value if exc.stage else "setup"
        message, details = scrub(exc.message), scrub(exc.details)
        if self.json_mode:
            self._emit("failed", stage=stage, reason=message, details=details)
        line = f"talkline: failed while {stage}: {message}"
        if details and details not in message:
            line += f" (server said: {details})"
        self._write(for_terminal(line), to_err=True)
