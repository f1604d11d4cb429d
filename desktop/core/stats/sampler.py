"""The call-quality sampler: once a second, the call's network and audio figures.

    sampler = Sampler(call, audio)      # before call.connect(); audio: an AudioPath or None
    sampler.sampled.connect(redraw)     # CallStats, after each new sample
    sampler.warnings_changed.connect(show)
    sampler.start()
    ...
    sampler.stop()                      # idempotent; the call ending stops it too

It starts sampling when the call connects and stops when it ends. `stats` keeps the
whole call (for export); views show the last two minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from desktop.core.call.state import CallState, CallStatus
from desktop.core.observable import Emitter
from desktop.core.stats.latency import TurnLatencyTracker
from desktop.core.stats.quality import QualityWarning, assess
from desktop.core.stats.rtc import RtcCounters, audio_clock_rate, read_report, selected_pair
from desktop.core.stats.series import CallStats, Sample, connect_breakdown

log = logging.getLogger("talkline.stats")

INTERVAL_S = 1.0
STATS_TIMEOUT_S = 2.0  # getStats() on a wedged transport must not stall the sampler


class Sampler:
    def __init__(
        self,
        call: Any,  # RealtimeCall (typed loosely: the engine is imported lazily)
        audio: Any = None,  # AudioPath, or anything with `source` / `sink` / `stats()`
        *,
        source: Any = None,  # without an AudioPath: the call's microphone track / sink
        sink: Any = None,
        interval: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.call = call
        self.audio = audio
        self.interval = interval
        self.clock = clock
        self.stats = CallStats(provider=getattr(call.profile, "name", ""))
        self.sampled: Emitter[CallStats] = Emitter()
        self.warnings_changed: Emitter[list[QualityWarning]] = Emitter()
        self._connected_at: float | None = None
        source = source or getattr(audio, "source", None)
        self._sink = sink = sink or getattr(audio, "sink", None)
        out_edges = getattr(sink, "edges", None)
        self.latency = TurnLatencyTracker(
            getattr(source, "edges", None),
            out_edges,
            output_kind=getattr(out_edges, "where", "speaker"),
            origin=lambda: self._connected_at,
        )
        self._levels: dict[str, float | None] = {"in": None, "out": None}
        self._task: asyncio.Task[None] | None = None
        self._undo: list[Callable[[], None]] = []
        self._previous: tuple[float, RtcCounters] | None = None
        self._clock_rate: int | None = None
        self._warning_keys: tuple[str, ...] = ()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        call = self.call
        self._undo.append(call.status_changed.connect(self._on_status))
        self._undo.append(call.event_received.connect(self._on_event))
        for name, key in (("input_level", "in"), ("output_level", "out")):
            emitter = getattr(self.audio, name, None)
            if emitter is not None:
                self._undo.append(emitter.connect(lambda level, k=key: self._on_level(k, level)))
        if call.state is CallState.CONNECTED:
            self._begin()

    def stop(self) -> None:
        for undo in self._undo:
            undo()
        self._undo.clear()
        self._cancel()

    def _on_status(self, status: CallStatus) -> None:
        if status.state is CallState.CONNECTED:
            self._begin()
        elif self._task is not None:
            self._cancel()
            self._finish_turns()

    def _begin(self) -> None:
        if self._task is not None:
            return
        self._connected_at = self.clock()
        self.stats.started_at = time.time()
        self.stats.connect_ms = connect_breakdown(self.call.timings)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="call-stats")

    def _cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    # -- sampling -----------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self.sample()  # the pair and the connect breakdown show at once
            while self.call.state is CallState.CONNECTED:
                await asyncio.sleep(self.interval)
                await self.sample()
        except asyncio.CancelledError:
            raise
        except Exception:  # a statistics bug must never touch the call
            log.exception("call statistics stopped")

    async def sample(self) -> Sample | None:
        """Take one sample now (the loop does this every `interval`)."""
        pc = self.call.pc
        if pc is None or self._connected_at is None:
            return None
        if self._clock_rate is None:
            remote = pc.remoteDescription
            self._clock_rate = audio_clock_rate(remote.sdp if remote else None)
        try:
            report = await asyncio.wait_for(pc.getStats(), STATS_TIMEOUT_S)
        except Exception as exc:  # the transport is closing under us
            log.info("getStats failed: %s", exc)
            return None
        now = self.clock()
        counters = read_report(report, self._clock_rate)
        sample = self._make_sample(now, counters)
        self._previous = (now, counters)
        self.stats.samples.append(sample)
        self.stats.pair = selected_pair(pc) or self.stats.pair
        self.stats.turns.extend(self.latency.poll(now))
        self._assess()
        self.sampled.emit(self.stats)
        return sample

    def _make_sample(self, now: float, c: RtcCounters) -> Sample:
        assert self._connected_at is not None
        p_time, p = self._previous if self._previous else (None, RtcCounters())
        dt = now - p_time if p_time is not None else None

        def rate(new: int | None, old: int | None) -> float | None:
            if new is None or old is None or not dt or dt <= 0:
                return None
            return max(0, new - old) * 8 / dt / 1000

        loss = total = None
        if c.packets_lost is not None and c.packets_received is not None:
            seen = c.packets_lost + c.packets_received
            total = 100 * c.packets_lost / seen if seen else None
            if p.packets_lost is not None and p.packets_received is not None:
                lost = c.packets_lost - p.packets_lost
                got = c.packets_received - p.packets_received
                loss = 100 * max(0, lost) / (lost + got) if lost + got > 0 else None
        audio = self._audio_stats()
        levels, self._levels = self._levels, {"in": None, "out": None}
        return Sample(
            t_s=now - self._connected_at,
            rtt_ms=c.rtt_ms,
            jitter_ms=c.jitter_ms,
            remote_jitter_ms=c.remote_jitter_ms,
            packets_received=c.packets_received,
            packets_lost=c.packets_lost,
            packets_sent=c.packets_sent,
            loss_pct=loss,
            loss_total_pct=total,
            remote_loss_pct=c.remote_loss_pct,
            bitrate_in_kbps=rate(c.bytes_received, p.bytes_received),
            bitrate_out_kbps=rate(c.bytes_sent, p.bytes_sent),
            audio_out_kbps=rate(c.rtp_bytes_sent, p.rtp_bytes_sent),
            input_dbfs=levels["in"],
            output_dbfs=levels["out"],
            playout_ms=audio.depth_ms if audio else None,
            playout_target_ms=audio.target_ms if audio else None,
            underruns=audio.underruns if audio else None,
            overruns=audio.overruns if audio else None,
        )

    def _audio_stats(self) -> Any:
        """The speaker's playout figures, or None without a speaker."""
        playout = getattr(self._sink, "playout", None)
        if playout is None:
            return None
        try:
            return playout.stats()  # PlayoutStats
        except Exception:
            return None

    def _on_level(self, key: str, level: Any) -> None:
        old = self._levels[key]
        self._levels[key] = level.rms_dbfs if old is None else max(old, level.rms_dbfs)

    def _on_event(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "input_audio_buffer.speech_stopped":
            self.latency.speech_stopped(self.clock())
        elif kind == "response.created":
            self.latency.response_created(event.response.id or "", self.clock())

    def _finish_turns(self) -> None:
        self.stats.turns.extend(self.latency.poll(self.clock()))

    def _assess(self) -> None:
        warnings = assess(self.stats.samples)
        keys = tuple(w.key for w in warnings)
        if keys != self._warning_keys:  # numbers change every second; the hint does not
            self._warning_keys = keys
            self.stats.warnings = [w.text for w in warnings]
            self.warnings_changed.emit(warnings)
