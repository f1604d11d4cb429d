"""Coroutines started from Qt slots, kept alive, cancelled when their widget goes away.

The window runs on a qasync loop, so a slot can start a task; nobody else holds the task,
so it is kept here (RUF006), and its failure is logged rather than lost or raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("talkline.ui.settings")


class Tasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no qasync loop running: nothing can be awaited
            coro.close()
            log.warning("no running event loop; %s not started", getattr(coro, "__name__", coro))
            return None
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("settings task failed", exc_info=task.exception())

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
