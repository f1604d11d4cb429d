"""A tiny synchronous publish/subscribe, so the core never needs Qt signals.

The UI bridge connects to these and re-emits them as Qt signals on the same loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("talkline.observable")


class Emitter(Generic[T]):
    """Calls every subscriber with each emitted value, in subscription order.

    A subscriber that raises is logged and skipped: one broken view must not break a call.
    """

    def __init__(self) -> None:
        self._subscribers: list[Callable[[T], object]] = []

    def connect(self, callback: Callable[[T], object]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def disconnect() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return disconnect

    def emit(self, value: T) -> None:
        for callback in list(self._subscribers):
            try:
                callback(value)
            except Exception:
                log.exception("subscriber %r failed", callback)
