"""The history sidebar on a real history file: lists, searches with the words highlighted,
reads, resumes, deletes (with a confirmation), and sits in the window's View menu."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.core.history import HistoryStore, SavedTurn
from desktop.ui.history.reader import highlight_format
from desktop.ui.history.sidebar import HistorySidebar

TALKS = [
    ("Plan a picnic", "Bring 😀 bread and a kumquat tart for everyone."),
    ("Book a train <b>to Lyon</b>", "The 9:04 train reaches Lyon at noon."),
    ("What is the weather", "Sunny all day."),
]


def fill(store: HistoryStore) -> list[str]:
    ids = []
    for n, (asked, answered) in enumerate(TALKS):
        cid = store.start_conversation("openai", "gpt-realtime", "marin",
                                       started=time.time() - 3600 * (3 - n))
        for i, (role, text) in enumerate((("user", asked), ("assistant", answered))):
            store.save_turn(cid, SavedTurn(f"i{i}", role, "message", text, "completed",
                                           time.time(), time.time()))
        ids.append(cid)
    store.flush()
    return ids


@pytest.fixture
def store(tmp_path: Path):
    s = HistoryStore.open(tmp_path / "h.sqlite3")
    yield s
    s.close()


@pytest.fixture
def sidebar(qtbot, store) -> HistorySidebar:
    widget = HistorySidebar(store)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def texts(sidebar: HistorySidebar) -> list[str]:
    return [sidebar.list.item(i).text() for i in range(sidebar.list.count())]


def test_lists_the_conversations_newest_first(sidebar, store) -> None:
    fill(store)
    sidebar.refresh()
    shown = texts(sidebar)
    assert [t.splitlines()[0] for t in shown] == [
        "What is the weather", "Book a train <b>to Lyon</b>", "Plan a picnic"]
    assert "openai" in shown[0].splitlines()[1]


def test_search_finds_and_highlights_the_words(qtbot, sidebar, store) -> None:
    ids = fill(store)
    sidebar.refresh()
    qtbot.keyClicks(sidebar.search, "kumquat")
    qtbot.waitUntil(lambda: sidebar.list.count() == 1)
    assert "kumquat tart" in texts(sidebar)[0]
    sidebar.list.setCurrentRow(0)
    sidebar.list.itemActivated.emit(sidebar.list.item(0))
    assert sidebar.pages.currentIndex() == 1
    reader = sidebar.reader
    assert reader.highlights == 1
    text = reader.toPlainText()
    cursor = QTextCursor(reader.document())
    # Qt counts UTF-16 units: the emoji before the word takes two.
    cursor.setPosition(utf16(text, text.index("kumquat")) + 1)
    assert cursor.charFormat().background() == highlight_format().background()
    cursor.setPosition(utf16(text, text.index("kumquat")) + 7)
    assert cursor.charFormat().background() == highlight_format().background()
    cursor.setPosition(utf16(text, text.index("tart")) + 1)
    assert cursor.charFormat().background() != highlight_format().background()
    with qtbot.waitSignal(sidebar.resume_requested) as resumed:
        qtbot.mouseClick(sidebar.resume_button, Qt.MouseButton.LeftButton)
    assert resumed.args == [ids[0]]


def test_more_conversations_load_as_the_list_scrolls(qtbot, sidebar, store) -> None:
    for n in range(120):
        store.start_conversation("local", "m", "v", started=1_700_000_000 + n)
    store.flush()
    sidebar.resize(300, 400)
    sidebar.refresh()
    bar = sidebar.list.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # laid out
    assert sidebar.list.count() == 50  # the first page only
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: sidebar.list.count() == 100)
    qtbot.waitUntil(lambda: bar.value() < bar.maximum() - 2)
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: sidebar.list.count() == 120)


def test_stored_text_is_shown_as_plain_text(sidebar, store) -> None:
    ids = fill(store)
    sidebar.refresh()
    assert sidebar.open(ids[1])
    assert "Book a train <b>to Lyon</b>" in sidebar.reader.toPlainText()
    assert sidebar.title.textFormat() == Qt.TextFormat.PlainText


def test_resume_from_the_list_emits_the_selected_id(qtbot, sidebar, store) -> None:
    ids = fill(store)
    sidebar.refresh()
    sidebar.list.setCurrentRow(1)
    with qtbot.waitSignal(sidebar.resume_requested) as resumed:
        sidebar.resume_button.click()
    assert resumed.args == [ids[1]]
    with qtbot.waitSignal(sidebar.new_requested):
        sidebar.new_button.click()


def test_delete_asks_first_then_removes_it(sidebar, store) -> None:
    ids = fill(store)
    sidebar.refresh()
    sidebar.list.setCurrentRow(0)

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        box.button(button).click()

    QTimer.singleShot(50, lambda: answer(QMessageBox.StandardButton.Cancel))
    sidebar.delete_action.trigger()
    assert store.get(ids[2]) is not None and sidebar.list.count() == 3
    QTimer.singleShot(50, lambda: answer(QMessageBox.StandardButton.Yes))
    sidebar.delete_action.trigger()
    assert store.get(ids[2]) is None
    assert [t.splitlines()[0] for t in texts(sidebar)] == [
        "Book a train <b>to Lyon</b>", "Plan a picnic"]


def test_the_window_shows_the_users_history_from_the_view_menu(qtbot, make_window) -> None:
    store = HistoryStore.open(Path(os.environ["TALKLINE_HISTORY"]))
    fill(store)
    store.close()
    window = make_window()
    dock = window.history_dock
    assert not dock.isVisible()
    toggle = dock.toggleViewAction()
    assert toggle.shortcut().toString() == "Ctrl+H"
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert toggle in view.actions()
    toggle.trigger()
    qtbot.waitUntil(lambda: dock.sidebar is not None and dock.sidebar.list.count() == 3)
    dock.sidebar.list.setCurrentRow(0)
    with qtbot.waitSignal(dock.resume_requested) as resumed:  # what the window wires
        dock.sidebar.resume_button.click()
    assert resumed.args == [dock.sidebar.selected_id()]
