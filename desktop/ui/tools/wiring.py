"""The window's tools: the settings' built-ins and MCP servers, the Qt clipboard, and
approval through a prompt in the window (a tray message when it is hidden)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.core.talk.tools import ConversationTools
from desktop.core.tools.approval import ApprovalMemory
from desktop.core.tools.builtin import DesktopHooks
from desktop.core.tools.calls import ToolCalls
from desktop.core.tools.setup import registry_from_settings, servers_from_settings
from desktop.ui.tools.approval_dialog import QtApprover
from desktop.ui.tools.clipboard import QtClipboard

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow


def window_tools(window: MainWindow) -> ConversationTools:
    settings = window.settings
    session = window.controller.session
    hooks = DesktopHooks(clipboard=QtClipboard(), end_call=session.disconnect)
    registry = registry_from_settings(settings.tools, hooks)
    memory = ApprovalMemory(settings.tools.always_allowed)

    def remember(names: tuple[str, ...]) -> None:  # "Always allow" lasts across runs
        window.settings.tools.always_allowed = list(names)
        window.persist_settings()

    memory.changed.connect(remember)
    approver = QtApprover(window, notify=window.tray.icon.showMessage)
    calls = ToolCalls(registry, approver, memory=memory)
    servers, problems = servers_from_settings(settings.tools)
    for problem in problems:
        window.notices.show_notice(problem, key=f"mcp:{problem}")
    hub = None
    if servers:
        from desktop.core.tools.mcp import McpHub  # the MCP SDK: ~0.5 s of imports

        hub = McpHub(registry, servers, secrets=session.keystore)
        hub.notice.connect(lambda text: window.notices.show_notice(text, key=f"mcp:{text}"))
    return ConversationTools(registry, calls, hub)
