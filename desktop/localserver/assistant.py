"""The echo assistant: answers client events and turns in OpenAI's GA dialect.

It is honest about what it is: it plays back what it heard and repeats what was typed.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from . import session as sessions
from .conversation import Conversation, message_item, normalize_client_item
from .errors import RealtimeError
from .ids import new_id
from .responses import Emit, ReplyPlan, ResponseRunner
from .sounds import soft_chime
from .vad import (
    RATE,
    Int16Array,
    SpeechDetector,
    SpeechStarted,
    SpeechStopped,
    VadSettings,
    find_speech,
    ms_to_samples,
    samples_to_ms,
)
from .voice_track import VoiceTrack

log = logging.getLogger("talkline.localserver")

Json = dict[str, Any]
MIN_COMMIT_MS = 100  # OpenAI refuses to commit less than 100 ms of audio
PTT_CAP_SAMPLES = 120 * RATE  # push-to-talk buffer bound: two minutes
PLAYBACK_TAIL_MS = 200  # keep the end of the last syllable when trimming silence
GREETING = (
    "Hello! I'm Talkline's local echo assistant. Speak and I'll play back what I heard, "
    "or type and I'll repeat it."
)


class EchoAssistant:
    def __init__(
        self,
        session: Json,
        emit: Emit,
        voice: VoiceTrack,
        *,
        echo_mode: str = "turn",
        voice_attached: Callable[[], bool] = lambda: True,
    ) -> None:
        self.session = session
        self.conversation = Conversation()
        self._emit = emit
        self._voice = voice
        self._immediate = echo_mode == "immediate"
        self.responses = ResponseRunner(
            emit, voice, self.conversation, lambda: self.session, voice_attached
        )
        td = sessions.turn_detection(session)
        self.detector = SpeechDetector(VadSettings.from_turn_detection(td))
        self._speech_item: str | None = None
        self._idle_from = 0  # stream position (samples) since which nothing happened
        self._ptt: list[Int16Array] = []
        self._ptt_samples = 0
        self._handlers: dict[str, Callable[[Json], None]] = {
            "session.update": self._session_update,
            "conversation.item.create": self._item_create,
            "conversation.item.truncate": self._item_truncate,
            "conversation.item.delete": self._item_delete,
            "conversation.item.retrieve": self._item_retrieve,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
            "input_audio_buffer.commit": self._input_commit,
            "input_audio_buffer.clear": self._input_clear,
            "input_audio_buffer.append": self._input_append,
            "output_audio_buffer.clear": self._output_clear,
        }

    def greet(self) -> None:
        self._emit({"type": "session.created", "session": copy.deepcopy(self.session)})

    # --- client events -----------------------------------------------------------------

    def handle_event(self, event: Json) -> None:
        """Answer one parsed client event; mistakes become ``error`` events, never raise."""
        client_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        kind = event.get("type")
        try:
            if kind is None:
                raise RealtimeError("Missing required parameter: 'type'.",
                                    code="missing_required_parameter", param="type")
            handler = self._handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                choices = ", ".join(f"'{k}'" for k in self._handlers)
                raise RealtimeError(f"Invalid value: '{kind}'. Supported values are: {choices}.",
                                    code="invalid_value", param="type")
            handler(event)
        except RealtimeError as exc:
            self._emit(exc.event(client_id))
        except Exception:  # never let one bad event end the call
            log.exception("failed to handle %r", kind)
            self._emit(RealtimeError("The local server failed to handle this event.",
                                     type="server_error").event(client_id))

    def reject_malformed(self, reason: str) -> None:
        self._emit(RealtimeError(
            f"We could not parse the JSON body of your request. ({reason})",
            code="invalid_json",
        ).event(None))

    def _session_update(self, event: Json) -> None:
        if "session" not in event:
            raise RealtimeError("Missing required parameter: 'session'.",
                                code="missing_required_parameter", param="session")
        patch = sessions.validate_session(event["session"])
        merged = sessions.merge_session(self.session, patch)
        if self.responses.audio_sent and sessions.voice(merged) != sessions.voice(self.session):
            raise RealtimeError(
                "Cannot update a conversation's voice if assistant audio is present.",
                code="cannot_update_voice", param="session.audio.output.voice",
            )
        before = sessions.turn_detection(self.session)
        self.session = merged
        after = sessions.turn_detection(merged)
        if after != before:
            self.detector.configure(VadSettings.from_turn_detection(after))
            self._idle_from = self.detector.position
            self._speech_item = None
            self._reset_ptt()
        self._emit({"type": "session.updated", "session": copy.deepcopy(merged)})

    def _item_create(self, event: Json) -> None:
        item = normalize_client_item(event.get("item"))
        previous = event.get("previous_item_id")
        if previous is not None and not isinstance(previous, str):
            raise RealtimeError("Invalid type for 'previous_item_id': expected a string.",
                                code="invalid_type", param="previous_item_id")
        before = self.conversation.add(item, previous)
        self._emit({"type": "conversation.item.added", "previous_item_id": before,
                    "item": copy.deepcopy(item)})
        self._emit({"type": "conversation.item.done", "previous_item_id": before,
                    "item": copy.deepcopy(item)})

    def _item_truncate(self, event: Json) -> None:
        item = self.conversation.get(event.get("item_id"))
        index, end_ms = event.get("content_index", 0), event.get("audio_end_ms")
        if item.get("role") != "assistant":
            raise RealtimeError("Only assistant messages can be truncated.",
                                code="invalid_value", param="item_id")
        if not isinstance(end_ms, int) or isinstance(end_ms, bool) or end_ms < 0:
            raise RealtimeError("Invalid 'audio_end_ms': expected a non-negative integer.",
                                code="invalid_value", param="audio_end_ms")
        self._emit({"type": "conversation.item.truncated", "item_id": item["id"],
                    "content_index": index, "audio_end_ms": end_ms})

    def _item_delete(self, event: Json) -> None:
        item_id = event.get("item_id")
        self.conversation.delete(item_id)
        self._emit({"type": "conversation.item.deleted", "item_id": item_id})

    def _item_retrieve(self, event: Json) -> None:
        item = self.conversation.get(event.get("item_id"))
        self._emit({"type": "conversation.item.retrieved", "item": copy.deepcopy(item)})

    def _response_create(self, event: Json) -> None:
        params = event.get("response") or {}
        if not isinstance(params, dict):
            raise RealtimeError("Invalid type for 'response': expected an object.",
                                code="invalid_type", param="response")
        modality = sessions.output_modality(self.session)
        if "output_modalities" in params:
            wanted = params["output_modalities"]
            if wanted not in (["audio"], ["text"]):
                raise RealtimeError(
                    "Invalid 'response.output_modalities': use ['audio'] or ['text'].",
                    code="invalid_value", param="response.output_modalities",
                )
            modality = wanted[0]
        in_conversation = params.get("conversation", "auto") != "none"
        metadata = params.get("metadata") if isinstance(params.get("metadata"), dict) else None
        self.responses.start(self._plan(modality, in_conversation, metadata))

    def _response_cancel(self, event: Json) -> None:
        wanted = event.get("response_id")
        active = self.responses.active
        if active is None or (wanted is not None and wanted != active.id):
            raise RealtimeError("Cancellation failed: no active response found",
                                code="response_cancel_not_active")
        self.responses.cancel("client_cancelled", cleared=False)

    def _input_commit(self, event: Json) -> None:
        if sessions.turn_detection(self.session) is None:
            audio = np.concatenate(self._ptt) if self._ptt else np.zeros(0, np.int16)
            self._reset_ptt()
            self._ensure_committable(audio.size)
            bounds = find_speech(audio, self.detector.settings)
            self._commit(audio, bounds, new_id("item"))
            return
        stopped = self.detector.force_stop()
        if stopped is None:
            self._ensure_committable(0)
            return
        self._commit(stopped.audio, (stopped.speech_start, stopped.speech_end),
                     self._speech_item or new_id("item"))
        self._speech_item = None

    def _input_clear(self, event: Json) -> None:
        self._reset_ptt()
        self.detector.reset()
        self._speech_item = None
        self._emit({"type": "input_audio_buffer.cleared"})

    def _input_append(self, event: Json) -> None:
        raise RealtimeError(
            "Over WebRTC the microphone track carries the audio; "
            "input_audio_buffer.append is not supported by the local server.",
            code="invalid_value", param="type",
        )

    def _output_clear(self, event: Json) -> None:
        active = self.responses.active
        if active is not None and active.playback is not None:
            self.responses.cancel("client_cancelled", cleared=True)
            return
        self._voice.clear()
        self._emit({"type": "output_audio_buffer.cleared",
                    "response_id": active.id if active else None})

    # --- audio from the microphone track -----------------------------------------------

    def on_audio(self, samples: Int16Array) -> None:
        if self._immediate:
            self._voice.push_live(samples)
            return
        td = sessions.turn_detection(self.session)
        if td is None:
            self._ptt.append(samples)
            self._ptt_samples += samples.size
            while self._ptt_samples > PTT_CAP_SAMPLES:
                self._ptt_samples -= self._ptt.pop(0).size
            return
        for vad_event in self.detector.push(samples):
            if isinstance(vad_event, SpeechStarted):
                self._on_speech_started(vad_event, td)
            else:
                self._on_speech_stopped(vad_event, td)
        self._check_idle(td)

    def _check_idle(self, td: Json) -> None:
        """``idle_timeout_ms``: after that long without speech or a response, nudge the user."""
        position = self.detector.position
        if self.detector.in_speech or self.responses.active is not None:
            self._idle_from = position
            return
        idle_ms = td.get("idle_timeout_ms")
        if not idle_ms or position - self._idle_from < ms_to_samples(idle_ms):
            return
        self._emit({"type": "input_audio_buffer.timeout_triggered",
                    "audio_start_ms": samples_to_ms(self._idle_from),
                    "audio_end_ms": samples_to_ms(position), "item_id": new_id("item")})
        self._idle_from = position
        if td.get("create_response", True):
            seconds = idle_ms / 1000
            unit = "second" if seconds == 1 else "seconds"
            modality = sessions.output_modality(self.session)
            self.responses.start(ReplyPlan(
                modality=modality,
                text=f"I haven't heard anything for {seconds:g} {unit}. Are you still there?",
                audio=soft_chime() if modality == "audio" else None,
            ))

    def _on_speech_started(self, event: SpeechStarted, td: Json) -> None:
        self._speech_item = new_id("item")
        self._emit({"type": "input_audio_buffer.speech_started",
                    "audio_start_ms": event.audio_start_ms, "item_id": self._speech_item})
        if td.get("interrupt_response", True) and self.responses.active is not None:
            self.responses.cancel("turn_detected", cleared=True)

    def _on_speech_stopped(self, event: SpeechStopped, td: Json) -> None:
        item_id = self._speech_item or new_id("item")
        self._speech_item = None
        self._emit({"type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": event.audio_end_ms, "item_id": item_id})
        self._commit(event.audio, (event.speech_start, event.speech_end), item_id)
        if td.get("create_response", True):
            if self.responses.active is None:
                self.responses.start(self._plan(sessions.output_modality(self.session)))
            else:
                log.info("speech ended while a response is in flight; not starting another")

    # --- helpers -----------------------------------------------------------------------

    def _reset_ptt(self) -> None:
        self._ptt = []
        self._ptt_samples = 0

    def _ensure_committable(self, samples: int) -> None:
        ms = samples * 1000 / RATE
        if ms < MIN_COMMIT_MS:
            raise RealtimeError(
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )

    def _commit(self, audio: Int16Array, bounds: tuple[int, int] | None, item_id: str) -> None:
        """Turn committed audio into a user item with an honest "transcript"."""
        if bounds is None:
            transcript = f"({audio.size / RATE:.1f} seconds of audio, no speech detected)"
            playback = audio
        else:
            start, end = bounds
            transcript = f"({(end - start) / RATE:.1f} seconds of speech)"
            padding = ms_to_samples(self.detector.settings.prefix_padding_ms)
            playback = audio[max(0, start - padding) : end + ms_to_samples(PLAYBACK_TAIL_MS)]
        item = message_item("user", [{"type": "input_audio", "transcript": None}])
        item["id"] = item_id
        before = self.conversation.add(item)
        self.conversation.audio[item_id] = playback
        self._emit({"type": "input_audio_buffer.committed", "previous_item_id": before,
                    "item_id": item_id})
        self._emit({"type": "conversation.item.added", "previous_item_id": before,
                    "item": copy.deepcopy(item)})
        item["content"][0]["transcript"] = transcript
        self._emit({"type": "conversation.item.done", "previous_item_id": before,
                    "item": copy.deepcopy(item)})
        ids = {"item_id": item_id, "content_index": 0}
        self._emit({"type": "conversation.item.input_audio_transcription.delta", **ids,
                    "delta": transcript})
        self._emit({"type": "conversation.item.input_audio_transcription.completed", **ids,
                    "transcript": transcript,
                    "usage": {"type": "duration", "seconds": round(audio.size / RATE, 1)}})

    def _plan(self, modality: str, in_conversation: bool = True,
              metadata: Json | None = None) -> ReplyPlan:
        """What the echo assistant says to the newest user input."""
        latest = self.conversation.latest_input()
        audio: Int16Array | None = None
        if latest is not None and latest["id"] in self.conversation.audio:
            heard = self.conversation.audio[latest["id"]]
            seconds = heard.size / RATE
            if modality == "audio":
                text, audio = f"Playing back {seconds:.1f} seconds of what I heard.", heard
            else:
                text = (f"I heard {seconds:.1f} seconds of audio. I'm the local echo "
                        "assistant: switch the output to audio to hear it played back.")
        else:
            calls = _tool_calls(latest, self.session)
            if calls:
                return ReplyPlan(modality=modality, text="", calls=calls,
                                 in_conversation=in_conversation, metadata=metadata)
            text = _reply_text(latest)
            if modality == "audio":
                audio = soft_chime()
        return ReplyPlan(modality=modality, text=text, audio=audio,
                         in_conversation=in_conversation, metadata=metadata)

    async def aclose(self) -> None:
        await self.responses.aclose()


_ASKS_TIME = re.compile(r"\bwhat time\b|\btime is it\b|\bthe time\b|\bwhat day\b", re.I)


def _tool_calls(latest: Json | None, session: Json) -> tuple[tuple[str, str], ...]:
    """Like a model would: call the declared tools the typed text names, in its order.

    A JSON object right after a name is that call's arguments (taken as typed, so tests can
    send broken ones); asking the time calls ``get_current_time`` when it is declared.
    """
    if latest is None or latest.get("role") != "user" or session.get("tool_choice") == "none":
        return ()
    typed = " ".join(str(part.get("text", "")) for part in latest.get("content") or []
                     if part.get("type") == "input_text")
    declared = [str(t.get("name")) for t in session.get("tools") or []
                if isinstance(t, dict) and t.get("type") == "function" and t.get("name")]
    found: list[tuple[int, str, str]] = []
    for name in declared:
        for match in re.finditer(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])",
                                 typed):
            found.append((match.start(), name, _arguments_after(typed[match.end():])))
    if not found and "get_current_time" in declared and _ASKS_TIME.search(typed):
        found.append((0, "get_current_time", "{}"))
    return tuple((name, args) for _pos, name, args in sorted(found))


def _arguments_after(rest: str) -> str:
    rest = rest.lstrip()
    if not rest.startswith("{"):
        return "{}"
    try:
        _obj, end = json.JSONDecoder().raw_decode(rest)
    except ValueError:
        end = rest.find("}") + 1 or len(rest)
    return rest[:end]


def _reply_text(latest: Json | None) -> str:
    if latest is None:
        return GREETING
    if latest.get("type") == "function_call_output":
        output = str(latest.get("output", ""))
        return f"The tool returned: {output[:200]}"
    typed = " ".join(
        str(part.get("text", "")) for part in latest.get("content") or []
        if part.get("type") == "input_text"
    ).strip()
    return f'You said: "{typed}"' if typed else GREETING
