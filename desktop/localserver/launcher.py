"""The built-in server as the app and the CLI hand it to a `TalkSession`: started on
first use (importing aiortc and binding a port only when Local is used), stopped at exit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # aiortc loads when Local is first used, not with the window
    from desktop.localserver.server import LocalRealtimeServer


def _new_server() -> LocalRealtimeServer:
    from desktop.localserver.server import LocalRealtimeServer

    return LocalRealtimeServer()


class LocalServerLauncher:
    def __init__(self, make: Callable[[], LocalRealtimeServer] = _new_server) -> None:
        self._make = make
        self.server: LocalRealtimeServer | None = None
        self._lock = asyncio.Lock()  # two connects at once must not start two servers

    async def base_url(self) -> str:
        """The running server's URL; raises OSError when it cannot start."""
        async with self._lock:
            if self.server is None or self.server.base_url is None:
                server = self._make()
                await server.start()
                self.server = server
            assert self.server.base_url is not None
            return self.server.base_url

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()
