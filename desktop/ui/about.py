"""Help ▸ About Talkline: the version, the licence of the whole, and every component's.

The data is `desktop.core.licences` (the bundle's generated list, or the installed
packages from source). Licence texts come from files and are shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.licences import Licences, licences


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, data: Licences | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Talkline")
        self.resize(720, 560)
        self.data = data or licences()

        title = QLabel(f"Talkline {self.data.version}")
        title.setTextFormat(Qt.TextFormat.PlainText)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        statement = QLabel(self.data.statement)
        statement.setTextFormat(Qt.TextFormat.PlainText)
        statement.setWordWrap(True)

        self.components = QTreeWidget()
        self.components.setHeaderLabels(["Component", "Version", "Licence", "Source"])
        self.components.setRootIsDecorated(False)
        self.components.setAlternatingRowColors(True)
        for c in self.data.components:
            item = QTreeWidgetItem([c.name, c.version, c.license, c.source])
            item.setToolTip(3, c.source)
            self.components.addTopLevelItem(item)
        for column in range(3):
            self.components.resizeColumnToContents(column)
        self.text = QPlainTextEdit()  # plain text: licence files are never markup
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.components.currentItemChanged.connect(self._show_text)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.components)
        split.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(statement)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        first = self.components.topLevelItem(0)
        if first is not None:
            self.components.setCurrentItem(first)

    def _show_text(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        c = self.data.components[self.components.indexOfTopLevelItem(item)]
        header = f"{c.name} {c.version}: {c.license}\nSource: {c.source}\n\n"
        self.text.setPlainText(header + (c.text or "The licence text is in the source above."))


def show_about(parent: QWidget | None) -> AboutDialog:
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
