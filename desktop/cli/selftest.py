"""`talkline --self-test`: does this installed Talkline work on this machine?

Runs each check and prints one line for it, then a verdict:

    ok    window          Qt 6.11.3 offscreen, main window shown, icon from talkline.svg
    ok    call            1.0 s of audio went to the local server over WebRTC and came back
    ok    keyring         keyring.backends.SecretService.Keyring
    warn  audio           PortAudio V19.6.0 (libportaudio.so.2); no microphone or speaker ...
    ok    echo canceller  WebRTC audio processing (livekit) loaded and ran, called directly
    ok    codecs          Opus, VP8, H.264, JPEG encoded and decoded (FFmpeg 8.1.2); left ...

"ok" and "warn" pass: a warning is a fact about this machine (no sound server, no keyring)
that the app copes with. "FAIL" means the install is broken (a library missing from the
bundle, audio that does not come back). Exit status 0 when nothing failed, else 1 with the
failing checks named on the last line. `--require-devices` and `--require-keyring` turn
those two warnings into failures, for machines that must have them.

Qt runs offscreen so this works over SSH and in CI; the call goes to the built-in local
server in this process, on loopback, with a WAV-like test signal as the microphone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

Status = Literal["ok", "warn", "FAIL"]
CHECKS = ("window", "call", "keyring", "audio", "echo canceller", "codecs")
WINDOW_TIMEOUT = 20.0
CALL_TIMEOUT = 30.0
MATCH_THRESHOLD = 0.8  # loudness-envelope correlation; a different sound scores far lower
RATE = 48_000
BLOCK = RATE // 100  # 10 ms envelope blocks

# The keyring back-end each platform's bundle must carry (keyring finds them through entry
# points, which a bundle loses unless its dist-info is packaged).
PLATFORM_KEYRING = {"linux": "SecretService", "win32": "Windows", "darwin": "macOS"}


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Options:
    require_devices: bool = False
    require_keyring: bool = False
    only: tuple[str, ...] = CHECKS


# --- the command line ----------------------------------------------------------------------


def options_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="talkline --self-test",
        description="Check that this installed Talkline works on this machine.",
    )
    p.add_argument(
        "--require-devices", action="store_true", help="fail when no microphone or speaker is found"
    )
    p.add_argument(
        "--require-keyring",
        action="store_true",
        help="fail when no secure keyring (Secret Service, Keychain, ...) is usable",
    )
    p.add_argument(
        "--only", metavar="CHECKS", help=f"comma-separated subset of: {', '.join(CHECKS)}"
    )
    return p


def parse_options(argv: Sequence[str]) -> Options:
    parser = options_parser()
    args = parser.parse_args(list(argv))
    only = CHECKS
    if args.only:
        only = tuple(c.strip() for c in args.only.split(",") if c.strip())
        unknown = [c for c in only if c not in CHECKS]
        if unknown:
            parser.error(f"unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    return Options(args.require_devices, args.require_keyring, only)


class SelfTestAction(argparse.Action):
    """`--self-test [options]` on the main parser: runs at once and exits with the verdict.

    It takes every argument after it (REMAINDER), so its own options can follow it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        options = parse_options([str(v) for v in values or ()])
        parser.exit(run_self_test(options))


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--self-test",
        nargs=argparse.REMAINDER,
        action=SelfTestAction,
        metavar="OPTION",
        help="check that this installation works (window, a call, keyring, sound, codecs), "
        "then exit; "
        "`--self-test --help` lists its options",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_self_test(parse_options(sys.argv[1:] if argv is None else argv))


# --- running the checks ----------------------------------------------------------------------


def run_self_test(options: Options | None = None, out: TextIO | None = None) -> int:
    """Run the checks, print one line each and the verdict; 0 when none failed."""
    options = options or Options()
    out = out or sys.stdout
    results: list[Result] = []

    def report(result: Result) -> None:
        results.append(result)
        print(f"{result.status:<5} {result.name:<15} {result.detail}", file=out, flush=True)

    try:
        if "window" in options.only or "call" in options.only:
            _run_async_checks(options, report)
        if "keyring" in options.only:
            report(_guarded("keyring", lambda: check_keyring(options.require_keyring)))
        if "audio" in options.only:
            report(_guarded("audio", lambda: check_audio(options.require_devices)))
        if "echo canceller" in options.only:
            report(_guarded("echo canceller", check_echo_canceller))
        if "codecs" in options.only:
            report(_guarded("codecs", check_codecs))
    except KeyboardInterrupt:
        print("self-test interrupted", file=out, flush=True)
        return 130
    failed = [r.name for r in results if r.status == "FAIL"]
    if failed:
        print(f"self-test FAILED: {', '.join(failed)}", file=out, flush=True)
        return 1
    warned = sum(r.status == "warn" for r in results)
    note = f" ({warned} warning{'s' if warned != 1 else ''})" if warned else ""
    print(f"self-test passed{note}", file=out, flush=True)
    return 0


def _guarded(name: str, check: Callable[[], Result]) -> Result:
    try:
        return check()
    except Exception as exc:  # a check's own surprise is that check failing, not a traceback
        return Result(name, "FAIL", _describe(exc))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or "no details"
    return f"{type(exc).__name__}: {text}"


def _run_async_checks(options: Options, report: Callable[[Result], None]) -> None:
    """The window and the call, on one qasync loop: Qt and asyncio together, as in the app."""
    app: Any = None
    try:
        loop, app = _qt_loop()
    except Exception as exc:  # no Qt: the window fails; the call still runs, without Qt
        if "window" in options.only:
            report(Result("window", "FAIL", f"Qt did not start: {_describe(exc)}"))
        if "call" in options.only:
            report(asyncio.run(_guarded_async("call", check_call(), CALL_TIMEOUT)))
        return

    async def checks() -> None:
        if "window" in options.only:
            report(await _guarded_async("window", check_window(loop), WINDOW_TIMEOUT))
        if "call" in options.only:
            report(await _guarded_async("call", check_call(), CALL_TIMEOUT))

    try:
        loop.run_until_complete(checks())
    finally:
        loop.close()
        del app


async def _guarded_async(name: str, check: Awaitable[Result], seconds: float) -> Result:
    try:
        return await asyncio.wait_for(check, seconds)
    except TimeoutError:
        return Result(name, "FAIL", f"no result within {seconds:.0f} s")
    except Exception as exc:
        return Result(name, "FAIL", _describe(exc))


def _qt_loop() -> tuple[asyncio.AbstractEventLoop, Any]:
    # Offscreen on purpose: the check must work over SSH, in CI, on a machine with no display.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Talkline")
    app.setQuitOnLastWindowClosed(False)  # closing the checked window must not end the loop
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return loop, app


# --- the checks --------------------------------------------------------------------------------


async def check_window(loop: asyncio.AbstractEventLoop) -> Result:
    """The real main window (every UI module, the SVG icon plugins, fonts) reaches its
    first paint; the user's settings are neither read nor written."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtGui import QIcon

    from desktop.core.settings.schema import AppSettings
    from desktop.ui.app import build_window
    from desktop.ui.icons import icon_path

    path = icon_path()
    if path is None:
        return Result("window", "FAIL", "the app icon (resources/talkline.svg) is missing")
    if QIcon(str(path)).pixmap(64, 64).isNull():
        return Result("window", "FAIL", f"Qt cannot draw {path.name}: its SVG plugin is missing")
    window = build_window(loop, settings=AppSettings(), persist=False, global_hotkey=False)
    shown = asyncio.Event()
    window.shown_first.connect(shown.set)
    window.show()
    try:
        await shown.wait()
    finally:
        await window.controller.shutdown()
        window.close()
        window.deleteLater()
    return Result(
        "window", "ok", f"Qt {pyside_version} offscreen, main window shown, icon from {path.name}"
    )


async def check_call() -> Result:
    """A second of test signal goes out as the microphone over a real WebRTC connection to
    the in-process local server, whose echo must bring the same sound back. It goes
    through the same conversation session as the window and `talkline call`."""
    import numpy as np

    from desktop.core.audio.files import WavFileTrack, WavRecorder
    from desktop.core.call.state import CallState
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import Audio, TrackAudio
    from desktop.core.talk.session import TalkSession
    from desktop.localserver.launcher import LocalServerLauncher

    sent = probe_signal(1.0)
    speaker = WavRecorder()

    def audio(_settings: AppSettings) -> Audio:
        # Silence after the signal lets the server's voice detection end the turn.
        samples = np.concatenate([sent, np.zeros(RATE, np.int16)])
        return TrackAudio(WavFileTrack(samples, lead_in_seconds=0.3), speaker)

    session = TalkSession(
        AppSettings(), audio_factory=audio, local_server=LocalServerLauncher()
    )
    replied = asyncio.Event()

    def on_change(change: Any) -> None:
        if change.turn.role == "assistant" and change.turn.status == "completed":
            replied.set()

    session.turn_changed.connect(on_change)
    try:
        task = session.connect()
        assert task is not None
        await task
        call = session.call
        if session.state is not CallState.CONNECTED or call is None:
            reason = session.status.reason or "it did not connect"
            return Result("call", "FAIL", f"could not connect to the local server: {reason}")
        setup_ms = call.timings.total_setup_ms() or 0.0
        await replied.wait()
        await asyncio.sleep(0.3)  # the last frames of the echo are still in flight
        score = echo_match(speaker.samples, sent)
    finally:
        await session.shutdown()
    heard = len(speaker.samples) / RATE
    if score < MATCH_THRESHOLD:
        return Result(
            "call",
            "FAIL",
            f"the echo did not match what was sent (match {score:.2f}, {heard:.1f} s received)",
        )
    return Result(
        "call",
        "ok",
        f"1.0 s of audio went to the local server over WebRTC and came "
        f"back (match {score:.2f}, connected in {setup_ms:.0f} ms)",
    )


def check_keyring(required: bool) -> Result:
    """keyring's back-ends are present (a bundle can lose them), and whether one is usable."""
    from importlib import import_module
    from importlib.metadata import entry_points

    from desktop.core.secrets import KeyStore

    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    expected = PLATFORM_KEYRING.get(platform)
    found = {ep.name: ep for ep in entry_points(group="keyring.backends")}
    if expected is not None:
        if expected not in found:
            return Result(
                "keyring",
                "FAIL",
                f"the {expected} back-end is not installed "
                f"(found: {', '.join(sorted(found)) or 'none'})",
            )
        import_module(found[expected].value)  # raises if its code was left out
    status = KeyStore().status()
    if status.available:
        return Result("keyring", "ok", status.backend)
    return Result(
        "keyring",
        "FAIL" if required else "warn",
        f"no secure keyring usable here ({status.backend}): keys stay in memory for one session",
    )


def check_audio(required: bool) -> Result:
    """PortAudio loads; the microphones and speakers it (or the Pulse server) offers, and
    how streams reach a Pulse server."""
    from desktop.core.audio import devices, libpulse, pulse_stream
    from desktop.core.audio.errors import AudioError
    from desktop.core.audio.portaudio import sounddevice

    try:
        sd = sounddevice()
    except AudioError as exc:
        return Result("audio", "FAIL", str(exc))
    version = str(sd.get_portaudio_version()[1]).split(",")[0]  # "PortAudio V19.6.0-devel"
    library = f"{version} ({_loaded_library('portaudio')})"
    if devices.backend() == "pulse":
        if pulse_stream.available():
            used = f"{pulse_stream.describe()}, {_loaded_library('libpulse.so')}"
            library += f"; streams straight to the Pulse server ({used})"
        else:
            library += f"; streams through PortAudio's pulse device ({libpulse.error()})"
    mics = [d.label for d in devices.list_devices("input") if d.name != devices.SYSTEM_DEFAULT]
    speakers = [d.label for d in devices.list_devices("output") if d.name != devices.SYSTEM_DEFAULT]
    if not mics and not speakers:
        if required:
            return Result("audio", "FAIL", f"{library}; no microphone or speaker found")
        return Result(
            "audio",
            "warn",
            f"{library}; no microphone or speaker found (no sound "
            "server or sound card): calls still work, typed, with text replies",
        )
    listed = f"microphones: {', '.join(mics) or 'none'}; speakers: {', '.join(speakers) or 'none'}"
    missing = not mics or not speakers
    return Result("audio", "FAIL" if required and missing else "ok", f"{library}; {listed}")


def check_echo_canceller() -> Result:
    from desktop.core.audio.frames import CHUNK_SAMPLES
    from desktop.core.audio.processing import AudioProcessor

    processor = AudioProcessor()
    if processor.error:
        return Result("echo canceller", "FAIL", processor.error)
    chunk = probe_signal(CHUNK_SAMPLES / RATE)[:CHUNK_SAMPLES]
    processor.process_render(chunk)
    cleaned = processor.process_capture(chunk, 0.0)
    if len(cleaned) != CHUNK_SAMPLES:
        return Result(
            "echo canceller", "FAIL", f"returned {len(cleaned)} samples, not {CHUNK_SAMPLES}"
        )
    if not processor.direct_calls:  # works, at ~2 % of a core more (apm_calls.py)
        return Result(
            "echo canceller",
            "warn",
            "WebRTC audio processing (livekit) loaded and ran, through livekit's own "
            "calls: this livekit's internals are not the ones Talkline calls directly",
        )
    return Result(
        "echo canceller", "ok", "WebRTC audio processing (livekit) loaded and ran, called directly"
    )


def check_codecs() -> Result:
    """Opus, VP8, H.264 and JPEG through av's FFmpeg; the encoders the Linux bundle stubs
    out (packaging/stub_libraries.py) refuse to open with an exception (media_check.py)."""
    from desktop.cli.media_check import check_codecs as run_codec_checks
    from desktop.cli.media_check import describe

    return Result("codecs", "ok", describe(run_codec_checks()))


# --- signal helpers ---------------------------------------------------------------------------


def probe_signal(seconds: float) -> Any:
    """A chirp (300 -> 1200 Hz) with a stepped loudness envelope: recognisable after two Opus
    encodings, and unlike silence, noise, a part of itself or itself reversed (the steps
    follow no alternating pattern, which a shifted reverse would match)."""
    import numpy as np

    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    phase = 2 * np.pi * (300 * t + 900 * t**2 / (2 * seconds))
    steps = np.array([0.3, 1.0, 0.5, 0.2, 0.8, 0.4, 0.95, 0.25, 0.6, 0.15])
    envelope = steps[np.minimum((t / seconds * len(steps)).astype(int), len(steps) - 1)]
    envelope = np.convolve(envelope, np.ones(BLOCK) / BLOCK, mode="same")
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return (np.sin(phase) * envelope * fade * 32767 * 0.9).astype(np.int16)


def _envelope(samples: Any) -> Any:
    import numpy as np

    usable = samples.size - samples.size % BLOCK
    blocks = samples[:usable].astype(np.float64).reshape(-1, BLOCK)
    return np.sqrt(np.mean(blocks**2, axis=1))


def echo_match(received: Any, reference: Any) -> float:
    """Best correlation of 10 ms loudness envelopes over all alignments (scale-free, so
    the codec's level changes do not matter); -1.0 when nothing comparable came back."""
    import numpy as np

    ref, got = _envelope(reference), _envelope(received)
    best = -1.0
    for lag in range(got.size - ref.size + 1):
        window = got[lag : lag + ref.size]
        if window.std() > 0:
            best = max(best, float(np.corrcoef(window, ref)[0, 1]))
    return best


def _loaded_library(fragment: str) -> str:
    """The file a shared library was loaded from (Linux: /proc/self/maps), for the report:
    a bundle must use its own copy, not whatever the system has."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if fragment in os.path.basename(path):
                    return path
    except OSError:
        pass
    return fragment


if __name__ == "__main__":
    sys.exit(main())
