"""The tools of one conversation, as the session uses them: declared in each call's
session, attached to whichever call carries the conversation (a reconnect or rollover
delivers a late output on the new call), cancelled on interrupt, stopped at the end."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.session.config import SessionConfig
    from desktop.core.tools.calls import ToolCalls
    from desktop.core.tools.mcp import McpHub
    from desktop.core.tools.registry import ToolRegistry

log = logging.getLogger("talkline.talk")


class ConversationTools:
    def __init__(
        self, registry: ToolRegistry, calls: ToolCalls, hub: McpHub | None = None
    ) -> None:
        self.registry = registry
        self.calls = calls
        self.hub = hub
        self._started = False

    def declare(self, config: SessionConfig) -> SessionConfig:
        """`config` with the tools the model may call now (the dialect sends them only
        to providers whose profile takes tools)."""
        return replace(config, tools=tuple(self.registry.declarations()))

    def attach(self, call: RealtimeCall) -> None:
        """The call that carries the conversation from now on (even before it connects:
        outputs that waited go out once it is)."""
        self.calls.attach(call)

    def start(self) -> None:
        """MCP servers start in the background: Connect never waits for them."""
        if self.hub is not None and not self._started:
            self._started = True
            self.hub.start()

    async def aclose(self) -> None:
        await self.calls.aclose()
        if self.hub is not None:
            await self.hub.stop()

