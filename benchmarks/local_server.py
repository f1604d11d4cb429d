"""The built-in local server in its own process, for benchmarks: only Talkline is then
measured, as with a hosted provider.

    with local_server(echo_mode="immediate") as base_url: ...
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = (
    "import asyncio, sys\n"
    "from desktop.localserver.server import serve_forever\n"
    "kw = {'echo_mode': sys.argv[2]} if len(sys.argv) > 2 else {}\n"
    "asyncio.run(serve_forever('127.0.0.1', int(sys.argv[1]), **kw))\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_server(echo_mode: str | None = None) -> Iterator[str]:
    """Start the server, wait until it listens, yield its base URL, stop it."""
    args = [sys.executable, "-c", SERVER, str(free_port())]
    if echo_mode is not None:
        args.append(echo_mode)
    server = subprocess.Popen(
        args, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[-1]  # "... listening on <base url>"
    finally:
        server.terminate()
        server.wait(timeout=10)
