"""`talkline call`: a headless call, for scripts, benchmarks and support.

It drives the same `TalkSession` as the window: the same retries (it prints each wait),
reconnects after a dropped network, rollovers, and the default microphone and speaker
through the same `AudioPath` (or WAV files for either side).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from desktop.cli.printer import Printer
from desktop.cli.tooling import add_tool_arguments, build_tools, tool_lines
from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState, CallStatus
from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.session import TurnMode
from desktop.core.settings.schema import AppSettings, AudioSettings

if TYPE_CHECKING:  # the engine (aiortc, av) loads only when a call is made
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.history import HistoryStore
    from desktop.core.stats.sampler import Sampler
    from desktop.core.talk.audio import Audio, AudioFactory
    from desktop.core.talk.session import Notice, TalkSession

# After the last input, wait this long with nothing happening before hanging up: spoken
# input needs the server's silence detection to end the turn; typed input does not.
IDLE_AFTER_SPEECH = 1.5
IDLE_AFTER_TEXT = 0.3


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("call", help="connect, talk, hang up (headless)")
    p.add_argument("--provider", default="local", choices=list(BUILTIN_PROFILES))
    p.add_argument("--base-url", help="override the provider's base URL")
    p.add_argument("--model")
    p.add_argument("--voice")
    p.add_argument("--instructions")
    p.add_argument("--say", help="send this text as a typed turn once connected")
    p.add_argument(
        "--mic-wav", metavar="IN.wav", help="use a WAV file as the microphone (not the device)"
    )
    p.add_argument(
        "--record-wav", metavar="OUT.wav", help="save what the assistant says (not the speaker)"
    )
    p.add_argument("--input-device", metavar="NAME", help="microphone (see `talkline devices`)")
    p.add_argument("--output-device", metavar="NAME", help="speaker (see `talkline devices`)")
    p.add_argument(
        "--no-echo-cancellation", action="store_true", help="turn the echo canceller off"
    )
    p.add_argument("--seconds", type=float, help="stay connected this long (default: until done)")
    p.add_argument(
        "--turns",
        choices=[m.value for m in TurnMode],
        default=TurnMode.SERVER_VAD.value,
        help="turn detection",
    )
    p.add_argument("--text-only", action="store_true", help="ask for text replies, no audio")
    p.add_argument("--json", action="store_true", help="JSON lines: events, states, timings")
    p.add_argument(
        "--resume",
        metavar="ID",
        help="go on with a saved conversation (see `talkline history list`): its earlier "
        "turns are given to the new session first",
    )
    p.add_argument(
        "--no-history", action="store_true", help="keep nothing of this call in the history"
    )
    p.add_argument(
        "--stats-json",
        metavar="FILE",
        help="save the call's quality figures (once a second), turn latencies and connect "
        "breakdown as JSON",
    )
    p.set_defaults(func=run)

    add_tool_arguments(p)

    d = sub.add_parser("devices", help="list the microphones and speakers by name")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run_devices)


def run(args: argparse.Namespace) -> int:
    printer = Printer(json_mode=args.json)
    try:
        return asyncio.run(_call(args, printer))
    except CallError as exc:
        printer.failure(exc)
        return 1
    except KeyboardInterrupt:
        return 130


def settings_from(args: argparse.Namespace) -> AppSettings:
    """The command line as the same settings the window keeps (never a key)."""
    settings = AppSettings(provider=args.provider)
    ps = settings.provider_settings(args.provider)
    ps.base_url = args.base_url or ""
    ps.model = args.model or ""
    ps.voice = args.voice or ""
    ps.instructions = args.instructions or ""
    ps.turn_mode = args.turns
    ps.output_text_only = args.text_only
    settings.audio = replace(
        AudioSettings(),
        input_device=args.input_device or "",
        output_device=args.output_device or "",
        echo_cancellation=not args.no_echo_cancellation,
    )
    return settings


def audio_factory(args: argparse.Namespace) -> AudioFactory:
    """The default devices through `AudioPath`, each side replaced by a WAV file if asked.
    A fresh set for every connect attempt (a track ends with the call that used it)."""

    def make(settings: AppSettings) -> Audio | None:
        from desktop.core.audio.files import WavFileTrack, WavRecorder
        from desktop.core.talk.audio import TrackAudio, default_audio

        source = WavFileTrack(args.mic_wav) if args.mic_wav else None
        sink = WavRecorder(args.record_wav) if args.record_wav else None
        if source is None and sink is None:
            return default_audio(settings)
        devices = None
        if source is None or sink is None:
            devices = default_audio(settings, use_input=source is None, use_output=sink is None)
        return TrackAudio(source, sink, devices=devices)

    return make


async def _call(args: argparse.Namespace, printer: Printer) -> int:
    from desktop.core.talk.session import TalkSession
    from desktop.core.talk.tools import ConversationTools
    from desktop.localserver.launcher import LocalServerLauncher

    settings = settings_from(args)
    try:
        settings.profile()
    except ValueError as exc:  # an unusable base URL: one sentence, before anything opens
        raise CallError(str(exc)) from exc
    store = _history(args, printer)
    session = TalkSession(
        settings,
        audio_factory=audio_factory(args),
        local_server=LocalServerLauncher(),
        history=(lambda: store) if store is not None else None,
    )
    printer.on_closed = session.disconnect  # `| head -1`: nobody reads on, so hang up
    registry, calls, hub = build_tools(args, printer.notice, end_call=session.disconnect)
    session.use_tools(ConversationTools(registry, calls, hub))
    tool_lines(printer, calls)
    try:
        return await _talk(session, args, printer)
    finally:
        await session.shutdown()
        if store is not None:
            if session.conversation_id is not None and store.saving:
                printer.notice(
                    f"saved in the history as {session.conversation_id[:8]} "
                    f"(talkline history show {session.conversation_id[:8]})"
                )
            store.close()  # waits for the queued turns


def _history(args: argparse.Namespace, printer: Printer) -> HistoryStore | None:
    """The user's history, kept as Settings in the window says; None: nothing is kept."""
    if args.no_history:
        if args.resume:
            raise CallError("--resume needs the history; leave out --no-history.")
        return None
    from desktop.core.history.policy import open_history

    store = open_history()
    if store.notice:
        printer.notice(store.notice)
    if store.saving:
        return store
    store.close()
    if args.resume:
        printer.notice(
            "Conversations are not kept (Settings: Don't keep conversations), so there is "
            "nothing to resume: this call starts afresh and is not saved."
        )
    return None


async def _talk(session: TalkSession, args: argparse.Namespace, printer: Printer) -> int:
    if args.resume and session.history is not None and not session.resume(args.resume):
        raise CallError(
            f"There is no saved conversation {args.resume!r} (see `talkline history list`)."
        )
    session.start_tools()
    tools = session.tools
    if tools is not None and tools.hub is not None:
        # A script's call is short: wait (bounded) so the MCP tools are declared at once.
        try:
            await tools.hub.wait_started()
        except TimeoutError:
            printer.notice("Some MCP servers were still starting; their tools come later.")
    activity = Activity()
    _wire(session, printer, activity)
    stats = CallFigures(session) if args.stats_json else None
    task = session.connect()
    assert task is not None
    await asyncio.wait([task])  # cancelled when the reader went away (it hangs up)
    if printer.closed:
        return 0
    call = session.call
    if session.state is not CallState.CONNECTED or call is None:
        raise _failure(session.status)
    printer.timings(call)
    if args.say:
        session.send_text(args.say)
        activity.touch()
    await _wait_until_done(session, args, activity)
    failed = _failed(session)
    sampler = stats.sampler if stats is not None else None
    if sampler is not None and not failed:
        await sampler.sample()  # the last moments of a short call count too
    await session.hang_up()
    if sampler is not None:
        _save_stats(sampler, args.stats_json, printer)
    if failed:
        raise _failure(session.status)
    return 0


def _wire(session: TalkSession, printer: Printer, activity: Activity) -> None:
    def on_status(status: CallStatus) -> None:
        printer.state(status)
        if status.state is CallState.WAITING:
            printer.notice(status.reason)  # "… Trying again in 2 s (attempt 2 of 4)."

    def on_notice(notice: Notice) -> None:
        printer.notice(notice.text)

    session.status_changed.connect(on_status)
    session.event_received.connect(printer.received)
    session.event_received.connect(lambda _event: activity.touch())
    session.event_sent.connect(printer.sent)
    session.notice.connect(on_notice)
    session.turn_changed.connect(printer.finished_turn)


class CallFigures:
    """--stats-json: the quality figures of the call that is up (a rollover starts anew)."""

    def __init__(self, session: TalkSession) -> None:
        self.session = session
        self.sampler: Sampler | None = None
        session.connected.connect(self._start)

    def _start(self, call: RealtimeCall) -> None:
        from desktop.core.stats.sampler import Sampler

        if self.sampler is not None:
            self.sampler.stop()
        self.sampler = Sampler(call, self.session.audio)
        self.sampler.start()


def _failed(session: TalkSession) -> bool:
    return session.state is CallState.FAILED


def _failure(status: CallStatus) -> CallError:
    return CallError(status.reason or "The call ended.", stage=status.stage, details=status.details)


def _save_stats(sampler: Sampler, path: str, printer: Printer) -> None:
    from pathlib import Path

    from desktop.core.stats.export import write

    sampler.stop()
    try:
        write(sampler.stats, Path(path), "json")
    except OSError as exc:
        printer.notice(f"could not save the call statistics to {path}: {exc.strerror or exc}")


class Activity:
    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


async def _wait_until_done(
    session: TalkSession, args: argparse.Namespace, activity: Activity
) -> None:
    """Until --seconds pass, the input is answered, or Ctrl+C (interactive); a reconnect
    or a rollover on the way is waited through."""
    deadline = time.monotonic() + args.seconds if args.seconds else None
    interactive = not args.say and not args.mic_wav and deadline is None
    while session.state.is_active:
        await asyncio.sleep(0.05)
        now = time.monotonic()
        if deadline is not None:
            if now >= deadline:
                return
            continue
        call = session.call
        if interactive or session.state is not CallState.CONNECTED or call is None:
            continue  # until Ctrl+C; or a reconnect is under way
        if _still_playing(session.audio):
            activity.touch()
            continue
        state = call.turns.state
        busy = state.response_in_flight or state.assistant_speaking
        idle = IDLE_AFTER_SPEECH if args.mic_wav else IDLE_AFTER_TEXT
        if not busy and now - activity.last > idle:
            return


def _still_playing(audio: Audio | None) -> bool:
    """A WAV microphone that has not been read to its end yet."""
    from desktop.core.audio.files import WavFileTrack

    source = audio.source if audio is not None else None
    return isinstance(source, WavFileTrack) and not source.finished.is_set()


def run_devices(args: argparse.Namespace) -> int:
    """`talkline devices`: the names --input-device / --output-device take."""
    import json

    from desktop.cli.printer import for_people
    from desktop.core.audio.devices import list_devices

    listing = {kind: list_devices(kind) for kind in ("input", "output")}
    if args.json:
        data = {
            kind: [{"name": d.name, "label": d.label, "default": d.is_default} for d in devs]
            for kind, devs in listing.items()
        }
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for kind, devices in listing.items():
        print("Microphones:" if kind == "input" else "Speakers:")
        if len(devices) <= 1:
            print("  (none found)")
        for device in devices:
            label = f"  {for_people(device.name)}"
            if device.label != device.name:
                label += f"  — {for_people(device.label)}"
            print(label)
    return 0
