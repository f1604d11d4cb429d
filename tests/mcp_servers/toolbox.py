"""An MCP server for the tests, written with the official SDK (run: python toolbox.py MODE).

Modes: ``ok`` (tools add, shout, crash, slow), ``exit`` (exits at start), ``hang`` (reads
stdin and never answers), ``garbage`` (prints non-JSON on stdout, then serves), ``http
PORT`` (streamable HTTP on 127.0.0.1), ``spawn PIDFILE`` (serves, writes its pid first).
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("toolbox")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two whole numbers."""
    return str(a + b)


@server.tool()
def shout(text: str) -> str:
    """Say it in capitals."""
    return text.upper()


@server.tool()
def crash() -> str:
    """Ends the server process mid-call."""
    os._exit(3)


@server.tool()
def slow(seconds: float) -> str:
    """Sleeps, then answers."""
    time.sleep(seconds)
    return "slept"


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
    if mode == "exit":
        sys.stderr.write("toolbox: refusing to start\n")
        sys.exit(2)
    if mode == "hang":
        for _line in sys.stdin:
            pass
        return
    if mode == "garbage":
        sys.stdout.write("this is not JSON-RPC\n{broken\n")
        sys.stdout.flush()
    if mode == "spawn":
        with open(sys.argv[2], "w") as f:
            f.write(str(os.getpid()))
    if mode == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
        return
    server.run()


if __name__ == "__main__":
    main()
