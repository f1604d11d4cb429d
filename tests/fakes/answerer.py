"""The provider's side of one call: an aiortc answerer plus a scripted realtime assistant.

Each fake HTTP server hands the offer to a ``FakeCall``. The call answers it with a real
``RTCPeerConnection`` (no ICE servers: loopback only), sends back a tone (the "voice") and,
for avatar providers, a video track, accepts the client's data channel and speaks the
provider's event dialect on it: ``session.created`` or not, which session shape it accepts,
what it answers to a typed message. Everything received and sent on the channel is kept in
``log`` so tests can assert on the wire.

This module never imports the client (``desktop``): the fakes are an independent reading of
shared/PROVIDERS.md, so a client mistake cannot hide behind a shared helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.fakes.media import GradientTrack, ToneTrack

Json = dict[str, Any]

DROP_DELAY = 0.2  # drop_on_open closes the channel this long after it opened


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class ChannelMode(Enum):
    NORMAL = "normal"
    # The offer is answered, then the media side never comes up (the server's peer stops at
    # once): ICE never completes and the data channel never opens, as behind a UDP firewall.
    NEVER_OPEN = "never_open"
    # The channel opens, then the server closes it without a word (a crashed session).
    DROP_ON_OPEN = "drop_on_open"


@dataclass(frozen=True)
class SessionProblem:
    """Why a session object is refused, as the provider would say it."""

    message: str
    code: str = "invalid_value"
    param: str | None = None


SessionValidator = Callable[[Json], SessionProblem | None]


@dataclass(frozen=True)
class Dialect:
    """How one provider behaves on the data channel."""

    channel_label: str
    sends_session_created: bool
    validate_session: SessionValidator
    modalities_field: str = "output_modalities"  # GA; the flat dialect says "modalities"
    default_modalities: tuple[str, ...] = ("audio",)
    sends_video: bool = False
    # Inworld: with ["audio", "text"] both streams carry the words; it also backchannels.
    text_and_audio: bool = False
    backchannel: bool = False
    # OpenAI: "The voice cannot change after the first audio of a session".
    voice_fixed_after_audio: bool = False


def merge(base: Json, update: Json) -> Json:
    """Deep merge, the way session.update changes only the fields it names."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class FakeCall:
    """One call on the fake server: its peer, its data channel and everything said on it."""

    def __init__(
        self,
        call_id: str,
        dialect: Dialect,
        session: Json,
        *,
        mode: ChannelMode = ChannelMode.NORMAL,
        tone: bool = True,
    ) -> None:
        self.id = call_id
        self.dialect = dialect
        self.session = copy.deepcopy(session)
        self.session.setdefault("id", new_id("sess"))
        self.mode = mode
        self.tone = tone
        self.pc: RTCPeerConnection | None = None
        self.channel: Any = None  # aiortc RTCDataChannel once the client opened it
        self.channel_label: str | None = None
        self.log: list[tuple[str, Json]] = []  # ("in" | "out", event)
        self.audio_frames_received = 0
        self.video_track: GradientTrack | None = None
        self.hung_up = False
        self._last_item_id: str | None = None
        self._last_user_text = ""
        self.audio_sent = False  # output audio has started at least once
        # Knob: each entry answers one response.create (after user input) with function
        # calls, (name, arguments JSON text) each, instead of words.
        self.scripted_calls: list[list[tuple[str, str]]] = []
        self._last_output: str | None = None  # the newest function_call_output received
        # Knob: the next response asks to approve a remote MCP tool (server_label, name,
        # arguments JSON), as OpenAI does for {"type": "mcp", "require_approval": ...}.
        self.scripted_mcp_approval: tuple[str, str, str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        # Called once the client's channel is open (rtAV's fake streams JPEG frames from here).
        self.on_channel_open: Callable[[FakeCall], None] | None = None

    # -- what tests read ------------------------------------------------------------------

    @property
    def received(self) -> list[Json]:
        return [event for direction, event in self.log if direction == "in"]

    @property
    def sent(self) -> list[Json]:
        return [event for direction, event in self.log if direction == "out"]

    @property
    def received_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.received]

    @property
    def sent_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.sent]

    async def wait_until(self, predicate: Callable[[FakeCall], bool], seconds: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds; TimeoutError after ``seconds``."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    # -- signaling ------------------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Answer the client's offer (ICE fully gathered: no trickle, like the providers)."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        kinds = {t.kind for t in pc.getTransceivers()}
        pc.addTrack(ToneTrack(amplitude=0.25 if self.tone else 0.0))
        if self.dialect.sends_video and "video" in kinds:
            self.video_track = GradientTrack()
            pc.addTrack(self.video_track)
        await pc.setLocalDescription(await pc.createAnswer())
        sdp = pc.localDescription.sdp
        if self.mode is ChannelMode.NEVER_OPEN:
            # The answer is valid, but nothing will ever answer the client's ICE checks.
            await pc.close()
        return sdp

    async def close(self) -> None:
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()

    async def drop_channel(self) -> None:
        """Close the data channel from the server's side, mid-call."""
        if self.channel is not None:
            self.channel.close()
        await self._notify()

    async def expire(self) -> None:
        """The session reached its maximum duration: OpenAI's error event, then the end."""
        self.send(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": "session_expired",
                    "message": "Your session hit the maximum duration of 60 minutes.",
                    "param": None,
                    "event_id": None,
                },
            }
        )
        await asyncio.sleep(0.05)
        await self.drop_channel()

    # -- media ----------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._drain_microphone(track))

    async def _drain_microphone(self, track: MediaStreamTrack) -> None:
        # Read the client's microphone (aiortc queues frames without bound otherwise).
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.audio_frames_received += 1
                if self.audio_frames_received == 1:
                    await self._notify()

    # -- data channel ---------------------------------------------------------------------

    def _on_datachannel(self, channel: Any) -> None:  # noqa: ANN401 - aiortc RTCDataChannel
        self.channel = channel
        self.channel_label = channel.label
        channel.on("message", self._on_message)
        if self.mode is ChannelMode.DROP_ON_OPEN:
            self._spawn(self._drop_soon())
        elif self.dialect.sends_session_created:
            self.send({"type": "session.created", "session": self.session})
        if self.on_channel_open is not None and self.mode is ChannelMode.NORMAL:
            self.on_channel_open(self)
        self._spawn(self._notify())

    async def _drop_soon(self) -> None:
        await asyncio.sleep(DROP_DELAY)
        await self.drop_channel()

    def send(self, event: Json) -> None:
        event = {"event_id": new_id("event"), **event}
        self.log.append(("out", event))
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(json.dumps(event))

    def _on_message(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            event = {"type": None, "unparsed": str(message)[:500]}
        if not isinstance(event, dict):
            event = {"type": None, "unparsed": str(message)[:500]}
        self.log.append(("in", event))
        if self.mode is not ChannelMode.DROP_ON_OPEN:
            self._dispatch(event)
        self._spawn(self._notify())

    def _dispatch(self, event: Json) -> None:
        kind = event.get("type")
        if kind == "session.update":
            self._on_session_update(event)
        elif kind == "conversation.item.create":
            self._on_item_create(event)
        elif kind == "response.create":
            self._spawn(self._respond(event))

    def _error(self, problem: SessionProblem, client_event_id: object) -> None:
        self.send(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": problem.code,
                    "message": problem.message,
                    "param": problem.param,
                    "event_id": client_event_id,
                },
            }
        )

    def _on_session_update(self, event: Json) -> None:
        session = event.get("session")
        if not isinstance(session, dict):
            problem = SessionProblem("Missing required parameter: 'session'.", "missing_required")
            self._error(problem, event.get("event_id"))
            return
        problem = self.dialect.validate_session(session)
        if problem is None and self.audio_sent and self.dialect.voice_fixed_after_audio:
            voice = _ga_voice(session)
            if voice is not None and voice != _ga_voice(self.session):
                problem = SessionProblem(
                    "Cannot update a conversation's voice if assistant audio is present.",
                    "cannot_update_voice",
                    "session.audio.output.voice",
                )
        if problem is not None:
            self._error(problem, event.get("event_id"))
            return
        self.session = merge(self.session, session)
        self.send({"type": "session.updated", "session": self.session})

    def _on_item_create(self, event: Json) -> None:
        item = event.get("item")
        if not isinstance(item, dict):
            self._error(SessionProblem("Missing 'item'.", "missing_required", "item"), None)
            return
        item = {"id": item.get("id") or new_id("item"), "status": "completed", **item}
        if item.get("type") == "function_call_output":
            self._last_output = str(item.get("output"))
        elif item.get("type") == "mcp_approval_response":
            self._last_output = "approved" if item.get("approve") else "not approved"
        else:
            self._last_output = None
        for part in item.get("content") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                self._last_user_text = part["text"]
        previous, self._last_item_id = self._last_item_id, item["id"]
        self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": item})

    def reply_text(self) -> str:
        if self._last_output is not None:
            return f"The tool returned: {self._last_output[:200]}"
        said = self._last_user_text.strip()
        return f"You said: {said}" if said else "Hello from the test server."

    async def _respond(self, _request: Json) -> None:
        """A response in the GA event sequence; its words as text and/or audio transcript."""
        if self.scripted_mcp_approval is not None and self._last_output is None:
            label, name, arguments = self.scripted_mcp_approval
            self.scripted_mcp_approval = None
            await self._ask_mcp_approval(label, name, arguments)
            return
        if self.scripted_calls and self._last_output is None:
            await self._call_tools(self.scripted_calls.pop(0))
            return
        modalities = self.session.get(self.dialect.modalities_field)
        if not isinstance(modalities, list) or not modalities:
            modalities = list(self.dialect.default_modalities)
        streams = []
        if "audio" in modalities:
            streams.append("audio")
        if "text" in modalities and (not streams or self.dialect.text_and_audio):
            streams.append("text")
        text = self.reply_text()
        response_id = new_id("resp")
        item_id = new_id("item")
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        item = {"id": item_id, "type": "message", "role": "assistant", "object": "realtime.item"}
        self.send(
            {
                "type": "response.created",
                "response": {
                    "id": response_id,
                    "object": "realtime.response",
                    "status": "in_progress",
                    "output": [],
                },
            }
        )
        if self.dialect.backchannel:
            self.send({"type": "response.backchannel.skipped", "response_id": response_id})
        self.send(
            {
                "type": "response.output_item.added",
                "response_id": response_id,
                "output_index": 0,
                "item": {**item, "status": "in_progress", "content": []},
            }
        )
        previous, self._last_item_id = self._last_item_id, item_id
        self.send(
            {
                "type": "conversation.item.added",
                "previous_item_id": previous,
                "item": {**item, "status": "in_progress", "content": []},
            }
        )
        if "audio" in streams:
            self.audio_sent = True
            self.send({"type": "output_audio_buffer.started", "response_id": response_id})
        content = []
        for index, stream in enumerate(streams):
            await asyncio.sleep(0)
            content.append(await self._stream_words(stream, text, {**ids, "content_index": index}))
        done_item = {**item, "status": "completed", "content": content}
        self.send(
            {
                "type": "response.output_item.done",
                "response_id": response_id,
                "output_index": 0,
                "item": done_item,
            }
        )
        self.send(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": done_item}
        )
        if "audio" in streams:
            self.send({"type": "output_audio_buffer.stopped", "response_id": response_id})
        words = len(text.split())
        usage = {
            "total_tokens": 20 + words,
            "input_tokens": 20,
            "output_tokens": words,
            "input_token_details": {"text_tokens": 20, "audio_tokens": 0, "cached_tokens": 0},
            "output_token_details": {"text_tokens": words, "audio_tokens": 0},
        }
        self.send(
            {
                "type": "response.done",
                "response": {
                    "id": response_id,
                    "object": "realtime.response",
                    "status": "completed",
                    "output": [done_item],
                    "usage": usage,
                },
            }
        )

    async def _call_tools(self, calls: list[tuple[str, str]]) -> None:
        """A response made of function calls (PROVIDERS.md "Function calls"), no words."""
        response_id = new_id("resp")
        self.send({"type": "response.created", "response": {
            "id": response_id, "object": "realtime.response", "status": "in_progress",
            "output": []}})
        done_items = []
        for index, (name, arguments) in enumerate(calls):
            item_id, call_id = new_id("item"), new_id("call")
            item = {"id": item_id, "object": "realtime.item", "type": "function_call",
                    "status": "in_progress", "name": name, "call_id": call_id,
                    "arguments": ""}
            previous, self._last_item_id = self._last_item_id, item_id
            self.send({"type": "response.output_item.added", "response_id": response_id,
                       "output_index": index, "item": item})
            self.send({"type": "conversation.item.added", "previous_item_id": previous,
                       "item": item})
            ids = {"response_id": response_id, "item_id": item_id, "output_index": index,
                   "call_id": call_id}
            half = len(arguments) // 2
            for delta in (arguments[:half], arguments[half:]):
                self.send({"type": "response.function_call_arguments.delta", **ids,
                           "delta": delta})
                await asyncio.sleep(0)
            self.send({"type": "response.function_call_arguments.done", **ids, "name": name,
                       "arguments": arguments})
            done = {**item, "status": "completed", "arguments": arguments}
            self.send({"type": "response.output_item.done", "response_id": response_id,
                       "output_index": index, "item": done})
            self.send({"type": "conversation.item.done", "previous_item_id": previous,
                       "item": done})
            done_items.append(done)
        self.send({"type": "response.done", "response": {
            "id": response_id, "object": "realtime.response", "status": "completed",
            "output": done_items, "usage": {"total_tokens": 30, "input_tokens": 20,
                                            "output_tokens": 10}}})

    async def _ask_mcp_approval(self, label: str, name: str, arguments: str) -> None:
        response_id = new_id("resp")
        item = {"id": new_id("mcpr"), "object": "realtime.item",
                "type": "mcp_approval_request", "server_label": label, "name": name,
                "arguments": arguments}
        self.send({"type": "response.created", "response": {
            "id": response_id, "object": "realtime.response", "status": "in_progress",
            "output": []}})
        self.send({"type": "response.output_item.added", "response_id": response_id,
                   "output_index": 0, "item": item})
        previous, self._last_item_id = self._last_item_id, item["id"]
        self.send({"type": "conversation.item.added", "previous_item_id": previous,
                   "item": item})
        self.send({"type": "response.output_item.done", "response_id": response_id,
                   "output_index": 0, "item": item})
        self.send({"type": "conversation.item.done", "previous_item_id": previous,
                   "item": item})
        self.send({"type": "response.done", "response": {
            "id": response_id, "object": "realtime.response", "status": "completed",
            "output": [item]}})

    async def _stream_words(self, stream: str, text: str, ids: Json) -> Json:
        if stream == "audio":
            part = {"type": "output_audio", "transcript": ""}
            delta_type, done_type, done_field = (
                "response.output_audio_transcript.delta",
                "response.output_audio_transcript.done",
                "transcript",
            )
        else:
            part = {"type": "output_text", "text": ""}
            delta_type, done_type, done_field = (
                "response.output_text.delta",
                "response.output_text.done",
                "text",
            )
        self.send({"type": "response.content_part.added", **ids, "part": part})
        words = text.split(" ")
        for i, word in enumerate(words):
            self.send({"type": delta_type, **ids, "delta": word if i == 0 else " " + word})
            await asyncio.sleep(0)
        self.send({"type": done_type, **ids, done_field: text})
        final = {**part, done_field: text}
        self.send({"type": "response.content_part.done", **ids, "part": final})
        return final

    # -- plumbing -------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def mark_hung_up(self) -> None:
        self.hung_up = True
        self._spawn(self._notify())
        self._spawn(self.close())

    def spawn(self, coro: Any) -> None:  # noqa: ANN401 - a coroutine
        """Run ``coro`` for the life of the call (cancelled when it closes)."""
        self._spawn(coro)

    def _spawn(self, coro: Any) -> None:  # noqa: ANN401 - a coroutine
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _ga_voice(session: Json) -> object:
    audio = session.get("audio")
    output = audio.get("output") if isinstance(audio, dict) else None
    return output.get("voice") if isinstance(output, dict) else None
