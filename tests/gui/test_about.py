"""Help ▸ About Talkline: the version, the licence of the whole and of every component."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from desktop import __version__
from desktop.core.settings.schema import AppSettings
from desktop.ui.about import AboutDialog
from tests.gui.conftest import Gui, WindowFactory


def _about_dialog() -> AboutDialog | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog)]
    return found[0] if found and found[0].isVisible() else None


def test_help_menu_shows_the_version_and_every_licence(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window(AppSettings())
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    about = next(a for a in help_menu.actions() if a.text() == "&About Talkline")
    about.trigger()
    gui.until(lambda: _about_dialog() is not None, "the About dialog to open")
    dialog = _about_dialog()
    assert dialog is not None

    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert f"Talkline {__version__}" in labels
    assert any("MIT" in text and "GNU General Public License" in text for text in labels)
    rows = {
        dialog.components.topLevelItem(i).text(0): dialog.components.topLevelItem(i).text(2)
        for i in range(dialog.components.topLevelItemCount())
    }
    assert rows["Talkline"] == "MIT"
    assert rows["aiortc"] == "BSD-3-Clause"
    assert rows["av"] == "BSD-3-Clause"  # the wheel; its FFmpeg is listed in the package
    # Choosing a component shows its licence text (plain text, as the file says it).
    items = [dialog.components.topLevelItem(i) for i in range(len(rows))]
    dialog.components.setCurrentItem(next(i for i in items if i.text(0) == "aiortc"))
    assert "aiortc" in dialog.text.toPlainText()
    assert "Redistribution and use in source and binary forms" in dialog.text.toPlainText()
    dialog.reject()
