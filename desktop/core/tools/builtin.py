"""The desktop tools Talkline brings itself: time, clipboard, links, one folder, hanging up.

What touches the desktop is injected (the window supplies Qt's clipboard, the CLI a
command-line one or none), so these stay Qt-free and testable with real parts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from desktop.core.tools.registry import BUILTIN, Policy, Tool, ToolError, ToolResult

T = TypeVar("T")

MAX_FILE_BYTES = 256 * 1024  # read_text_file refuses bigger files
MAX_LISTED = 500  # list_files stops after this many entries
MAX_CLIPBOARD_CHARS = 100_000

BUILTIN_NAMES = (
    "get_current_time",
    "copy_to_clipboard",
    "read_clipboard",
    "open_url",
    "list_files",
    "read_text_file",
    "end_call",
)


class Clipboard(Protocol):
    async def set_text(self, text: str) -> None: ...
    async def text(self) -> str: ...


class CommandClipboard:
    """The clipboard through ``wl-copy``/``wl-paste`` (Wayland) or ``xclip`` (X11)."""

    def __init__(self, copy_cmd: list[str], paste_cmd: list[str]) -> None:
        self._copy = copy_cmd
        self._paste = paste_cmd

    @classmethod
    def find(cls) -> CommandClipboard | None:
        if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy") and shutil.which(
            "wl-paste"
        ):
            return cls(["wl-copy"], ["wl-paste", "--no-newline"])
        if os.environ.get("DISPLAY") and shutil.which("xclip"):
            return cls(
                ["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"]
            )
        return None

    async def set_text(self, text: str) -> None:
        await asyncio.to_thread(self._run, self._copy, text)

    async def text(self) -> str:
        return await asyncio.to_thread(self._run, self._paste, None)

    @staticmethod
    def _run(cmd: list[str], stdin: str | None) -> str:
        # xclip keeps serving the selection in the background: don't wait on its stdout.
        done = subprocess.run(
            cmd, input=stdin, capture_output=stdin is None, text=True, timeout=5, check=False
        )
        if done.returncode != 0:
            raise ToolError(f"The clipboard command {cmd[0]} failed.")
        return done.stdout or ""


@dataclass
class DesktopHooks:
    """What the built-in tools act on; anything None makes its tool say it is unavailable."""

    clipboard: Clipboard | None = None
    open_url: Callable[[str], bool] | None = webbrowser.open
    folder: Path | None = None  # list_files / read_text_file stay inside it
    end_call: Callable[[], None] | None = None


def builtin_tools(hooks: DesktopHooks) -> list[Tool]:
    def tool(name: str, description: str, params: dict[str, Any], runner: Any,  # noqa: ANN401
             policy: Policy) -> Tool:
        return Tool(name, description, _object(params), runner, policy, source=BUILTIN)

    async def get_current_time(_args: dict[str, Any]) -> ToolResult:
        now = dt.datetime.now().astimezone()
        return {
            "date": now.strftime("%A, %d %B %Y"),
            "time": now.strftime("%H:%M:%S"),
            "time_zone": now.tzname() or "",
            "utc_offset": now.strftime("%z"),
            "iso8601": now.isoformat(timespec="seconds"),
        }

    async def copy_to_clipboard(args: dict[str, Any]) -> ToolResult:
        clipboard = _need(hooks.clipboard, "The clipboard is not available here.")
        text = str(args["text"])[:MAX_CLIPBOARD_CHARS]
        await clipboard.set_text(text)
        return {"copied_characters": len(text)}

    async def read_clipboard(_args: dict[str, Any]) -> ToolResult:
        clipboard = _need(hooks.clipboard, "The clipboard is not available here.")
        text = await clipboard.text()
        return {"text": text[:MAX_CLIPBOARD_CHARS]}

    async def open_url(args: dict[str, Any]) -> ToolResult:
        opener = _need(hooks.open_url, "Opening links is not available here.")
        url = str(args["url"]).strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ToolError("Only http and https links can be opened.")
        if not await asyncio.to_thread(opener, url):
            raise ToolError("No browser could open the link.")
        return {"opened": url}

    async def list_files(args: dict[str, Any]) -> ToolResult:
        root = _need(hooks.folder, "No folder is chosen for file tools (Settings → Tools).")
        target = confined(root, str(args.get("path") or "."))
        return await asyncio.to_thread(_listing, root, target)

    async def read_text_file(args: dict[str, Any]) -> ToolResult:
        root = _need(hooks.folder, "No folder is chosen for file tools (Settings → Tools).")
        target = confined(root, str(args["path"]))
        return await asyncio.to_thread(_read_text, root, target)

    async def end_call(_args: dict[str, Any]) -> ToolResult:
        hang_up = _need(hooks.end_call, "Ending the call is not available here.")
        # Let the output reach the model first; the session hangs up after it.
        asyncio.get_running_loop().call_later(0.5, hang_up)
        return {"ending": True}

    path_param = {"path": {"type": "string", "description": "Relative to the chosen folder."}}
    return [
        tool("get_current_time", "The local date, time and time zone of the user's computer.",
             {}, get_current_time, Policy.ALLOW),
        tool("copy_to_clipboard", "Put text on the user's clipboard.",
             {"text": {"type": "string"}}, copy_to_clipboard, Policy.ASK),
        tool("read_clipboard", "Read the text on the user's clipboard.",
             {}, read_clipboard, Policy.ASK),
        tool("open_url", "Open an http or https link in the user's web browser.",
             {"url": {"type": "string"}}, open_url, Policy.ASK),
        tool("list_files", "List the files in the folder the user shared (or a subfolder).",
             {**path_param}, list_files, Policy.ASK),
        tool("read_text_file", "Read a text file from the folder the user shared.",
             {**path_param}, read_text_file, Policy.ASK),
        tool("end_call", "Hang up the call, when the user says goodbye or asks to end it.",
             {}, end_call, Policy.ALLOW),
    ]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    required = [k for k in properties if k != "path"]
    if required:
        schema["required"] = required
    return schema


def _need(value: T | None, sentence: str) -> T:
    if value is None:
        raise ToolError(sentence)
    return value


def confined(root: Path, relative: str) -> Path:
    """``relative`` inside ``root`` after resolving ``..`` and symlinks, or ToolError."""
    if Path(relative).is_absolute() or relative.startswith("~"):
        raise ToolError("Paths must be relative to the chosen folder.")
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise ToolError("That path is outside the chosen folder.")
    return target


def _listing(root: Path, target: Path) -> ToolResult:
    if not target.is_dir():
        raise ToolError("That folder does not exist.")
    base = root.resolve()
    entries: list[dict[str, Any]] = []
    for entry in sorted(target.iterdir()):
        if len(entries) >= MAX_LISTED:
            break
        resolved = entry.resolve()
        if not resolved.is_relative_to(base):
            continue  # a symlink leading out of the folder is not shown
        is_dir = resolved.is_dir()
        entries.append({
            "name": entry.name + ("/" if is_dir else ""),
            "bytes": None if is_dir else resolved.stat().st_size,
        })
    return {"folder": str(target.relative_to(base)) or ".", "entries": entries}


def _read_text(root: Path, target: Path) -> ToolResult:
    if not target.is_file():
        raise ToolError("That file does not exist.")
    size = target.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ToolError(f"That file is {size // 1024} KB; at most {MAX_FILE_BYTES // 1024} KB "
                        "can be read.")
    data = target.read_bytes()
    if b"\0" in data[:4096]:
        raise ToolError("That is not a text file.")
    return {"path": str(target.relative_to(root.resolve())),
            "text": data.decode("utf-8", errors="replace")}
