"""`talkline call`: a headless call, for scripts, benchmarks and support."""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from desktop.cli.printer import Printer
from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState
from desktop.core.profiles import BUILTIN_PROFILES, InvalidBaseUrl, get_profile
from desktop.core.session import TurnDetection, TurnMode, default_config
from desktop.core.session.config import SessionConfig

if TYPE_CHECKING:  # the engine (aiortc, av) loads only when a call is made
    from desktop.core.call.engine import RealtimeCall

# After the last input, wait this long with nothing happening before hanging up: spoken
# input needs the server's silence detection to end the turn; typed input does not.
IDLE_AFTER_SPEECH = 1.5
IDLE_AFTER_TEXT = 0.3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("call", help="connect, talk, hang up (headless)")
    p.add_argument("--provider", default="local", choices=list(BUILTIN_PROFILES))
    p.add_argument("--base-url", help="override the provider's base URL")
    p.add_argument("--model")
    p.add_argument("--voice")
    p.add_argument("--instructions")
    p.add_argument("--say", help="send this text as a typed turn once connected")
    p.add_argument("--mic-wav", metavar="IN.wav", help="use a WAV file as the microphone")
    p.add_argument("--record-wav", metavar="OUT.wav", help="save what the assistant says")
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
        "--stats-json",
        metavar="FILE",
        help="save the call's quality figures (once a second), turn latencies and connect "
        "breakdown as JSON",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    printer = Printer(json_mode=args.json)
    try:
        return asyncio.run(_call(args, printer))
    except CallError as exc:
        printer.failure(exc)
        return 1
    except KeyboardInterrupt:
        return 130


def _config(args: argparse.Namespace, profile) -> SessionConfig:  # noqa: ANN001
    from dataclasses import replace

    cfg = default_config(profile)
    cfg = replace(
        cfg,
        model=args.model or cfg.model,
        voice=args.voice or cfg.voice,
        instructions=args.instructions or cfg.instructions,
        turn_detection=TurnDetection(mode=TurnMode(args.turns)),
        output_modalities=("text",) if args.text_only else ("audio",),
    )
    return cfg


async def _call(args: argparse.Namespace, printer: Printer) -> int:
    from desktop.core.audio.files import WavFileTrack, WavRecorder
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.secrets import KeyStore

    profile = get_profile(args.provider)
    async with AsyncExitStack() as stack:
        if profile.id == "local" and not args.base_url:
            from desktop.localserver.server import LocalRealtimeServer

            server = LocalRealtimeServer()
            base = await server.start()
            stack.push_async_callback(server.stop)
            profile = profile.with_base_url(base)
        elif args.base_url:
            try:
                profile = profile.with_base_url(args.base_url)
            except InvalidBaseUrl as exc:
                raise CallError(str(exc)) from exc
        key, _source = KeyStore().resolve(profile) if profile.requires_key else (None, None)

        source = WavFileTrack(args.mic_wav) if args.mic_wav else None
        sink = WavRecorder(args.record_wav) if args.record_wav else None
        if source is None or sink is None:
            source, sink = await _devices(source, sink, printer)

        call = RealtimeCall(
            profile, _config(args, profile), api_key=key, audio_source=source, audio_sink=sink
        )
        activity = Activity()
        call.status_changed.connect(printer.state)
        call.event_received.connect(printer.received)
        call.event_sent.connect(printer.sent)
        call.event_received.connect(lambda _e: activity.touch())
        call.notice.connect(printer.notice)
        call.conversation.changed.connect(printer.finished_turn)
        stack.push_async_callback(call.close)
        sampler = _sampler(call, source, sink) if args.stats_json else None

        await call.connect()
        printer.timings(call)
        if args.say:
            call.send_text(args.say)
            activity.touch()
        await _wait_until_done(call, args, source, activity)
        failed = call.state is CallState.FAILED
        if sampler is not None and not failed:
            await sampler.sample()  # the last moments of a short call count too
        await call.close()
        if sampler is not None:
            _save_stats(sampler, args.stats_json, printer)
        if failed:
            raise CallError(
                call.status.reason, stage=call.status.stage, details=call.status.details
            )
    return 0


def _sampler(call: RealtimeCall, source, sink):  # noqa: ANN001, ANN202
    from desktop.core.stats.sampler import Sampler

    sampler = Sampler(call, source=source, sink=sink)
    sampler.start()
    return sampler


def _save_stats(sampler, path: str, printer: Printer) -> None:  # noqa: ANN001
    from pathlib import Path

    from desktop.core.stats.export import write

    sampler.stop()
    try:
        write(sampler.stats, Path(path), "json")
    except OSError as exc:
        printer.notice(f"could not save the call statistics to {path}: {exc.strerror or exc}")


async def _devices(source, sink, printer: Printer):  # noqa: ANN001, ANN202
    """The default microphone and speaker, where there are any; a call works without."""
    try:
        from desktop.core.audio.path import open_default_devices
    except ImportError:
        return source, sink
    mic, speaker, notes = await open_default_devices(
        want_mic=source is None, want_speaker=sink is None
    )
    for note in notes:
        printer.notice(note)
    return source or mic, sink or speaker


class Activity:
    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


async def _wait_until_done(
    call: RealtimeCall, args: argparse.Namespace, source, activity: Activity
) -> None:
    from desktop.core.audio.files import WavFileTrack

    # noqa: ANN001, E501
    deadline = time.monotonic() + args.seconds if args.seconds else None
    interactive = not args.say and not args.mic_wav and deadline is None
    while call.state is CallState.CONNECTED:
        await asyncio.sleep(0.05)
        now = time.monotonic()
        if deadline is not None:
            if now >= deadline:
                return
            continue
        if interactive:
            continue  # until Ctrl+C
        if isinstance(source, WavFileTrack) and not source.finished.is_set():
            activity.touch()
            continue
        state = call.turns.state
        busy = state.response_in_flight or state.assistant_speaking
        idle = IDLE_AFTER_SPEECH if args.mic_wav else IDLE_AFTER_TEXT
        if not busy and now - activity.last > idle:
            return
