"""Running one assistant response: the event lifecycle, the audio, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .conversation import OUTPUT_AUDIO_TOKENS_PER_S, Conversation, message_item, text_tokens
from .errors import RealtimeError
from .ids import new_id
from .vad import RATE, Int16Array
from .voice_track import Playback, VoiceTrack

log = logging.getLogger("talkline.localserver")

Json = dict[str, Any]
Emit = Callable[[Json], None]
DELTA_GAP_S = 0.02  # transcript deltas trickle in like a model's would, just faster


@dataclass(frozen=True)
class ReplyPlan:
    modality: str  # "audio" or "text"
    text: str  # the transcript of the audio, or the text reply
    audio: Int16Array | None = None
    in_conversation: bool = True
    metadata: Json | None = None
    # Function calls instead of words: (name, arguments JSON text), one output item each.
    calls: tuple[tuple[str, str], ...] = ()


@dataclass(eq=False)
class ActiveResponse:
    plan: ReplyPlan
    item: Json
    input_tokens: tuple[int, int]
    id: str = field(default_factory=lambda: new_id("resp"))
    task: asyncio.Task[None] | None = None
    playback: Playback | None = None
    finished: bool = False
    call_items: list[Json] = field(default_factory=list)  # function_call output items

    @property
    def part_type(self) -> str:
        return "output_audio" if self.plan.modality == "audio" else "output_text"

    def part(self, text: str) -> Json:
        key = "transcript" if self.plan.modality == "audio" else "text"
        return {"type": self.part_type, key: text}


def usage(input_tokens: tuple[int, int], output_text: int, output_audio: int) -> Json:
    text_in, audio_in = input_tokens
    return {
        "total_tokens": text_in + audio_in + output_text + output_audio,
        "input_tokens": text_in + audio_in,
        "output_tokens": output_text + output_audio,
        "input_token_details": {
            "text_tokens": text_in,
            "audio_tokens": audio_in,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio},
    }


def _halves(text: str) -> list[str]:
    """Arguments arrive in pieces, as a model streams them."""
    middle = len(text) // 2
    return [part for part in (text[:middle], text[middle:]) if part] or [""]


def word_chunks(text: str) -> list[str]:
    """Split text into word-sized deltas that join back to exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


class ResponseRunner:
    """At most one response in flight per call, as OpenAI enforces."""

    def __init__(
        self,
        emit: Emit,
        voice: VoiceTrack,
        conversation: Conversation,
        session: Callable[[], Json],
        voice_attached: Callable[[], bool],
    ) -> None:
        self._emit = emit
        self._voice = voice
        self._conversation = conversation
        self._session = session
        self._voice_attached = voice_attached
        self.active: ActiveResponse | None = None
        self.audio_sent = False  # the voice is locked once assistant audio exists

    def start(self, plan: ReplyPlan) -> str:
        if self.active is not None:
            raise RealtimeError(
                "Conversation already has an active response in progress: "
                f"{self.active.id}. Wait until the response is finished before creating a new one.",
                code="conversation_already_has_active_response",
            )
        content: list[Json] = []
        resp = ActiveResponse(
            plan=plan,
            item=message_item("assistant", content, status="in_progress"),
            input_tokens=self._conversation.input_tokens(),
        )
        self.active = resp
        resp.task = asyncio.create_task(self._guarded_run(resp), name=f"localserver-{resp.id}")
        return resp.id

    def cancel(self, reason: str, *, cleared: bool) -> bool:
        """Stop the response in flight now, audio included. False if there is none.

        ``cleared`` announces ``output_audio_buffer.cleared`` (barge-in, or the client's
        ``output_audio_buffer.clear``); a plain ``response.cancel`` ends the audio with
        ``output_audio_buffer.stopped`` instead, so started/stopped stay paired.
        """
        resp = self.active
        if resp is None:
            return False
        resp.finished = True
        self.active = None
        if resp.task is not None:
            resp.task.cancel()
        sent_ms = 0
        if resp.playback is not None:
            self._voice.clear()
            sent_ms = resp.playback.sent_ms
            if cleared:
                self._emit({"type": "output_audio_buffer.cleared", "response_id": resp.id})
        resp.item["status"] = "incomplete"
        out_audio = math.ceil(sent_ms / 1000 * OUTPUT_AUDIO_TOKENS_PER_S)
        self._emit({
            "type": "response.done",
            "response": self._response(
                resp, "cancelled", {"type": "cancelled", "reason": reason},
                usage(resp.input_tokens, 0, out_audio),
            ),
        })
        if resp.playback is not None and not cleared:
            self._emit({"type": "output_audio_buffer.stopped", "response_id": resp.id})
        log.info("response %s cancelled (%s) after %d ms of audio", resp.id, reason, sent_ms)
        return True

    async def aclose(self) -> None:
        resp, self.active = self.active, None
        if resp is not None and resp.task is not None:
            resp.finished = True
            resp.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await resp.task

    # --- internals ---------------------------------------------------------------------

    def _response(self, resp: ActiveResponse, status: str, details: Json | None,
                  usage_: Json | None) -> Json:
        session = self._session()
        output_cfg = session.get("audio", {}).get("output", {})
        return {
            "object": "realtime.response",
            "id": resp.id,
            "status": status,
            "status_details": details,
            "output": [] if status == "in_progress" else copy.deepcopy(
                resp.call_items or [resp.item]),
            "conversation_id": self._conversation.id if resp.plan.in_conversation else None,
            "output_modalities": [resp.plan.modality],
            "max_output_tokens": session.get("max_output_tokens", "inf"),
            "audio": {"output": {"format": output_cfg.get("format"),
                                 "voice": output_cfg.get("voice")}},
            "usage": usage_,
            "metadata": resp.plan.metadata,
        }

    def _ids(self, resp: ActiveResponse) -> Json:
        return {"response_id": resp.id, "item_id": resp.item["id"], "output_index": 0,
                "content_index": 0}

    async def _guarded_run(self, resp: ActiveResponse) -> None:
        try:
            await self._run(resp)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must end the response, never the call
            log.exception("response %s failed", resp.id)
            if self.active is resp:
                resp.finished = True
                self.active = None
                self._voice.clear()
                self._emit(RealtimeError("The local server failed to produce a response.",
                                         type="server_error").event(None))

    async def _run(self, resp: ActiveResponse) -> None:
        plan = resp.plan
        emit = self._emit
        emit({"type": "response.created", "response": self._response(resp, "in_progress", None,
                                                                      None)})
        if plan.calls:
            await self._run_calls(resp)
            return
        if plan.in_conversation:
            before = self._conversation.add(resp.item)
            emit({"type": "conversation.item.added", "previous_item_id": before,
                  "item": copy.deepcopy(resp.item)})
        emit({"type": "response.output_item.added", "response_id": resp.id, "output_index": 0,
              "item": copy.deepcopy(resp.item)})
        resp.item["content"].append(resp.part(""))
        ids = self._ids(resp)
        emit({"type": "response.content_part.added", **ids, "part": resp.part("")})

        if plan.audio is not None:
            resp.playback = self._voice.play(plan.audio)
            self.audio_sent = True
            emit({"type": "output_audio_buffer.started", "response_id": resp.id})
        delta_type = ("response.output_audio_transcript.delta" if plan.modality == "audio"
                      else "response.output_text.delta")
        for chunk in word_chunks(plan.text):
            emit({"type": delta_type, **ids, "delta": chunk})
            await asyncio.sleep(DELTA_GAP_S)
        if resp.playback is not None and plan.audio is not None:
            if self._voice_attached():
                await resp.playback.done
            else:  # no audio m-line in the offer: nobody pulls the track, keep the timing
                await asyncio.sleep(plan.audio.size / RATE)
        self._finish(resp)

    async def _run_calls(self, resp: ActiveResponse) -> None:
        """A response that calls tools, in the event order of shared/PROVIDERS.md."""
        emit = self._emit
        for index, (name, arguments) in enumerate(resp.plan.calls):
            item: Json = {"id": new_id("item"), "object": "realtime.item",
                          "type": "function_call", "status": "in_progress", "name": name,
                          "call_id": new_id("call"), "arguments": ""}
            resp.call_items.append(item)
            before = None
            if resp.plan.in_conversation:
                before = self._conversation.add(item)
                emit({"type": "conversation.item.added", "previous_item_id": before,
                      "item": copy.deepcopy(item)})
            emit({"type": "response.output_item.added", "response_id": resp.id,
                  "output_index": index, "item": copy.deepcopy(item)})
            ids = {"response_id": resp.id, "item_id": item["id"], "output_index": index,
                   "call_id": item["call_id"]}
            for chunk in _halves(arguments):
                emit({"type": "response.function_call_arguments.delta", **ids, "delta": chunk})
                await asyncio.sleep(DELTA_GAP_S)
            item["arguments"] = arguments
            item["status"] = "completed"
            emit({"type": "response.function_call_arguments.done", **ids, "name": name,
                  "arguments": arguments})
            emit({"type": "response.output_item.done", "response_id": resp.id,
                  "output_index": index, "item": copy.deepcopy(item)})
            if resp.plan.in_conversation:
                emit({"type": "conversation.item.done", "previous_item_id": before,
                      "item": copy.deepcopy(item)})
        resp.finished = True
        self.active = None
        out_tokens = sum(text_tokens(a) for _n, a in resp.plan.calls)
        emit({"type": "response.done", "response": self._response(
            resp, "completed", None, usage(resp.input_tokens, out_tokens, 0))})

    def _finish(self, resp: ActiveResponse) -> None:
        if resp.finished:
            return
        resp.finished = True
        self.active = None
        plan, ids, emit = resp.plan, self._ids(resp), self._emit
        part = resp.part(plan.text)
        resp.item["content"] = [part]
        resp.item["status"] = "completed"
        if plan.modality == "audio":
            emit({"type": "response.output_audio_transcript.done", **ids,
                  "transcript": plan.text})
            emit({"type": "response.output_audio.done", **ids})
        else:
            emit({"type": "response.output_text.done", **ids, "text": plan.text})
        emit({"type": "response.content_part.done", **ids, "part": part})
        emit({"type": "response.output_item.done", "response_id": resp.id, "output_index": 0,
              "item": copy.deepcopy(resp.item)})
        if plan.in_conversation:
            emit({"type": "conversation.item.done", "item": copy.deepcopy(resp.item)})
        audio_s = 0.0 if plan.audio is None else plan.audio.size / RATE
        out_audio = math.ceil(audio_s * OUTPUT_AUDIO_TOKENS_PER_S)
        emit({"type": "response.done", "response": self._response(
            resp, "completed", None, usage(resp.input_tokens, text_tokens(plan.text), out_audio))})
        if resp.playback is not None:
            emit({"type": "output_audio_buffer.stopped", "response_id": resp.id})
