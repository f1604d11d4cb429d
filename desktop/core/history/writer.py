"""The history's one writing connection, on its own thread, fed by a queue.

SQLite writes take milliseconds (and much longer when another process holds the lock);
the asyncio loop only puts a job on the queue. Each job is its own transaction, committed
when it ends: a process killed mid-conversation loses at most what was still queued.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger("talkline.history")

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], object]


class Writer:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._closed = False
        self.failures = 0  # jobs that raised (each is logged)
        self._thread.start()

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        future: Future[T] = Future()
        if self._closed:
            future.set_exception(RuntimeError("the history is closed"))
            return future
        self._queue.put((job, future))
        return future

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every job queued before this call is committed."""
        self.submit(lambda _db: None).result(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        db = self._connect()
        try:
            while True:
                entry = self._queue.get()
                if entry is None:
                    return
                job, future = entry
                try:
                    db.execute("BEGIN IMMEDIATE")
                    result = job(db)
                    db.execute("COMMIT")
                except BaseException as exc:
                    self.failures += 1
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    log.exception("saving to the history failed")
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            db.close()
