"""Turn latency: how long the user waits for the reply to start sounding.

For each response: from the end of the user's speech to the first audible sample of the
reply at the speaker, and from response.created to that sample. The end of speech is our
own VAD on the captured microphone audio (raw: processing delays it ~20 ms) when there is
one; otherwise the moment the server's input_audio_buffer.speech_stopped arrived (later
than the real end by the network and the server's silence window, so it is labelled).
The first audible sample is the speaker's DAC time (PortAudio's outputBufferDacTime) of
the first sample above -40 dBFS; with a file recorder instead of a speaker, the time it
was received.

Every time is `time.monotonic()`; the audio threads convert their clocks to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop.core.audio.edges import SoundEdges
from desktop.core.stats.series import TurnLatency

SPEECH_RECENT_S = 5.0  # a speech end older than this belongs to no response


@dataclass
class _Open:
    response_id: str
    created: float
    speech_end: float | None
    source: str | None


class TurnLatencyTracker:
    def __init__(
        self,
        mic: SoundEdges | None,
        output: SoundEdges | None,
        *,
        output_kind: str = "speaker",
        origin: Callable[[], float | None] = lambda: None,
    ) -> None:
        self._mic = mic
        self._out = output
        self._output_kind = output_kind
        self._origin = origin  # when the call connected, for each turn's t_s
        self._server_end: float | None = None
        self._used_end: float | None = None  # a speech end already given to a response
        self._open: list[_Open] = []
        self.turns: list[TurnLatency] = []

    # -- what happened ------------------------------------------------------------------

    def speech_stopped(self, now: float) -> None:
        """The server's VAD says the user stopped (the event just arrived)."""
        self._server_end = now

    def response_created(self, response_id: str, now: float) -> None:
        end, source = self._speech_end(now)
        self._server_end = None
        self._open.append(_Open(response_id, now, end, source))

    def poll(self, now: float) -> list[TurnLatency]:
        """Close the turns whose first audio has been heard; returns the new ones. A turn
        with no audio for 30 s (a text reply, an interrupted one) is closed without."""
        done: list[TurnLatency] = []
        for turn in list(self._open):
            audio = self._first_audio_after(turn.created)
            if audio is None and now - turn.created < 30:
                continue
            self._open.remove(turn)
            if turn.source != "local_vad":  # our VAD confirms an end 0.3 s after it
                end = self._local_end(turn.created)
                if end is not None:
                    turn.speech_end, turn.source = end, "local_vad"
            done.append(self._close(turn, audio, len(self.turns) + len(done) + 1))
        self.turns.extend(done)
        return done

    # -- internals ----------------------------------------------------------------------

    def _local_end(self, now: float) -> float | None:
        if self._mic is None:
            return None
        ends = [
            t for t in self._mic.offsets
            if now - SPEECH_RECENT_S <= t <= now and (self._used_end is None or t > self._used_end)
        ]
        if ends:
            self._used_end = ends[-1]
            return ends[-1]
        return None

    def _speech_end(self, now: float) -> tuple[float | None, str | None]:
        local = self._local_end(now)
        if local is not None:
            return local, "local_vad"
        if self._server_end is not None and now - self._server_end <= SPEECH_RECENT_S:
            return self._server_end, "server_vad"
        return None, None

    def _first_audio_after(self, t: float) -> float | None:
        if self._out is None:
            return None
        return next((onset for onset in self._out.onsets if onset >= t), None)

    def _close(self, turn: _Open, audio: float | None, index: int) -> TurnLatency:
        def ms(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else (b - a) * 1000

        origin = self._origin()
        return TurnLatency(
            index=index,
            response_id=turn.response_id,
            speech_end_source=turn.source,
            speech_end_to_audio_ms=ms(turn.speech_end, audio),
            created_to_audio_ms=ms(turn.created, audio),
            speech_end_to_created_ms=ms(turn.speech_end, turn.created),
            audio_at=self._output_kind if audio is not None else None,
            t_s=turn.created - origin if origin is not None else 0.0,
        )
