"""The real window on a real X server, for the push-to-talk tests (run as a subprocess).

    python -m tests.gui.ptt_app          # DISPLAY, PULSE_SERVER... from the test

The tests in this folder run offscreen in-process; holding a key through XTest needs the
window on the X server (the xcb platform), so this runs the app's own window in its own
process: push-to-talk turns on the built-in local server, real audio (the PulseAudio
virtual devices the test made), the global key on, the sound cue and echo canceller off. It
prints JSON lines on stdout:

- ``{"ready": true}`` once connected and the window has keyboard focus;
- ``{"sent": type}`` for each turn event the local server received (clear, commit,
  response.create, response.cancel);
- ``{"listening": bool, "badge": bool, "tray": bool}`` when the shown state changes;
- ``{"notice": text}`` for each notice the window shows;
- ``{"got": type, "detail": ...}`` for server events that tell a turn's fate (REPORTED).

Reading ``hide`` on stdin hides the window (to the tray), ``show`` shows it, ``quit`` ends.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TURN_EVENTS = (
    "input_audio_buffer.clear",
    "input_audio_buffer.commit",
    "response.create",
    "response.cancel",
)

REPORTED = (
    "error",
    "response.done",
    "conversation.item.input_audio_transcription.completed",
    "output_audio_buffer.started",
    "output_audio_buffer.stopped",
)


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def main() -> int:
    import qasync

    from desktop.core.call.state import CallState
    from desktop.core.settings.schema import AppSettings
    from desktop.ui.app import build_window

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = AppSettings()
    settings.providers["local"].turn_mode = "push_to_talk"
    # The cue would be the first sound after a release; the test listens for the echo.
    # (The cue has its own tests: test_ptt_keys.py, integration/audio/test_cue_playback.py.)
    settings.ptt_sound_cue = False
    # The virtual microphone and speaker are not coupled (no echo to cancel), and the test
    # talks while the last echo may still play: the canceller's double-talk suppression
    # on a loaded machine then ate whole turns, which is not what this tests.
    settings.audio.echo_cancellation = False
    settings.audio.noise_suppression = False
    window = build_window(loop, settings=settings, persist=False, global_hotkey=True)
    done = asyncio.Event()
    seen: dict[str, Any] = {"events": 0, "ready": False, "shown": None, "notices": set()}

    def poll() -> None:
        server = window.controller.local_server
        if server is not None and server.calls:
            received = server.calls[-1].received
            for event in received[seen["events"]:]:
                kind = event.get("type", "")
                if kind in TURN_EVENTS:
                    say(sent=kind)
            seen["events"] = len(received)
        for text in window.notices.texts():
            if text not in seen["notices"]:
                seen["notices"].add(text)
                say(notice=text)
        shown = (window.listening.isVisible(), "Listening" in window.tray.tooltip)
        if shown != seen["shown"]:
            seen["shown"] = shown
            say(badge=shown[0], tray=shown[1])
        if (
            not seen["ready"]
            and window.controller.state is CallState.CONNECTED
            and app.focusWindow() is window.windowHandle()
            and "anywhere" in window.status.ptt_hint.text()
        ):
            seen["ready"] = True
            say(ready=True)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(poll)
    timer.start()
    def commands() -> None:
        for line in sys.stdin:
            command = line.strip()
            loop.call_soon_threadsafe(handle, command)
        loop.call_soon_threadsafe(handle, "quit")

    def handle(command: str) -> None:
        if command == "hide":
            window.hide()
        elif command == "show":
            window.bring_to_front()
        elif command == "quit":
            window.controller.spawn(quit_app(), "quit")

    async def quit_app() -> None:
        await window.controller.shutdown()
        done.set()

    async def start() -> None:
        window.show()
        window.raise_()
        window.activateWindow()
        window.transcript.setFocus()  # not a text field: Space is push-to-talk
        window.controller.toggle()

    def logged(direction: str, kind: str, payload: object) -> None:
        if direction == "in" and kind in REPORTED:
            detail = payload.get("transcript") or payload.get("error") if isinstance(
                payload, dict) else None
            say(got=kind, detail=detail)
            audio = window.controller.audio
            sink = getattr(audio, "sink", None)
            if kind == "output_audio_buffer.stopped" and sink is not None:
                stats = sink.stats()
                say(speaker=stats.device, frames=stats.frames_received,
                    playout=repr(stats.playout))

    window.controller.event_logged.connect(logged)
    threading.Thread(target=commands, daemon=True).start()
    with loop:
        loop.create_task(start())
        loop.run_until_complete(done.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
