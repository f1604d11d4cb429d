"""OpenAI's remote MCP tools (``type: "mcp"``): the provider runs them; Talkline approves.

When a remote tool needs approval the provider adds an ``mcp_approval_request`` item
(``id``, ``server_label``, ``name``, ``arguments``); the same prompt as for local tools
answers it with ``conversation.item.create`` of an ``mcp_approval_response``, and a
response is requested so the model goes on (through the turn controller, never while one
is in flight).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.core.events.client import ClientEvent, _conversation_item_create
from desktop.core.events.server import ConversationItemDone, OutputItemDone, ServerEvent
from desktop.core.tools.approval import (
    ApprovalMemory,
    ApprovalRequest,
    Approver,
    Decision,
    ask_in_time,
)

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall

log = logging.getLogger("talkline.tools")


def mcp_approval_response(approval_request_id: str, approve: bool) -> ClientEvent:
    item = {"type": "mcp_approval_response", "approval_request_id": approval_request_id,
            "approve": approve}
    return _conversation_item_create(item, None)


def remote_tools_name(server_label: str, name: str) -> str:
    """The key "Always allow" remembers for a remote tool."""
    return f"{server_label}:{name}"


class RemoteMcpApprovals:
    def __init__(
        self,
        approver: Approver,
        memory: ApprovalMemory,
        call: Callable[[], RealtimeCall | None],
        approval_timeout: float,
        notice: Callable[[str], None],
    ) -> None:
        self._approver = approver
        self._memory = memory
        self._call = call
        self._timeout = approval_timeout
        self._notice = notice
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: ServerEvent) -> None:
        if not isinstance(event, OutputItemDone | ConversationItemDone):
            return
        item = event.raw.get("item")
        if not isinstance(item, dict) or item.get("type") != "mcp_approval_request":
            return
        request_id = item.get("id")
        if not isinstance(request_id, str) or request_id in self._seen:
            return
        self._seen.add(request_id)
        task = asyncio.get_running_loop().create_task(self._answer(request_id, item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, request_id: str, item: dict[str, Any]) -> None:
        label, name = str(item.get("server_label") or "?"), str(item.get("name") or "?")
        try:
            arguments = json.loads(item.get("arguments") or "{}")
        except ValueError:
            arguments = {"arguments": str(item.get("arguments"))}
        if not isinstance(arguments, dict):
            arguments = {"arguments": arguments}
        key = remote_tools_name(label, name)
        approve = key in self._memory
        if not approve:
            decision = await ask_in_time(
                self._approver,
                ApprovalRequest(tool=name, source=label, arguments=arguments,
                                description="A tool on a remote MCP server the provider runs.",
                                call_id=request_id),
                self._timeout,
            )
            approve = decision.allowed
            if decision is Decision.ALWAYS:
                self._memory.add(key)
        if not approve:
            self._notice(f"Declined {name} on {label}.")
        call = self._call()
        if call is None or not call.send_event(mcp_approval_response(request_id, approve)):
            self._notice(f"The answer about {name} on {label} could not be sent.")
            return
        call.turns.request_response()

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
