"""Small builders so every field gets a label with a buddy and an accessible name."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from desktop.core.catalog import Choice

_SELECTABLE = (
    Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def add_row(
    form: QFormLayout,
    text: str,
    field: QWidget,
    *,
    help_text: str = "",
    name: str = "",
    container: QWidget | None = None,
) -> QLabel:
    """`text` labels `field` (mnemonic `&` allowed); screen readers hear `name` or `text`.

    `container` is what the row shows when the field sits among other widgets."""
    label = QLabel(text)
    label.setBuddy(field)
    field.setAccessibleName((name or text).replace("&", "").rstrip(":"))
    if help_text:
        field.setToolTip(help_text)
        field.setAccessibleDescription(help_text)
    form.addRow(label, container or field)
    return label


def note_label(text: str = "", name: str = "") -> QLabel:
    """A wrapped, selectable line of explanation that screen readers can reach."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(_SELECTABLE)
    if name:
        label.setAccessibleName(name)
    return label


def editable_combo() -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


def set_choices(combo: QComboBox, choices: Iterable[Choice], current: str) -> None:
    """Replace the list, keeping `current` as the text even when it is not in the list."""
    combo.blockSignals(True)
    combo.clear()
    for choice in choices:
        combo.addItem(choice.label, choice.value)
        if choice.description:
            combo.setItemData(combo.count() - 1, choice.description, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(current)
    if index >= 0:
        combo.setCurrentIndex(index)
    else:
        combo.setCurrentIndex(-1)
        combo.setEditText(current)
    combo.blockSignals(False)


def combo_value(combo: QComboBox) -> str:
    """What the session should carry: the chosen item's value, or the typed text."""
    text = combo.currentText().strip()
    index = combo.currentIndex()
    if index >= 0 and combo.itemText(index) == combo.currentText():
        return str(combo.itemData(index))
    found = combo.findText(text)
    if found >= 0:
        return str(combo.itemData(found))
    return text
