"""Asking the user before a tool runs: the request, the answer, and what is remembered.

The window answers with a dialog (``desktop/ui/tools/approval_dialog.py``), the CLI with
its ``--allow-tool`` flags (``FlagApprover``). No answer within the timeout is a denial.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, Protocol

from desktop.core.observable import Emitter

APPROVAL_TIMEOUT = 60.0
DECLINED = "The user declined this action."


class Decision(Enum):
    ALLOW_ONCE = "allow_once"
    ALWAYS = "always"  # allow now and remember this tool
    DENY = "deny"

    @property
    def allowed(self) -> bool:
        return self is not Decision.DENY


@dataclass(frozen=True)
class ApprovalRequest:
    tool: str  # the name the model called
    source: str  # "built-in", or the MCP server's name (or OpenAI's server_label)
    arguments: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    call_id: str = ""

    @property
    def arguments_text(self) -> str:
        """The arguments pretty-printed, for a prompt that shows them as plain text."""
        return json.dumps(self.arguments, indent=2, ensure_ascii=False, sort_keys=True)


class Approver(Protocol):
    async def ask(self, request: ApprovalRequest) -> Decision: ...


async def ask_in_time(
    approver: Approver, request: ApprovalRequest, seconds: float = APPROVAL_TIMEOUT
) -> Decision:
    """The user's answer, or DENY when none comes within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await approver.ask(request)
    except TimeoutError:
        return Decision.DENY


class ApprovalMemory:
    """Tools the user chose to always allow; the settings hold the list between runs."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: list[str] = list(dict.fromkeys(names))
        self.changed: Emitter[tuple[str, ...]] = Emitter()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def add(self, name: str) -> None:
        if name not in self._names:
            self._names.append(name)
            self.changed.emit(self.names)

    def remove(self, name: str) -> None:
        if name in self._names:
            self._names.remove(name)
            self.changed.emit(self.names)


class FlagApprover:
    """A non-interactive call: the tools named on the command line run, the rest are denied
    and each denial is reported (``report`` prints a line)."""

    def __init__(
        self,
        allowed: set[str] | Literal["all"],
        report: Callable[[str], None] = lambda _s: None,
    ) -> None:
        self.allowed = allowed
        self._report = report

    async def ask(self, request: ApprovalRequest) -> Decision:
        if self.allowed == "all" or request.tool in self.allowed:
            return Decision.ALLOW_ONCE
        self._report(
            f"Denied {request.tool} ({request.source}): it needs approval; "
            f"pass --allow-tool {request.tool} to allow it."
        )
        return Decision.DENY
