"""Talkline as an MCP client: the user's servers, their tools offered as function tools.

Each server is held by one background task (the SDK's transports are context managers
that must open and close in the same task). Starting never blocks a call: tools appear in
the registry when their server is ready. A server that fails to start, crashes or hangs
becomes a notice, and its calls get error outputs within their timeout.

A stdio server must not outlive Talkline, even when Talkline is killed: on POSIX it is
started through a small launcher that asks the kernel for SIGTERM when Talkline dies
(``PR_SET_PDEATHSIG``, and a parent-pid watch elsewhere) and then kills its process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx2
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from desktop.core.observable import Emitter
from desktop.core.tools.mcp_config import McpServerConfig, SecretStore, fill_secrets
from desktop.core.tools.registry import (
    DEFAULT_TIMEOUT,
    Policy,
    Tool,
    ToolError,
    ToolRegistry,
    ToolResult,
    namespaced,
)

log = logging.getLogger("talkline.mcp")

START_TIMEOUT = 20.0  # spawn + initialize + tools/list
STOP_TIMEOUT = 5.0

# Run as `python -c LAUNCHER <talkline pid> <command> <args...>`: dies with Talkline.
LAUNCHER = r"""
import ctypes, os, signal, sys, threading, time
parent = int(sys.argv[1])
def down(*_):
    try: os.killpg(0, signal.SIGKILL)
    finally: os._exit(1)
signal.signal(signal.SIGTERM, down)
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass
if os.getppid() != parent:
    down()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    down()
threading.Thread(target=watch, daemon=True).start()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as exc:
        sys.stderr.write(f"cannot start {sys.argv[2]}: {exc.strerror}\n")
        os._exit(127)
while True:
    try:
        _, status = os.waitpid(pid, 0)
        break
    except InterruptedError:
        continue
sys.exit(os.waitstatus_to_exitcode(status))
"""


class ServerState(Enum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    state: ServerState
    tools: tuple[str, ...] = ()  # the names offered to the model
    error: str = ""


def launch_parameters(config: McpServerConfig) -> StdioServerParameters:
    """How to spawn a stdio server so that it cannot outlive this process."""
    command, args = config.command or "", list(config.args)
    if os.name == "posix" and not getattr(sys, "frozen", False):
        args = ["-c", LAUNCHER, str(os.getpid()), command, *args]
        command = sys.executable
    return StdioServerParameters(command=command, args=args, env=dict(config.env) or None)


def result_text(result: Any) -> ToolResult:  # noqa: ANN401 - mcp's CallToolResult
    """An MCP tool result as the output the model receives."""
    texts = [getattr(block, "text", None) for block in result.content]
    text = "\n".join(t for t in texts if isinstance(t, str))
    if result.is_error:
        raise ToolError(text or "The MCP tool reported an error.")
    if result.structured_content is not None and not text:
        return json.dumps(result.structured_content, ensure_ascii=False, default=str)
    other = [b.type for b in result.content if getattr(b, "text", None) is None]
    if other:
        text += f"\n[{len(other)} non-text part(s) omitted: {', '.join(sorted(set(other)))}]"
    return text


@dataclass(eq=False)
class McpServer:
    config: McpServerConfig
    status: ServerStatus
    session: ClientSession | None = None
    task: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # ready or failed
    errlog: Any = None  # a temporary file with the server's stderr  # noqa: ANN401


class McpHub:
    def __init__(
        self,
        registry: ToolRegistry,
        servers: list[McpServerConfig],
        *,
        secrets: SecretStore | None = None,
        start_timeout: float = START_TIMEOUT,
        call_timeout: float = DEFAULT_TIMEOUT,
        policy: Policy = Policy.ASK,
    ) -> None:
        self.registry = registry
        self.configs = [s for s in servers if s.enabled]
        self._secrets = secrets
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.policy = policy
        self.servers: dict[str, McpServer] = {}
        self.notice: Emitter[str] = Emitter()
        self.status_changed: Emitter[ServerStatus] = Emitter()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start every server in the background; returns at once."""
        for config in self.configs:
            if config.name in self.servers:
                continue
            server = McpServer(config, ServerStatus(config.name, ServerState.STARTING))
            self.servers[config.name] = server
            server.task = asyncio.get_running_loop().create_task(
                self._hold(server), name=f"mcp-{config.name}"
            )

    async def wait_started(self, seconds: float | None = None) -> None:
        """Until every server is ready or failed (the CLI's ``tools list``, tests)."""
        waits = [s.settled.wait() for s in self.servers.values()]
        # A failed stdio server gets a grace period to exit before it is killed.
        async with asyncio.timeout(seconds or self.start_timeout + STOP_TIMEOUT):
            await asyncio.gather(*waits)

    async def stop(self) -> None:
        for server in self.servers.values():
            server.stop.set()
        tasks = [s.task for s in self.servers.values() if s.task is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
        for name in list(self.servers):
            self.registry.remove_source(name)

    @property
    def statuses(self) -> list[ServerStatus]:
        return [s.status for s in self.servers.values()]

    # -- one server -----------------------------------------------------------------------

    def _set(self, server: McpServer, state: ServerState, *, tools: tuple[str, ...] = (),
             error: str = "") -> None:
        server.status = ServerStatus(server.config.name, state, tools, error)
        if state is not ServerState.STARTING:
            server.settled.set()
        self.status_changed.emit(server.status)
        if error:
            self.notice.emit(error)

    async def _hold(self, server: McpServer) -> None:
        name = server.config.name
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with asyncio.timeout(self.start_timeout):
                    session = await self._open(server, stack)
                    await session.initialize()
                    listed = await session.list_tools()
                server.session = session
                tools = self._register(server, listed.tools)
                self._set(server, ServerState.READY, tools=tools)
                await server.stop.wait()
                server.session = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK raises many kinds; each is a sentence here
            if isinstance(_innermost(exc), TimeoutError):
                sentence = f"did not start within {self.start_timeout:g} s"
            else:
                log.debug("MCP server %s failed", name, exc_info=True)
                sentence = f"could not be used: {_describe(exc)}"
            self._set(server, ServerState.FAILED,
                      error=f"MCP server {name!r} {sentence}.{self._stderr_tail(server)}")
        finally:
            server.session = None
            self.registry.remove_source(name)
            if server.status.state is not ServerState.FAILED:
                self._set(server, ServerState.STOPPED)
            if server.errlog is not None:
                server.errlog.close()

    async def _open(self, server: McpServer, stack: contextlib.AsyncExitStack) -> ClientSession:
        config = server.config
        if config.transport == "stdio":
            # Read for the notice after the transport closed; closed in _hold's finally.
            server.errlog = tempfile.TemporaryFile(  # noqa: SIM115
                "w+", encoding="utf-8", errors="replace"
            )
            read, write = await stack.enter_async_context(
                stdio_client(launch_parameters(config), errlog=server.errlog)
            )
        else:
            filled, missing = fill_secrets(config, self._secrets)
            if missing:
                self.notice.emit(
                    f"MCP server {config.name!r}: no stored value for header(s) "
                    f"{', '.join(missing)}; connecting without them."
                )
            client: httpx2.AsyncClient = create_mcp_http_client(headers=filled.headers)
            await stack.enter_async_context(client)
            read, write = await stack.enter_async_context(
                streamable_http_client(config.url or "", http_client=client)
            )
        return await stack.enter_async_context(ClientSession(read, write))

    def _register(self, server: McpServer, listed: list[Any]) -> tuple[str, ...]:
        names: list[str] = []
        for mcp_tool in listed:
            name = namespaced(server.config.name, mcp_tool.name)
            self.registry.add(Tool(
                name=name,
                description=(mcp_tool.description or mcp_tool.name)[:1024],
                parameters=mcp_tool.input_schema or {"type": "object", "properties": {}},
                runner=self._runner(server, mcp_tool.name),
                policy=self.policy,
                timeout=self.call_timeout,
                source=server.config.name,
                title=mcp_tool.name,
            ))
            names.append(name)
        return tuple(names)

    def _runner(self, server: McpServer, tool: str) -> Callable[[dict[str, Any]], Any]:
        async def run(args: dict[str, Any]) -> ToolResult:
            session = server.session
            if session is None:
                raise ToolError(f"The MCP server {server.config.name!r} is not running.")
            try:
                result = await session.call_tool(tool, args)
            except ToolError:
                raise
            except Exception as exc:
                raise ToolError(
                    f"The MCP server {server.config.name!r} failed: {_describe(exc)}."
                ) from exc
            return result_text(result)

        return run

    @staticmethod
    def _stderr_tail(server: McpServer) -> str:
        errlog = server.errlog
        if errlog is None or errlog.closed:
            return ""
        with contextlib.suppress(OSError, ValueError):
            errlog.flush()
            errlog.seek(0)
            lines = [line.strip() for line in errlog.read()[-2000:].splitlines() if line.strip()]
            if lines:
                return f" It said: {lines[-1][:200]}"
        return ""


def _innermost(exc: BaseException) -> BaseException:
    """The SDK's task groups wrap what went wrong in exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    exc = _innermost(exc)
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, FileNotFoundError):
        text = f"the command was not found ({exc.filename or text})"
    return text[:300]
