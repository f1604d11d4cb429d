"""The window's commands as QActions, with their shortcuts, grouped into menus."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenuBar

from desktop.ui.about import show_about


@dataclass
class Actions:
    connect: QAction
    reconnect: QAction
    mute: QAction
    interrupt: QAction
    settings: QAction
    quit: QAction
    find: QAction
    copy_transcript: QAction
    export_markdown: QAction
    export_json: QAction
    zoom_in: QAction
    zoom_out: QAction
    zoom_reset: QAction
    focus_message: QAction


def _action(
    window: QMainWindow,
    text: str,
    *shortcuts: QKeySequence | str | QKeySequence.StandardKey,
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    keys = _distinct(shortcuts)
    if keys:
        action.setShortcuts(keys)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    # Window-wide, so a shortcut works whichever control has focus.
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.addAction(action)
    return action


def _distinct(
    shortcuts: tuple[QKeySequence | str | QKeySequence.StandardKey, ...],
) -> list[QKeySequence]:
    """Each key once, in order, without empties.

    A standard key (Quit, Preferences) stands for the platform's bindings, which may be
    none (Preferences on X11) or the same as a spelled-out fallback ("Ctrl+Q" on X11).
    Two equal bindings on one action make Qt report "Ambiguous shortcut overload" and do
    nothing; an empty first binding hides the shortcut in the menu.
    """
    seen: dict[str, QKeySequence] = {}
    for shortcut in shortcuts:
        if isinstance(shortcut, QKeySequence.StandardKey):
            sequences = QKeySequence.keyBindings(shortcut)
        else:
            sequences = [QKeySequence(shortcut)]
        for sequence in sequences:
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text and text not in seen:
                seen[text] = sequence
    return list(seen.values())


def build_actions(window: QMainWindow) -> Actions:
    std = QKeySequence.StandardKey
    mute = _action(window, "&Mute microphone", "Ctrl+M", tip="Stop sending your voice (Ctrl+M)")
    mute.setCheckable(True)
    return Actions(
        connect=_action(window, "&Connect", "Ctrl+D", tip="Connect or hang up (Ctrl+D)"),
        reconnect=_action(window, "&Reconnect", "Ctrl+Shift+D", tip="Hang up and connect again"),
        mute=mute,
        interrupt=_action(window, "&Interrupt", "Esc", tip="Stop the assistant speaking (Esc)"),
        settings=_action(window, "&Settings…", std.Preferences, "Ctrl+,"),
        quit=_action(window, "&Quit", std.Quit, "Ctrl+Q"),
        find=_action(window, "&Find…", std.Find),
        copy_transcript=_action(
            window, "&Copy transcript", "Ctrl+Shift+C", tip="Copy the transcript as Markdown"
        ),
        export_markdown=_action(window, "Export as &Markdown…", std.Save),
        export_json=_action(window, "Export as &JSON…", "Ctrl+Shift+S"),
        zoom_in=_action(window, "&Larger text", std.ZoomIn, "Ctrl+="),
        zoom_out=_action(window, "&Smaller text", std.ZoomOut),
        zoom_reset=_action(window, "&Normal text size", "Ctrl+0"),
        focus_message=_action(window, "&Type a message", "Ctrl+T", "F6"),
    )


def build_menus(bar: QMenuBar, actions: Actions, event_log_toggle: QAction) -> None:
    app_menu = bar.addMenu("&Talkline")
    app_menu.addAction(actions.settings)
    app_menu.addSeparator()
    app_menu.addAction(actions.quit)
    call = bar.addMenu("&Call")
    for action in (actions.connect, actions.reconnect, actions.mute, actions.interrupt):
        call.addAction(action)
    transcript = bar.addMenu("T&ranscript")
    for action in (actions.find, actions.copy_transcript, actions.focus_message):
        transcript.addAction(action)
    transcript.addSeparator()
    transcript.addAction(actions.export_markdown)
    transcript.addAction(actions.export_json)
    view = bar.addMenu("&View")
    view.addAction(event_log_toggle)
    view.addSeparator()
    for action in (actions.zoom_in, actions.zoom_out, actions.zoom_reset):
        view.addAction(action)
    about = bar.addMenu("&Help").addAction("&About Talkline")
    about.setMenuRole(QAction.MenuRole.AboutRole)  # macOS: in the application menu
    about.triggered.connect(lambda: show_about(bar.window()))
