"""The Talkline window: choose a provider, connect, talk or type, read the transcript.

The window renders what `CallController` reports and sends it what the user does; it
never touches the network, the sound devices or the keyring itself. All signal wiring
is in `_connect_signals`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.call.state import CallState, CallStatus
from desktop.core.talk.phase import Phase
from desktop.ui.accessibility import Announcer
from desktop.ui.actions import build_actions, build_menus
from desktop.ui.controller import CallController
from desktop.ui.history.dock import install_history_dock
from desktop.ui.icons import app_icon
from desktop.ui.ptt import Listening, PushToTalk, sound_cue
from desktop.ui.stats.dock import install_stats_dock
from desktop.ui.tools.wiring import window_tools
from desktop.ui.tray import Tray
from desktop.ui.widgets.avatar_panel import AvatarPanel
from desktop.ui.widgets.call_controls import CallControls
from desktop.ui.widgets.event_log import EventLogPanel
from desktop.ui.widgets.message_box import MessageBox
from desktop.ui.widgets.search_bar import SearchBar
from desktop.ui.widgets.status_bar import StatusBar
from desktop.ui.widgets.transcript_view import TranscriptView
from desktop.ui.widgets.voice_picker import preview_clip
from desktop.ui.widgets.wheel_guard import guard_wheel

if TYPE_CHECKING:
    from desktop.core.call.turns import TurnState
    from desktop.core.conversation.model import Conversation
    from desktop.core.settings.schema import AppSettings
    from desktop.ui.global_hotkey import GlobalHotkey

log = logging.getLogger("talkline.ui.window")

MIN_SCALE, MAX_SCALE, SCALE_STEP = 0.8, 2.5, 0.1
STYLE = """
QPushButton, QToolButton#jumpToLatest {
    padding: 4px 12px; border: 1px solid #b6bcc6; border-radius: 6px; background: #f7f8fa;
}
QPushButton:hover { background: #eef0f3; }
QPushButton:checked { background: #fde8e8; border-color: #d64545; }
QPushButton:disabled { color: #9aa0a6; background: #f3f4f6; }
QPushButton:focus, QToolButton#jumpToLatest:focus { border: 2px solid #1d4ed8; }
QComboBox { padding: 3px 8px; border: 1px solid #b6bcc6; border-radius: 6px; }
QComboBox:focus { border: 2px solid #1d4ed8; }
QPushButton#connectButton {
    padding: 7px 26px; border-radius: 7px; font-weight: 600; color: white;
    background: #1f9d55; border: 2px solid #17803f; min-width: 8em;
}
QPushButton#connectButton:hover { background: #23ad5e; }
QPushButton#connectButton[mode="disconnect"] { background: #d64545; border-color: #b83232; }
QPushButton#connectButton[mode="disconnect"]:hover { background: #e05252; }
QPushButton#connectButton:disabled { background: #a7adb5; border-color: #949aa3; }
QPushButton#connectButton:focus { border: 2px solid #1d4ed8; }
QFrame#notice { background: #fff6e6; border: 1px solid #f1c27d; border-radius: 6px; }
QFrame#notice QLabel { color: #5c3b00; }
QLabel#hint { color: #4b5563; }
QLabel#listeningBadge {
    background: #e03131; color: white; border-radius: 8px; padding: 2px 10px; font-weight: 600;
}
QLabel#stateLabel { font-weight: 600; }
QLabel#phaseWords { font-weight: 700; }
QLabel#stateReason { color: #b42318; }
QTextBrowser#transcript { border: 1px solid #d0d4da; border-radius: 6px; }
QTextBrowser#transcript:focus { border: 2px solid #1d4ed8; }
QLabel#transcriptGuide { color: #4b5563; }
"""


class MainWindow(QMainWindow):
    shown_first = Signal()  # the first paint is on screen

    def __init__(
        self,
        controller: CallController,
        *,
        save_settings: Callable[[AppSettings], object] | None = None,
        hotkey: GlobalHotkey | None = None,
        settings_problems: list[str] | None = None,
    ) -> None:
        super().__init__()
        controller.setParent(self)  # Qt owns it: it dies with the window, on this thread
        self.controller = controller
        self.settings = controller.settings
        self._save = save_settings
        self.hotkey = hotkey
        self.quit_handler: Callable[[], None] | None = None
        self.first_paint_at: float | None = None
        self._paint_seen = False
        self._hotkey_problem: str | None = None
        self._quitting = False
        self._call_since: float | None = None  # when the current (or last) call connected
        self.last_preview: Path | None = None  # the last voice sample played (tests)
        self._told_about_tray = False
        self._base_point_size = QApplication.font().pointSizeF()

        self.setWindowTitle("Talkline")
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.resize(QSize(1000, 720))
        # No minimum width of our own: the layout's (controls + open panels) applies, so the
        # window cannot be made narrower than what it shows (controls overlapped).
        self.setMinimumHeight(420)

        self.menu_actions = build_actions(self)
        self._build_body()
        self._build_event_log()
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.status.log_toggle.setDefaultAction(self.event_log_dock.toggleViewAction())
        build_menus(self.menuBar(), self.menu_actions, self.event_log_dock.toggleViewAction())
        self.stats_dock = install_stats_dock(self)  # View ▸ Call quality; quality hints
        self.history_dock = install_history_dock(self)  # View ▸ History (Ctrl+H)
        controller.session.history = lambda: self.history_dock.store  # opened on first use
        self.announcer = Announcer(self.transcript)
        self.tray = Tray(self)
        self.controller.session.use_tools(window_tools(self))  # approval: a prompt here
        self.ptt = PushToTalk(
            press=lambda: self.controller.ptt_press(),
            release=lambda: self.controller.ptt_release(),
            enabled=lambda: self.controller.state is CallState.CONNECTED,
            window=self,
            key=self.settings.ptt_key,
        )
        self.ptt.install()
        self.listening_state = Listening(self)  # the badge and the tray's dot: one answer
        self.listening_state.changed.connect(self._show_listening)
        self.listening_state.short_press.connect(self._on_short_press)
        self._session_timer = QTimer(self)
        self._session_timer.setInterval(1000)
        self._session_timer.timeout.connect(self._tick)
        self._connect_signals()
        self._set_tab_order()

        self.apply_font_scale(self.settings.font_scale, save=False)
        self.event_log_dock.setVisible(self.settings.show_event_log)
        self.stats_dock.setVisible(self.settings.show_call_quality)
        self._restore_window_state()
        self._select_provider(self.settings.provider)
        self._on_status(CallStatus(CallState.IDLE))
        self._update_ptt_hint()
        for problem in settings_problems or []:
            self.notices.show_notice(f"Settings: {problem}", key=f"settings:{problem}")
        self.tray.show()  # where the desktop has a tray

    # -- building ---------------------------------------------------------------------------

    def _build_body(self) -> None:
        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(14, 12, 14, 8)
        column.setSpacing(8)

        controls = CallControls(body)
        guard_wheel(controls)  # a wheel turned over the window does not switch providers
        column.addWidget(controls)
        self.provider = controls.provider
        self.connect_button = controls.connect_button
        self.state = controls.state
        self.hint = controls.hint
        self.notices = controls.notices
        self.mic_meter = controls.mic_meter
        self.speaker_meter = controls.speaker_meter
        self.mute_button = controls.mute_button
        self.interrupt_button = controls.interrupt_button
        self.listening = controls.listening
        self.phase_view = controls.phase
        self.voice_picker = controls.voice_picker

        self.transcript = TranscriptView(body)
        self.transcript.context_actions = [
            self.menu_actions.find,
            self.menu_actions.copy_transcript,
            self.menu_actions.export_markdown,
            self.menu_actions.export_json,
        ]
        self.search = SearchBar(self.transcript, body)
        column.addWidget(self.search)
        self.avatar = AvatarPanel(body)  # visible for providers with video (rtAV)
        column.addWidget(self.avatar, 1)
        column.addWidget(self.transcript, 1)

        self.message = MessageBox(body)
        column.addWidget(self.message)
        self.setCentralWidget(body)

    def _build_event_log(self) -> None:
        self.event_log = EventLogPanel(self)
        dock = QDockWidget("Event log", self)
        dock.setObjectName("eventLogDock")
        dock.setWidget(self.event_log)
        dock.setAllowedAreas(
            Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
        )
        toggle = dock.toggleViewAction()
        toggle.setText("&Event log")
        toggle.setShortcut("Ctrl+L")
        toggle.setStatusTip("Show every event sent and received (Ctrl+L)")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [380], Qt.Orientation.Horizontal)
        self.event_log_dock = dock

    def _set_tab_order(self) -> None:
        chain = [
            self.provider,
            self.connect_button,
            self.state,
            self.mute_button,
            self.interrupt_button,
            self.transcript,
            self.message.edit,
            self.message.send_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)

    def _connect_signals(self) -> None:
        c = self.controller
        c.status_changed.connect(self._on_status)
        c.timings_changed.connect(self.state.set_timings)
        c.session_started.connect(self.transcript.begin_session)
        c.conversation_started.connect(self._on_conversation_started)
        self.history_dock.resume_requested.connect(self.resume_conversation)
        self.history_dock.new_requested.connect(self.controller.new_conversation)
        c.turn_changed.connect(self.transcript.apply_change)
        c.turn_state_changed.connect(self._on_turns)
        c.held_unmute_changed.connect(self._on_held_unmute)
        c.usage_changed.connect(self.status.set_usage)
        c.event_logged.connect(self.event_log.add)
        c.notice.connect(self._on_notice)
        c.notice_cleared.connect(self.notices.dismiss)
        c.audio_changed.connect(self._on_audio)
        c.input_level.connect(self.mic_meter.set_level)
        c.output_level.connect(self.speaker_meter.set_level)
        c.input_level.connect(self.phase_view.set_input_level)
        c.output_level.connect(self.phase_view.set_output_level)
        c.phase_changed.connect(self._on_phase)
        self.phase_view.announced.connect(self._announce_phase)
        c.video_frame.connect(self.avatar.video.show_picture)
        c.motions_changed.connect(self.avatar.motion.set_choices)
        self.avatar.motion.play_requested.connect(self.play_motion)

        a = self.menu_actions
        self.connect_button.clicked.connect(c.toggle)
        a.connect.triggered.connect(c.toggle)
        a.reconnect.triggered.connect(c.reconnect)
        self.mute_button.toggled.connect(self.set_muted)
        a.mute.toggled.connect(self.set_muted)
        self.interrupt_button.clicked.connect(self.interrupt)
        a.interrupt.triggered.connect(self.interrupt)
        a.settings.triggered.connect(self.open_settings)
        a.quit.triggered.connect(lambda: self.request_quit())
        a.find.triggered.connect(self.search.open_bar)
        a.copy_transcript.triggered.connect(self.copy_transcript)
        a.export_markdown.triggered.connect(lambda: self.export_dialog("md"))
        a.export_json.triggered.connect(lambda: self.export_dialog("json"))
        a.zoom_in.triggered.connect(lambda: self.apply_font_scale(self._scale + SCALE_STEP))
        a.zoom_out.triggered.connect(lambda: self.apply_font_scale(self._scale - SCALE_STEP))
        a.zoom_reset.triggered.connect(lambda: self.apply_font_scale(1.0))
        a.focus_message.triggered.connect(
            lambda: self.message.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        )
        self.provider.currentIndexChanged.connect(self._on_provider_chosen)
        self.voice_picker.model_chosen.connect(self._on_model_chosen)
        self.voice_picker.voice_chosen.connect(self._on_voice_chosen)
        self.voice_picker.preview_requested.connect(self.preview_voice)
        self.message.submitted.connect(self.send_text)
        self.transcript.announce.connect(self.announcer.announce)
        self.notices.shown.connect(self.announcer.announce)
        self.notices.link_activated.connect(self._on_link)
        self.hint.linkActivated.connect(self._on_link)
        self.event_log_dock.visibilityChanged.connect(self._on_event_log_visible)
        self.stats_dock.visibilityChanged.connect(self._on_stats_visible)

        self.tray.toggle_call.connect(c.toggle)
        self.tray.mute_toggled.connect(self.set_muted)
        self.tray.show_window.connect(self.bring_to_front)
        self.tray.quit_requested.connect(lambda: self.request_quit())

    # -- start-up ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.first_paint_at is None and not self._paint_seen:
            self._paint_seen = True
            # Runs once this first paint is done; the keyring and sound come after it.
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self.first_paint_at is not None:
            return
        self.first_paint_at = time.monotonic()
        self.shown_first.emit()
        self.controller.warm_up()
        self.controller.session.start_tools()  # MCP servers, in the background
        self.controller.spawn(self._check_key(startup=True), "key-check")
        if self.hotkey is not None:
            self.controller.spawn(self._start_hotkey(), "hotkey")

    async def _check_key(self, *, startup: bool = False) -> None:
        """Warn about a provider without a key; at start-up, fall back to Local."""
        from desktop.core.profiles import get_profile

        pid = self.settings.provider
        profile = get_profile(pid)
        if not profile.requires_key:
            return
        key = await self.controller.resolve_key(profile)
        if key or self.settings.provider != pid:
            self.notices.dismiss("key")
            return
        if startup and not self.controller.state.is_active:
            self._select_provider("local")
            self.notices.show_notice(
                f"There is no key for {profile.name} yet, so Local check is selected. "
                "Add a key in Settings.",
                key="key",
                link="settings",
            )
        else:
            self.notices.show_notice(
                f"There is no key for {profile.name} yet. Add one in Settings.",
                key="key",
                link="settings",
            )

    async def _start_hotkey(self) -> None:
        assert self.hotkey is not None
        problem = await self.hotkey.start(self.settings.global_ptt_key)
        self._update_ptt_hint(problem)

    def _update_ptt_hint(self, hotkey_problem: str | None = None) -> None:
        if hotkey_problem is not None:
            self._hotkey_problem = hotkey_problem
        problem = self._hotkey_problem
        key = self.ptt.key_text
        push_to_talk = self.settings.provider_settings().turn_mode == "push_to_talk"
        text = f"Hold {key} to talk" if push_to_talk else f"Hold {key} to talk while muted"
        where = f"Hold {key} while this window is active (not while typing)"
        if push_to_talk:
            tip = f"{where}: your turn is sent when you let go."
        else:
            tip = (
                f"The server detects when you start and stop speaking. {where} to speak "
                "while Mute is on. Choose push-to-talk turns in Settings to talk only "
                "while the key is held."
            )
        if self.hotkey is not None and self.hotkey.active:
            text += f" · {self.hotkey.binding} anywhere"
            tip += f"\n{self.hotkey.binding} does the same while Talkline is in the background."
        elif problem:
            text += " · no global key"
            tip += "\n" + problem
        self.status.set_ptt_hint(text, tip)
        self.transcript.set_guidance(self._first_steps(key, push_to_talk))

    def _first_steps(self, key: str, push_to_talk: bool) -> str:
        """What the empty transcript says: what to do now, the talk key, where keys go."""
        talk = (
            f"Hold {key} while you speak and let go to send."
            if push_to_talk
            else f"Just speak: the assistant answers when you pause. Hold {key} to talk "
            "while muted."
        )
        from desktop.core.profiles import get_profile

        if get_profile(self.settings.provider).builtin_server:
            where = (
                "Local check plays back what you say, to test your microphone and speaker. "
                "To talk to a model, add a provider key in Settings (Ctrl+,)."
            )
        else:
            where = "Keys and voices are in Settings (Ctrl+,)."
        return (
            "Nothing said yet.\n\n"
            f"1. Press Connect (Ctrl+D).\n2. {talk}\n3. Or type below (Ctrl+T) and press "
            f"Enter.\n\n{where}"
        )

    # -- call state -------------------------------------------------------------------------

    def _on_status(self, status: CallStatus) -> None:
        state = status.state
        self.state.set_status(status)
        active = state.is_active
        closing = state is CallState.CLOSING
        self.connect_button.setText(
            "Hanging up…" if closing else "Disconnect" if active else "Connect"
        )
        self.connect_button.setAccessibleName(self.connect_button.text().rstrip("…"))
        self.connect_button.setProperty("mode", "disconnect" if active else "connect")
        self.connect_button.style().unpolish(self.connect_button)
        self.connect_button.style().polish(self.connect_button)
        self.connect_button.setEnabled(not closing)
        self.menu_actions.connect.setText("&Disconnect" if active else "&Connect")
        self.menu_actions.connect.setEnabled(not closing)
        self.provider.setEnabled(not active)
        self._show_voice_lock()
        connected = state is CallState.CONNECTED
        self.message.set_connected(connected)
        self.avatar.motion.set_connected(connected)
        self.tray.set_state(state)
        if connected:
            self._session_timer.start()
            self._tick()
            self.announcer.announce("Connected")
        elif not active:
            if self._session_timer.isActive():  # a call ended: its length, marked as past
                self._session_timer.stop()
                since = self._call_since
                self.status.set_session(
                    None if since is None else time.monotonic() - since, ended=True
                )
            self.ptt.reset()
            self._on_turns(None)
        if state is CallState.AUTHORIZING:  # a new attempt: the last call's figures go
            self._session_timer.stop()
            self.status.set_session(None)
            self.stats_dock.begin_attempt()
        if state is CallState.FAILED:
            self.announcer.announce(f"Call failed. {status.reason}", assertive=True)
        elif state is CallState.WAITING:
            self.announcer.announce(status.reason, assertive=True)
        elif state is CallState.CLOSED:
            self.announcer.announce("Disconnected")

    def _on_turns(self, turns: TurnState | None) -> None:
        connected = self.controller.state is CallState.CONNECTED
        busy = turns is not None and (turns.response_in_flight or turns.assistant_speaking)
        self.interrupt_button.setEnabled(connected and busy)
        self.menu_actions.interrupt.setEnabled(connected and busy)
        self.listening_state.on_turns(turns)
        self._show_voice_lock()

    def _show_voice_lock(self) -> None:
        call = self.controller.call
        active = self.controller.state.is_active
        self.voice_picker.set_call(active, bool(call is not None and call.voice_fixed))
        self.voice_picker.preview.setEnabled(
            not active and preview_clip(self.voice_picker.current_voice) is not None
        )

    def _on_phase(self, phase: Phase) -> None:
        self.phase_view.set_phase(phase)

    def _announce_phase(self, words: str) -> None:
        if self.controller.state is CallState.CONNECTED:  # the rest: _on_status says it
            self.announcer.announce(words)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self.phase_view.window_state_changed()  # minimised: the orb stops

    def _on_held_unmute(self, held: bool) -> None:
        self.listening_state.on_held_unmute(held)

    def _show_listening(self, listening: bool) -> None:
        # Not compared with isVisible(): that is False while the window is hidden in the
        # tray, which once left the tray's dot (and the badge) on after the global key.
        self.listening.setVisible(listening)
        self.tray.set_listening(listening)
        if self.settings.ptt_sound_cue:
            sound_cue(self.controller.audio, listening)
        if listening:
            self.notices.dismiss("ptt-tap")  # held long enough now (the phase says it)

    def _on_short_press(self) -> None:
        self.notices.show_notice(
            f"Hold {self.ptt.key_text} a little longer to talk: a tap sends nothing.",
            key="ptt-tap",
        )

    def _on_audio(self, mic: bool, speaker: bool) -> None:
        during_call = self.controller.state.is_active
        self.mic_meter.set_available(mic, "no microphone" if during_call else "off")
        self.speaker_meter.set_available(speaker, "no speaker" if during_call else "off")
        self.mute_button.setEnabled(True)

    def _tick(self) -> None:
        since = self.controller.connected_since
        self._call_since = since
        self.status.set_session(None if since is None else time.monotonic() - since)

    def _on_notice(self, text: str, key: str) -> None:
        link = "settings" if "Settings" in text else None
        self.notices.show_notice(text, key=key, link=link)

    # -- what the user does -----------------------------------------------------------------

    def send_text(self, text: str) -> None:
        if not self.controller.send_text(text):
            self.notices.show_notice("Connect first, then send your message.", key="send")

    def interrupt(self) -> None:
        self.controller.interrupt()

    def play_motion(self, motion: str) -> None:
        if not self.controller.play_motion(motion):
            self.notices.show_notice("Connect to rtAV first, then play a motion.", key="motion")

    def set_muted(self, muted: bool) -> None:
        self.controller.set_muted(muted)
        for control in (self.mute_button, self.menu_actions.mute):
            if control.isChecked() != muted:
                control.blockSignals(True)
                control.setChecked(muted)
                control.blockSignals(False)
        self.mute_button.setText("Unmute" if muted else "Mute")
        self.mute_button.setAccessibleName("Unmute microphone" if muted else "Mute microphone")
        self.tray.set_muted(muted)
        self.mic_meter.set_muted(muted)

    def _select_provider(self, provider_id: str) -> None:
        index = self.provider.findData(provider_id)
        if index < 0:
            index = self.provider.findData("local")
        if self.provider.currentIndex() != index:
            self.provider.setCurrentIndex(index)  # → _on_provider_chosen
        else:
            self._on_provider_chosen(index)

    def _on_provider_chosen(self, index: int) -> None:
        from desktop.core.profiles import get_profile

        pid = self.provider.itemData(index) or "local"
        self.hint.setVisible(get_profile(pid).builtin_server)
        self.avatar.set_provider(pid)
        self.voice_picker.set_profile(get_profile(pid), self.settings.provider_settings(pid))
        if pid == self.settings.provider:
            return
        self.settings.provider = pid
        self._update_ptt_hint()  # and the first steps, which name the provider
        self._persist()
        self.notices.dismiss("key")
        if self.first_paint_at is not None:
            self.controller.spawn(self._check_key(), "key-check")

    def _on_model_chosen(self, model: str) -> None:
        self.settings.provider_settings().model = model
        self._persist()

    def _on_voice_chosen(self, voice: str) -> None:
        self.settings.provider_settings().voice = voice
        self._persist()
        if self.controller.state is CallState.CONNECTED:
            self.controller.apply_settings(self.settings)  # the session takes the new voice

    def preview_voice(self, voice: str) -> None:
        """Play the voice's sample on the chosen speaker (not during a call: the
        microphone would hear it)."""
        clip = preview_clip(voice)
        if clip is None or self.controller.state.is_active:
            return
        self.voice_picker.preview.setEnabled(False)
        self.controller.spawn(self._play_preview(clip), "voice-preview")

    async def _play_preview(self, clip: Path) -> None:
        import asyncio

        from desktop.core.audio import device_check
        from desktop.core.audio.devices import SYSTEM_DEFAULT
        from desktop.core.audio.errors import AudioError

        try:
            samples = await asyncio.to_thread(device_check.read_clip, clip)
            await device_check.play(samples, self.settings.audio.output_device or SYSTEM_DEFAULT)
        except (AudioError, OSError) as exc:
            text = exc.message if isinstance(exc, AudioError) else str(exc)
            self.notices.show_notice(f"The voice sample could not play: {text}", key="preview")
        finally:
            self._show_voice_lock()
        self.last_preview = clip

    def apply_font_scale(self, scale: float, *, save: bool = True) -> None:
        """Text size: the system's size times ``scale`` (Ctrl+= / Ctrl+- / Ctrl+0).

        Set through the style sheet: a window with a style sheet does not pass a plain
        ``setFont`` on to its children.
        """
        scale = round(min(MAX_SCALE, max(MIN_SCALE, scale)), 2)
        self._scale = scale
        if self._base_point_size > 0:
            size, unit = max(6.0, self._base_point_size * scale), "pt"
        else:  # a system font given in pixels
            size, unit = max(8.0, QApplication.font().pixelSize() * scale), "px"
        self.setStyleSheet(
            STYLE
            + f"QWidget {{ font-size: {size:.2f}{unit}; }}\n"
            + f"QPushButton#connectButton {{ font-size: {size * 1.12:.2f}{unit}; }}\n"
            + f"QLabel#phaseWords {{ font-size: {size * 1.4:.2f}{unit}; }}\n"
        )
        if save and scale != self.settings.font_scale:
            self.settings.font_scale = scale
            self._persist()

    @property
    def font_scale(self) -> float:
        return self._scale

    def _on_event_log_visible(self, visible: bool) -> None:
        self._remember_dock("show_event_log", visible)

    def _on_stats_visible(self, visible: bool) -> None:
        self._remember_dock("show_call_quality", visible)

    def _remember_dock(self, name: str, visible: bool) -> None:
        if self._quitting or visible == getattr(self.settings, name):
            return
        if not self.isVisible():
            return  # hiding the window hides the dock too; that is not a choice
        setattr(self.settings, name, visible)
        self._persist()

    # -- transcript -------------------------------------------------------------------------

    def resume_conversation(self, conversation_id: str) -> None:
        """Go on with a saved conversation: its turns are shown, and Connect tells them to
        the model first (a call under way is hung up)."""
        if not self.controller.resume(conversation_id):
            self.notices.show_notice(
                "That conversation is no longer in the history.", key="history"
            )
            return
        if not self.controller.state.is_active:
            self.controller.connect_call()

    def _on_conversation_started(self, conversation: Conversation) -> None:
        from desktop.core.conversation.model import TurnChange

        self.transcript.begin_session("Resumed conversation" if conversation.items else
                                      "New conversation")
        for index, turn in enumerate(conversation.items):
            self.transcript.apply_change(TurnChange("added", turn, index))

    def merged_conversation(self) -> Conversation:
        """Every call of this run as one conversation (what the transcript shows)."""
        from desktop.core.conversation.model import Conversation
        from desktop.core.events.payloads import Usage

        conversations = self.controller.conversations
        if len(conversations) == 1:
            return conversations[0]
        turns = [turn for conv in conversations for turn in conv.items]
        usage: dict[str, Usage] = {}
        for conv in conversations:
            usage.update(conv.usage_by_response)
        merged = Conversation()
        merged.load(turns, usage)
        return merged

    def transcript_text(self, fmt: str) -> str:
        conversation = self.merged_conversation()
        return conversation.to_json() if fmt == "json" else conversation.to_markdown()

    def copy_transcript(self) -> None:
        QGuiApplication.clipboard().setText(self.transcript_text("md"))
        self.statusBar().showMessage("Transcript copied as Markdown", 3000)

    def export_to(self, path: Path, fmt: str) -> bool:
        try:
            path.write_text(self.transcript_text(fmt), encoding="utf-8")
        except OSError as exc:
            self.notices.show_notice(
                f"Could not save the transcript to {path}: {exc.strerror or exc}.", key="export"
            )
            return False
        self.statusBar().showMessage(f"Transcript saved to {path}", 5000)
        return True

    def export_dialog(self, fmt: str) -> None:
        suffix, label = ("json", "JSON (*.json)") if fmt == "json" else ("md", "Markdown (*.md)")
        default = Path.home() / f"talkline-{time.strftime('%Y%m%d-%H%M')}.{suffix}"
        name, _ = QFileDialog.getSaveFileName(self, "Export transcript", str(default), label)
        if name:
            self.export_to(Path(name), fmt)

    # -- settings ---------------------------------------------------------------------------

    def open_settings(self) -> None:
        from desktop.ui.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.controller.keystore, self)
        dialog.saved.connect(self.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def apply_settings(self, settings: AppSettings) -> None:
        old = self.settings
        self.settings = settings
        self.controller.apply_settings(settings)
        self.ptt.set_key(settings.ptt_key)
        self.apply_font_scale(settings.font_scale, save=False)
        self.event_log_dock.setVisible(settings.show_event_log)
        self.stats_dock.setVisible(settings.show_call_quality)
        self.history_dock.apply_settings(settings)
        if settings.tools != old.tools:  # built-ins switched, another folder, MCP servers
            self.controller.spawn(
                self.controller.session.replace_tools(window_tools(self)), "tools"
            )
        if not self.controller.state.is_active:
            self._select_provider(settings.provider)
        self._on_provider_chosen(self.provider.currentIndex())  # the pickers show the new lists
        if self.hotkey is not None and settings.global_ptt_key != old.global_ptt_key:
            self.controller.spawn(self._start_hotkey(), "hotkey")
        else:
            self._update_ptt_hint()
        self.controller.spawn(self._check_key(), "key-check")
        self._persist()

    def _on_link(self, link: str) -> None:
        if link == "settings":
            self.open_settings()

    def persist_settings(self) -> None:
        self._persist()

    def _persist(self) -> None:
        if self._save is None:
            return
        try:
            problem = self._save(self.settings)  # None, or a sentence saying why not
        except Exception:  # a read-only config folder must not break the window
            log.exception("could not save settings")
            problem = "Settings could not be saved."
        if isinstance(problem, str) and problem:
            self.notices.show_notice(problem, key="save")

    # -- window life ------------------------------------------------------------------------

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def request_quit(self, *, ask: bool = True) -> None:
        """Quit (Ctrl+Q, the menu, the tray); during a call, after asking."""
        if ask and self.controller.state.is_active:
            self._confirm_quit()
            return
        self._quitting = True
        self._save_window_state()
        if self.quit_handler is not None:
            self.quit_handler()
        else:
            self.close()

    def _confirm_quit(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Quit Talkline?",
            "A call is under way. Hang up and quit?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("quitQuestion")
        quit_button = box.addButton("Hang up and quit", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(quit_button)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(
            lambda _result: self.request_quit(ask=False)
            if box.clickedButton() is quit_button
            else None
        )
        self.bring_to_front()
        box.open()

    def _save_window_state(self) -> None:
        """Size, position, docks and splitter sizes, for the next start."""
        geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        state = bytes(self.saveState().toBase64().data()).decode("ascii")
        value = f"{geometry} {state}"
        if value != self.settings.window_state:
            self.settings.window_state = value
            self._persist()

    def _restore_window_state(self) -> None:
        geometry, _, state = self.settings.window_state.partition(" ")
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        if state:
            self.restoreState(QByteArray.fromBase64(state.encode("ascii")))
        # The saved flags decide which docks are open (they may be newer than the state).
        self.event_log_dock.setVisible(self.settings.show_event_log)
        self.stats_dock.setVisible(self.settings.show_call_quality)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._quitting and self.settings.minimize_to_tray and self.tray.available():
            event.ignore()
            self.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self.tray.icon.showMessage(
                    "Talkline is still running", "Use the tray icon to open it or to quit."
                )
            return
        if not self._quitting and self.quit_handler is not None:
            event.ignore()
            self.request_quit()
            return
        if not self._quitting:
            self._save_window_state()
        self.ptt.uninstall()
        if self.hotkey is not None:
            self.hotkey.stop()
        self.tray.hide()
        event.accept()
