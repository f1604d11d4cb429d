"""The tools of the window's settings, built in one call (the session uses this)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop.core.settings.schema import ToolSettings
from desktop.core.tools.builtin import DesktopHooks, builtin_tools
from desktop.core.tools.mcp_config import McpServerConfig, parse_servers
from desktop.core.tools.registry import ToolRegistry


def registry_from_settings(settings: ToolSettings, hooks: DesktopHooks) -> ToolRegistry:
    """Built-in tools as Settings → Tools says (none when tools are off). ``hooks.folder``
    is taken from the settings when the caller leaves it None."""
    registry = ToolRegistry()
    if not settings.enabled:
        return registry
    if hooks.folder is None and settings.folder:
        hooks = replace(hooks, folder=Path(settings.folder).expanduser())
    for tool in builtin_tools(hooks):
        registry.add(tool)
        if tool.name in settings.disabled_builtins:
            registry.enable(tool.name, False)
    return registry


def servers_from_settings(settings: ToolSettings) -> tuple[list[McpServerConfig], list[str]]:
    """The enabled MCP servers (none when tools are off), and sentences for bad entries."""
    if not settings.enabled:
        return [], []
    servers, problems = parse_servers(settings.mcp_servers)
    return [s for s in servers if s.enabled], problems
