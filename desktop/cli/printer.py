"""What `talkline call` prints: transcript lines for people, or JSON lines for programs."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState, CallStatus

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.conversation.model import TurnChange
    from desktop.core.events.client import ClientEvent
    from desktop.core.events.server import ServerEvent
    from desktop.core.tools.calls import ToolRun


class Printer:
    """Transcript lines for people, or JSON lines for programs; always one line per fact."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.t0 = time.monotonic()
        self._printed: set[tuple[str, str, str]] = set()

    def _emit(self, kind: str, **data: Any) -> None:
        data = {"kind": kind, "t_ms": round((time.monotonic() - self.t0) * 1000, 1), **data}
        print(json.dumps(data, ensure_ascii=False), flush=True)

    def state(self, status: CallStatus) -> None:
        if self.json_mode:
            self._emit("state", state=status.state.value, reason=status.reason or None)
        elif status.state is CallState.CONNECTED:
            print("connected", file=sys.stderr, flush=True)

    def received(self, event: ServerEvent) -> None:
        self._event("in", event.type, event.raw)

    def sent(self, event: ClientEvent) -> None:
        self._event("out", event.type, event.to_dict())

    def _event(self, direction: str, event_type: str, body: dict) -> None:
        if self.json_mode:
            from desktop.core.events.client import redacted

            self._emit("event", direction=direction, type=event_type, event=redacted(body))

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
            self._emit("transcript", role=role, text=text, status=status)
        else:
            who = "You" if role == "user" else "Assistant"
            mark = " (interrupted)" if status == "interrupted" else ""
            print(f"{who}: {text}{mark}", flush=True)

    def notice(self, text: str) -> None:
        if self.json_mode:
            self._emit("notice", text=text)
        else:
            print(f"note: {text}", file=sys.stderr, flush=True)

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
        if self.json_mode:
            self._emit("failed", stage=stage, reason=exc.message, details=exc.details)
        line = f"talkline: failed while {stage}: {exc.message}"
        if exc.details and exc.details not in exc.message:
            line += f" (server said: {exc.details})"
        print(line, file=sys.stderr, flush=True)
