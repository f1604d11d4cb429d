"""The prompt before a tool runs: which tool, from where, with what; 60 s, then Deny.

Everything shown comes from the model or a server: it is plain text (never markup).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.tools.approval import APPROVAL_TIMEOUT, ApprovalRequest, Decision


def _plain(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class ApprovalDialog(QDialog):
    decided = Signal(object)  # Decision, exactly once

    def __init__(
        self,
        request: ApprovalRequest,
        seconds: float = APPROVAL_TIMEOUT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.request = request
        self._left = int(seconds)
        self._decision: Decision | None = None
        self.setWindowTitle("Allow this action? — Talkline")
        self.setAccessibleName("Approve a tool")
        where = "Talkline" if request.source == "built-in" else f"MCP server {request.source}"
        self.heading = _plain(f"The assistant wants to run {request.tool} ({where}).")
        self.heading.setAccessibleName("Tool and source")
        self.description = _plain(request.description)
        self.description.setAccessibleName("What the tool does")
        self.arguments = QPlainTextEdit(request.arguments_text)  # plain text by construction
        self.arguments.setReadOnly(True)
        self.arguments.setAccessibleName("Arguments")
        self.countdown = _plain("")
        self.countdown.setAccessibleName("Time left to decide")

        self.buttons = QDialogButtonBox()
        self.allow_once = QPushButton("Allow &once")
        self.always = QPushButton("&Always allow")
        self.deny = QPushButton("&Deny")
        for button, role in ((self.allow_once, QDialogButtonBox.ButtonRole.AcceptRole),
                             (self.always, QDialogButtonBox.ButtonRole.AcceptRole),
                             (self.deny, QDialogButtonBox.ButtonRole.RejectRole)):
            self.buttons.addButton(button, role)
        for button in (self.allow_once, self.always):
            button.setAutoDefault(False)  # Enter by reflex must not run anything
        self.allow_once.clicked.connect(lambda: self.decide(Decision.ALLOW_ONCE))
        self.always.clicked.connect(lambda: self.decide(Decision.ALWAYS))
        self.deny.clicked.connect(lambda: self.decide(Decision.DENY))

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        if request.description:
            layout.addWidget(self.description)
        layout.addWidget(_plain("Arguments:"))
        layout.addWidget(self.arguments, 1)
        layout.addWidget(self.countdown)
        layout.addWidget(self.buttons)
        self.resize(460, 320)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._show_left()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.deny.setDefault(True)

    def _tick(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self.decide(Decision.DENY)
        else:
            self._show_left()

    def _show_left(self) -> None:
        self.countdown.setText(f"Denied automatically in {self._left} s.")

    def decide(self, decision: Decision) -> None:
        if self._decision is not None:
            return
        self._decision = decision
        self._timer.stop()
        self.decided.emit(decision)
        self.done(QDialog.DialogCode.Accepted if decision.allowed
                  else QDialog.DialogCode.Rejected)

    def dismiss(self) -> None:
        """Close without an answer (the tool was cancelled meanwhile)."""
        self._decision = self._decision or Decision.DENY
        self._timer.stop()
        self.close()

    def reject(self) -> None:  # Escape
        self.decide(Decision.DENY)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.decide(Decision.DENY)
        super().closeEvent(event)


class QtApprover:
    """The Approver of the window: a dialog per request; a tray message when hidden."""

    def __init__(
        self,
        window: QWidget | None,
        notify: Callable[[str, str], None] | None = None,
        seconds: float = APPROVAL_TIMEOUT,
    ) -> None:
        self._window = window
        self._notify = notify  # e.g. tray.icon.showMessage(title, text)
        self._seconds = seconds
        self.open: list[ApprovalDialog] = []

    async def ask(self, request: ApprovalRequest) -> Decision:
        answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        dialog = ApprovalDialog(request, self._seconds, self._window)
        def decided(decision: Decision) -> None:
            if not answer.done():
                answer.set_result(decision)

        dialog.decided.connect(decided)
        self.open.append(dialog)
        dialog.show()
        dialog.raise_()
        if self._notify is not None and (self._window is None or not self._window.isVisible()):
            self._notify("Talkline: allow an action?",
                         f"The assistant wants to run {request.tool}. Open Talkline to decide.")
        try:
            return await answer
        finally:
            # Answered, or the tool was cancelled (Stop, barge-in): the prompt goes away.
            self.open.remove(dialog)
            dialog.dismiss()
            dialog.deleteLater()
