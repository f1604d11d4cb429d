"""The system clipboard through Qt, for the built-in clipboard tools."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication


class QtClipboard:
    """``desktop.core.tools.builtin.Clipboard`` for the window (the Qt thread's loop)."""

    async def set_text(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    async def text(self) -> str:
        return QGuiApplication.clipboard().text()
