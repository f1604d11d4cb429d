"""The function-call flow of one conversation, across the calls that carry it.

shared/PROVIDERS.md, "Function calls": ``response.function_call_arguments.done`` → parse
and validate the arguments → policy (deny / ask / allow) → run under the tool's timeout →
``conversation.item.create`` with a ``function_call_output`` → once every call of that
response has its output and the response is done, exactly one ``response.create`` (through
the turn controller, so never while another response is in flight).

Every failure (bad JSON, a schema violation, an unknown tool, a denial, a timeout, a tool
that raises) becomes an error output to the model and a sentence on ``notice``: the call
goes on. Outputs that finish while no call is attached (a reconnect, a rollover) wait and
are delivered on the next call ``attach``-ed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from desktop.core.call.state import CallState, CallStatus
from desktop.core.events import client as ce
from desktop.core.events.server import (
    FunctionCallArgumentsDone,
    InputAudioBufferSpeechStarted,
    OutputItemAdded,
    ResponseDone,
    ServerEvent,
)
from desktop.core.observable import Emitter
from desktop.core.tools.approval import (
    DECLINED,
    ApprovalMemory,
    ApprovalRequest,
    Approver,
    Decision,
    ask_in_time,
)
from desktop.core.tools.registry import Policy, Tool, ToolError, ToolRegistry, ToolResult
from desktop.core.tools.remote_mcp import RemoteMcpApprovals

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall

log = logging.getLogger("talkline.tools")

MAX_OUTPUT_BYTES = 16 * 1024
TRUNCATION_NOTE = "\n[truncated: the tool returned {size} bytes; only the first 16 KB are kept]"
INTERRUPTED = "The user interrupted; the tool was stopped before it finished."


class RunStatus(Enum):
    OK = "ok"
    ERROR = "error"  # the tool raised or failed
    INVALID = "invalid"  # unknown tool, arguments not JSON or not matching the schema
    DENIED = "denied"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"  # interrupted by the user


@dataclass(eq=False)
class ToolRun:
    """One function call the model made, from its arguments to its output."""

    name: str
    call_id: str
    arguments: str  # as the model sent them (JSON text, untrusted)
    response_id: str | None = None
    source: str = ""
    status: RunStatus | None = None  # None while it runs
    output: str | None = None  # what the model receives (capped)
    error: str | None = None  # the sentence, when it did not succeed
    duration_ms: float | None = None  # arguments.done → output sent (or queued)
    started: float = field(default_factory=time.perf_counter)
    delivered: bool = False
    task: asyncio.Task[None] | None = None

    @property
    def finished(self) -> bool:
        return self.status is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "call_id": self.call_id,
            "arguments": self.arguments,
            "source": self.source,
            "status": self.status.value if self.status else "running",
            "output": self.output,
            "error": self.error,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1),
        }


@dataclass(eq=False)
class _Batch:
    """The calls of one response: answered together with one response.create."""

    response_id: str | None
    runs: list[ToolRun] = field(default_factory=list)
    response_done: bool = False
    interrupted: bool = False  # the user spoke: their turn brings the next response
    answered: bool = False


def cap_output(text: str, limit: int = MAX_OUTPUT_BYTES) -> str:
    """At most ``limit`` bytes of UTF-8, with a note saying what was cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = TRUNCATION_NOTE.format(size=len(data))
    keep = data[: limit - len(note.encode("utf-8"))].decode("utf-8", errors="ignore")
    return keep + note


def error_output(sentence: str) -> str:
    return json.dumps({"error": sentence}, ensure_ascii=False)


def _as_text(result: ToolResult) -> str:
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False, default=str)


class ToolCalls:
    def __init__(
        self,
        registry: ToolRegistry,
        approver: Approver,
        *,
        memory: ApprovalMemory | None = None,
        approval_timeout: float = 60.0,
        max_output_bytes: int = MAX_OUTPUT_BYTES,
    ) -> None:
        self.registry = registry
        self.approver = approver
        self.memory = memory if memory is not None else ApprovalMemory()
        self.approval_timeout = approval_timeout
        self.max_output_bytes = max_output_bytes
        self.started: Emitter[ToolRun] = Emitter()
        self.finished: Emitter[ToolRun] = Emitter()
        self.running_changed: Emitter[tuple[str, ...]] = Emitter()
        self.notice: Emitter[str] = Emitter()
        self.runs: dict[str, ToolRun] = {}  # every call_id seen in this conversation
        self._batches: dict[str | None, _Batch] = {}
        self._names: dict[str, str] = {}  # call_id → name, from output_item.added
        self._call: RealtimeCall | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._running: tuple[str, ...] = ()
        self._remote = RemoteMcpApprovals(
            approver, self.memory, lambda: self._call, approval_timeout, self.notice.emit
        )

    # -- the call that carries the conversation -------------------------------------------

    def attach(self, call: RealtimeCall) -> None:
        """Listen to ``call``; deliver outputs that waited and answer batches left open
        (now if it is connected, else as soon as it is)."""
        self.detach()
        self._call = call
        self._unsubscribe = [
            call.event_received.connect(self.on_event),
            call.status_changed.connect(self._on_status),
        ]
        for batch in self._batches.values():
            # The response of an earlier call cannot finish now: it is over.
            batch.response_done = True
        self._flush()

    def _on_status(self, status: CallStatus) -> None:
        if status.state is CallState.CONNECTED:
            self._flush()

    def _flush(self) -> None:
        call = self._call
        if call is None:
            return
        for run in self.runs.values():
            if run.finished and not run.delivered:
                self._deliver(run)
                if run.delivered:
                    call.conversation.attach_tool_result(
                        run.call_id, output=run.output,
                        status=run.status.value if run.status else "", error=run.error,
                        duration_ms=run.duration_ms, source=run.source or None,
                    )
        for batch in list(self._batches.values()):
            self._maybe_answer(batch)

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._call = None

    @property
    def running(self) -> tuple[str, ...]:
        return self._running

    def cancel_all(self, reason: str = INTERRUPTED) -> int:
        """Stop every running tool (Stop, barge-in); their outputs say so. Returns how many.

        No response.create follows: the user's turn brings the next response.
        """
        self._remote.cancel_all()
        cancelled = 0
        for batch in list(self._batches.values()):
            pending = [r for r in batch.runs if not r.finished]
            if pending:
                batch.interrupted = True
            for run in pending:
                if run.task is not None:
                    run.task.cancel()
                self._finish(run, RunStatus.CANCELLED, error_output(reason), reason)
                cancelled += 1
        return cancelled

    async def aclose(self) -> None:
        """At the end of the conversation: stop what runs, forget the call."""
        tasks = [r.task for r in self.runs.values() if r.task is not None and not r.task.done()]
        self.cancel_all("The conversation ended before the tool finished.")
        self.detach()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    # -- server events --------------------------------------------------------------------

    def on_event(self, event: ServerEvent) -> None:
        self._remote.on_event(event)
        if isinstance(event, OutputItemAdded) and event.item.type == "function_call":
            if event.item.call_id and event.item.name:
                self._names[event.item.call_id] = event.item.name
        elif isinstance(event, FunctionCallArgumentsDone):
            self._on_arguments_done(
                event.call_id, event.name, event.arguments, event.response_id
            )
        elif isinstance(event, ResponseDone):
            self._on_response_done(event)
        elif isinstance(event, InputAudioBufferSpeechStarted) and self._running:
            self.cancel_all("The user started speaking; the tool was stopped.")

    def _on_response_done(self, event: ResponseDone) -> None:
        response = event.response
        # A provider that skipped arguments.done still lists the calls in response.done.
        for item in response.output:
            if item.type == "function_call" and item.call_id and item.call_id not in self.runs:
                self._on_arguments_done(item.call_id, item.name, item.arguments or "", response.id)
        batch = self._batches.get(response.id)
        if batch is None:
            return
        batch.response_done = True
        if response.status == "cancelled" and any(not r.finished for r in batch.runs):
            # The server cut the response (the user spoke): their turn answers it.
            batch.interrupted = True
        self._maybe_answer(batch)

    def _on_arguments_done(
        self, call_id: str | None, name: str | None, arguments: str, response_id: str | None
    ) -> None:
        if not call_id:
            self.notice.emit("The model called a tool without a call id; it was not run.")
            return
        if call_id in self.runs:
            # Its one output is (or will be) sent already; running it twice could act twice.
            self.notice.emit(f"The model sent call {call_id} twice; it runs once.")
            return
        name = name or self._names.get(call_id) or ""
        tool = self.registry.get(name)
        run = ToolRun(
            name=name or "(unnamed)",
            call_id=call_id,
            arguments=arguments,
            response_id=response_id,
            source=tool.source if tool else "",
        )
        self.runs[call_id] = run
        batch = self._batches.setdefault(response_id, _Batch(response_id))
        batch.runs.append(run)
        self.started.emit(run)
        self._set_running()
        run.task = asyncio.get_running_loop().create_task(
            self._run(run, tool), name=f"tool-{run.name}-{call_id}"
        )

    # -- running one call -----------------------------------------------------------------

    async def _run(self, run: ToolRun, tool: Tool | None) -> None:
        try:
            status, output, sentence = await self._execute(run, tool)
        except asyncio.CancelledError:
            return  # cancel_all already finished it
        except Exception as exc:  # a bug in our own flow: still an answer, never a hang
            log.exception("tool flow failed for %s", run.name)
            sentence = f"{run.name} failed unexpectedly ({exc.__class__.__name__})."
            status, output = RunStatus.ERROR, error_output(sentence)
        if not run.finished:
            self._finish(run, status, output, sentence)

    async def _execute(
        self, run: ToolRun, tool: Tool | None
    ) -> tuple[RunStatus, str, str | None]:
        if tool is None:
            sentence = f"There is no tool called {run.name!r}."
            return RunStatus.INVALID, error_output(sentence), sentence
        try:
            args = json.loads(run.arguments) if run.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            sentence = f"The arguments for {tool.name} were not valid JSON ({exc.msg})."
            return RunStatus.INVALID, error_output(sentence), sentence
        if not isinstance(args, dict):
            sentence = f"The arguments for {tool.name} must be a JSON object."
            return RunStatus.INVALID, error_output(sentence), sentence
        problem = schema_problem(tool.parameters, args)
        if problem:
            sentence = f"The arguments for {tool.name} do not fit its schema: {problem}"
            return RunStatus.INVALID, error_output(sentence), sentence
        if tool.policy is Policy.DENY:
            sentence = f"{tool.name} is not allowed."
            return RunStatus.DENIED, error_output(sentence), sentence
        if tool.policy is Policy.ASK and tool.name not in self.memory:
            request = ApprovalRequest(
                tool=tool.name,
                source=tool.source,
                arguments=args,
                description=tool.description,
                call_id=run.call_id,
            )
            decision = await ask_in_time(self.approver, request, self.approval_timeout)
            if decision is Decision.ALWAYS:
                self.memory.add(tool.name)
            if not decision.allowed:
                return RunStatus.DENIED, error_output(DECLINED), f"{tool.name}: {DECLINED}"
        return await self._invoke(tool, args)

    async def _invoke(
        self, tool: Tool, args: dict[str, Any]
    ) -> tuple[RunStatus, str, str | None]:
        # Our own task, not wait_for: a tool that ignores cancellation must not hold the call.
        task = asyncio.ensure_future(tool.runner(args))
        try:
            done, _ = await asyncio.wait({task}, timeout=tool.timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            task.cancel()
            sentence = f"{tool.name} did not finish within {tool.timeout:g} s and was stopped."
            return RunStatus.TIMEOUT, error_output(sentence), sentence
        try:
            result = task.result()
        except ToolError as exc:
            sentence = f"{tool.name}: {exc}"
            return RunStatus.ERROR, error_output(str(exc)), sentence
        except asyncio.CancelledError:
            sentence = f"{tool.name} was cancelled."
            return RunStatus.ERROR, error_output(sentence), sentence
        except Exception as exc:
            log.info("tool %s raised", tool.name, exc_info=True)
            sentence = f"{tool.name} failed: {exc.__class__.__name__}: {exc}"[:300]
            return RunStatus.ERROR, error_output(sentence), sentence
        return RunStatus.OK, _as_text(result), None

    # -- outputs and the one response.create ----------------------------------------------

    def _finish(
        self, run: ToolRun, status: RunStatus, output: str, sentence: str | None
    ) -> None:
        run.status = status
        run.output = cap_output(output, self.max_output_bytes)
        if run.output != output:
            self.notice.emit(
                f"{run.name} returned {len(output.encode('utf-8')) // 1024} KB; "
                "the model received the first 16 KB."
            )
        run.error = sentence if status is not RunStatus.OK else None
        if sentence and status is not RunStatus.CANCELLED:
            self.notice.emit(sentence)
        self._deliver(run)
        run.duration_ms = (time.perf_counter() - run.started) * 1000
        if self._call is not None:
            self._call.conversation.attach_tool_result(
                run.call_id, output=run.output, status=status.value, error=run.error,
                duration_ms=run.duration_ms, source=run.source or None,
            )
        self._set_running()
        self.finished.emit(run)
        batch = self._batches.get(run.response_id)
        if batch is not None:
            self._maybe_answer(batch)

    def _deliver(self, run: ToolRun) -> None:
        call = self._call
        if call is None or run.output is None:
            return
        if call.send_event(ce.function_call_output(run.call_id, run.output)):
            run.delivered = True

    def _maybe_answer(self, batch: _Batch) -> None:
        if batch.answered or not batch.response_done:
            return
        if not all(r.finished and r.delivered for r in batch.runs):
            return
        batch.answered = True
        self._batches.pop(batch.response_id, None)
        if batch.interrupted or self._call is None:
            return
        self._call.turns.request_response()

    def _set_running(self) -> None:
        names = tuple(r.name for r in self.runs.values() if not r.finished)
        if names != self._running:
            self._running = names
            self.running_changed.emit(names)


_VALIDATORS: dict[str, Any] = {}  # schema JSON → its validator (checking a schema costs ms)


def _validator(schema: dict[str, Any]) -> Any:  # noqa: ANN401 - a jsonschema validator
    import jsonschema  # ~45 ms of imports: at the first tool call, not at window start-up

    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in _VALIDATORS:
        validator_cls = jsonschema.validators.validator_for(schema)
        try:
            validator_cls.check_schema(schema)
            _VALIDATORS[key] = validator_cls(schema)
        except jsonschema.SchemaError:
            _VALIDATORS[key] = None  # a broken schema: let the tool judge its arguments
    return _VALIDATORS[key]


def schema_problem(schema: dict[str, Any], args: dict[str, Any]) -> str | None:
    """Why ``args`` break ``schema``, in a sentence; None when they fit (or no schema)."""
    if not schema:
        return None
    validator = _validator(schema)
    if validator is None:
        return None
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(args))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where + ': ' if where else ''}{error.message}"[:300]
