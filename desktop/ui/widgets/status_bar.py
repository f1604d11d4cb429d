"""The status bar: session time, tokens used, estimated cost, and the push-to-talk hint."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton, QWidget

from desktop.ui.widgets.state_indicator import format_elapsed


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.session = QLabel(self)
        self.tokens = QLabel(self)
        self.cost = QLabel(self)
        self.ptt_hint = QLabel(self)
        for label, name in (
            (self.session, "Session time"),
            (self.tokens, "Tokens used"),
            (self.cost, "Estimated cost"),
            (self.ptt_hint, "Push-to-talk"),
        ):
            label.setAccessibleName(name)
            self.addPermanentWidget(label)
        self.cost.setToolTip(
            "An estimate from the token counts the server reports and the prices in "
            "prices.json (editable)."
        )
        self.log_toggle = QToolButton(self)
        self.log_toggle.setAutoRaise(True)
        self.addPermanentWidget(self.log_toggle)
        self.set_session(None)
        self.set_usage(0, None)

    def set_session(self, seconds: float | None, *, ended: bool = False) -> None:
        """The call's length; `ended`: the last call's, said as such (not a frozen clock)."""
        if seconds is None:
            self.session.setText("No session")
        elif ended:
            self.session.setText(f"Last session {format_elapsed(seconds)}")
        else:
            self.session.setText(f"Session {format_elapsed(seconds)}")

    def set_usage(self, tokens: int, cost: str | None) -> None:
        self.tokens.setText(f"{tokens:,} tokens")
        self.cost.setText(f"≈ {cost}" if cost else "")
        self.cost.setVisible(bool(cost))

    def set_ptt_hint(self, text: str, tooltip: str = "") -> None:
        self.ptt_hint.setText(text)
        self.ptt_hint.setToolTip(tooltip)
        self.ptt_hint.setAccessibleDescription(tooltip or text)
