"""The tools the assistant may call: name, schema, policy, runner; declared to the model.

A tool's name is what the model sees and calls, so it must match the providers' rule
(letters, digits, ``_`` and ``-``, at most 64 characters). MCP tools are namespaced
``server__tool``; a name that would be too long or carry other characters is trimmed and
given a short hash of the original, so two servers can never produce the same name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from desktop.core.observable import Emitter

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 64
DEFAULT_TIMEOUT = 30.0
BUILTIN = "built-in"
_HASH_CHARS = 8

ToolResult = str | dict[str, Any] | list[Any]
Runner = Callable[[dict[str, Any]], Awaitable[ToolResult]]


class Policy(Enum):
    ALLOW = "allow"  # runs without asking
    ASK = "ask"  # the user approves each call (or always, once)
    DENY = "deny"  # declared nowhere; refused if the model calls it anyway


class ToolError(Exception):
    """A tool failed in a way it can say in one sentence (shown to the user and the model)."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    runner: Runner = field(compare=False)
    policy: Policy = Policy.ASK
    timeout: float = DEFAULT_TIMEOUT
    source: str = BUILTIN  # "built-in", or the MCP server's name
    title: str = ""  # the name at the source (an MCP tool's own name)

    def __post_init__(self) -> None:
        if not valid_name(self.name):
            raise ValueError(
                f"tool name {self.name!r} must be 1–64 letters, digits, '_' or '-'"
            )

    def declaration(self) -> dict[str, Any]:
        """The ``session.tools`` entry (type function) the providers expect."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters or {"type": "object", "properties": {}},
        }


def valid_name(name: str) -> bool:
    return bool(NAME_PATTERN.match(name))


def namespaced(server: str, tool: str) -> str:
    """``server__tool`` as a valid function name, unique per (server, tool) pair."""
    plain = f"{_clean(server)}__{_clean(tool)}"
    if plain == f"{server}__{tool}" and len(plain) <= MAX_NAME:
        return plain
    # Cleaning or trimming lost information: a hash of the original keeps it unique.
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:_HASH_CHARS]
    return f"{plain[: MAX_NAME - _HASH_CHARS - 1]}_{digest}"


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


class ToolRegistry:
    """Every known tool, and which of them are switched on."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()
        self.changed: Emitter[None] = Emitter()

    def add(self, tool: Tool) -> None:
        self._tools[tool.name] = tool
        self.changed.emit(None)

    def remove(self, name: str) -> None:
        if self._tools.pop(name, None) is not None:
            self.changed.emit(None)

    def remove_source(self, source: str) -> None:
        """Forget every tool of one source (an MCP server that stopped or was removed)."""
        names = [n for n, t in self._tools.items() if t.source == source]
        for name in names:
            del self._tools[name]
        if names:
            self.changed.emit(None)

    def enable(self, name: str, enabled: bool = True) -> None:
        before = name in self._disabled
        if enabled:
            self._disabled.discard(name)
        else:
            self._disabled.add(name)
        if before != (name in self._disabled):
            self.changed.emit(None)

    def is_enabled(self, name: str) -> bool:
        return name in self._tools and name not in self._disabled

    def get(self, name: str) -> Tool | None:
        """The tool the model may call by this name: known, enabled and not denied."""
        tool = self._tools.get(name)
        if tool is None or name in self._disabled:
            return None
        return tool

    def all(self) -> list[Tool]:
        return list(self._tools.values())

    def active(self) -> list[Tool]:
        return [
            t for t in self._tools.values()
            if t.name not in self._disabled and t.policy is not Policy.DENY
        ]

    def declarations(self) -> list[dict[str, Any]]:
        """For ``SessionConfig.tools`` / ``session.tools``."""
        return [t.declaration() for t in self.active()]
