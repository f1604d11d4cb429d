"""Tools on the command line: the flags of `talkline call`, and `talkline tools list`.

Built-in tools are on by default; ``--tools none`` turns them off. Tools whose policy is
*ask* are denied in a non-interactive call unless ``--allow-tool NAME`` (or ``all``) names
them; each denial is printed. ``--mcp-config FILE`` adds the servers of an ``mcpServers``
JSON file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # loaded when a call or `tools list` runs, not for `talkline --help`
    from desktop.cli.printer import Printer
    from desktop.core.tools.calls import ToolCalls
    from desktop.core.tools.mcp import McpHub
    from desktop.core.tools.registry import ToolRegistry


def add_tool_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("tools")
    group.add_argument("--tools", choices=("builtin", "none"), default="builtin",
                       help="offer the built-in desktop tools to the model (default) or none")
    group.add_argument("--allow-tool", action="append", default=[], metavar="NAME",
                       help="let a tool that needs approval run (repeatable; 'all' for every "
                            "tool); other such calls are denied and the denial printed")
    group.add_argument("--mcp-config", metavar="FILE",
                       help='MCP servers to use, as {"mcpServers": {...}} JSON')
    group.add_argument("--tool-folder", metavar="DIR",
                       help="the one folder list_files and read_text_file may read")


def allowed_tools(args: argparse.Namespace) -> set[str] | Literal["all"]:
    names = {n.strip() for n in getattr(args, "allow_tool", []) or [] if n.strip()}
    return "all" if "all" in names else names


def build_tools(
    args: argparse.Namespace,
    notice: Callable[[str], None],
    *,
    end_call: Callable[[], None] | None = None,
) -> tuple[ToolRegistry, ToolCalls, McpHub | None]:
    """The registry, the call flow and the MCP hub (not started: ``hub.start()`` in the
    loop, then ``await hub.wait_started()`` before connecting so its tools are declared)."""
    from desktop.core.tools.approval import FlagApprover
    from desktop.core.tools.builtin import CommandClipboard, DesktopHooks, builtin_tools
    from desktop.core.tools.calls import ToolCalls
    from desktop.core.tools.registry import ToolRegistry

    registry = ToolRegistry()
    if getattr(args, "tools", "builtin") != "none":
        folder = getattr(args, "tool_folder", None)
        hooks = DesktopHooks(
            clipboard=CommandClipboard.find(),
            folder=Path(folder).expanduser() if folder else None,
            end_call=end_call,
        )
        for tool in builtin_tools(hooks):
            registry.add(tool)
    hub: McpHub | None = None
    config = getattr(args, "mcp_config", None)
    if config:
        from desktop.core.tools.mcp import McpHub  # the MCP SDK: ~0.8 s of imports
        from desktop.core.tools.mcp_config import load_file

        servers, problems = load_file(config)
        for problem in problems:
            notice(problem)
        if servers:
            hub = McpHub(registry, servers)
            hub.notice.connect(notice)
    calls = ToolCalls(registry, FlagApprover(allowed_tools(args), notice))
    calls.notice.connect(notice)
    return registry, calls, hub


def tool_lines(printer: Printer, calls: ToolCalls) -> None:
    """Print a ``tool_call`` line when a tool starts and a ``tool_result`` when it ends."""
    calls.started.connect(printer.tool_call)
    calls.finished.connect(printer.tool_result)


# -- talkline tools list ---------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tools", help="the tools the assistant can use (built-in and MCP)")
    ts = p.add_subparsers(dest="action", required=True)
    ls = ts.add_parser("list", help="list the built-in tools and those of MCP servers")
    ls.add_argument("--mcp-config", metavar="FILE",
                    help='MCP servers to start and list, as {"mcpServers": {...}} JSON')
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_list(args))


async def _list(args: argparse.Namespace) -> int:
    from desktop.core.tools.mcp import ServerState

    notes: list[str] = []
    registry, _calls, hub = build_tools(args, notes.append)
    failed = False
    if hub is not None:
        hub.start()
        try:
            await hub.wait_started()
        except TimeoutError:
            notes.append("Some MCP servers were still starting; their tools are not listed.")
        failed = any(s.state is ServerState.FAILED for s in hub.statuses)
    try:
        for tool in registry.all():
            if args.json:
                print(json.dumps({
                    "kind": "tool", "name": tool.name, "source": tool.source,
                    "policy": tool.policy.value, "description": tool.description,
                    "parameters": tool.parameters,
                }, ensure_ascii=False), flush=True)
            else:
                print(f"{tool.name:32} {tool.source:12} {tool.policy.value:6} {tool.description}")
        for note in notes:
            if args.json:
                print(json.dumps({"kind": "notice", "text": note}, ensure_ascii=False))
            else:
                print(f"note: {note}", file=sys.stderr)
    finally:
        if hub is not None:
            await hub.stop()
    return 1 if failed else 0
