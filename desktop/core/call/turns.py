"""Who speaks when: push-to-talk, interrupting the assistant, response bookkeeping.

Rules from ../shared/PROVIDERS.md (Turn taking over WebRTC):
- interrupt = `response.cancel` only while a response is in flight, then
  `output_audio_buffer.clear`; the server truncates what was not played.
- push-to-talk press = interrupt if speaking + `input_audio_buffer.clear` + unmute;
  release = mute + `input_audio_buffer.commit` + `response.create`; auto-repeat ignored.
- a new `response.create` only after the previous response is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop.core.events import client as ce
from desktop.core.events.client import ClientEvent
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.turns")

# A press shorter than this is a slip of the finger, not a turn: no empty commit.
MIN_PTT_SECONDS = 0.150
# Keep the microphone open briefly after release: the last syllable is still in flight.
PTT_TAIL_SECONDS = 0.120
# A response.create counts as in flight until response.created (or this long, should the
# server refuse it): two requests in one moment (typed text and tool outputs) make one.
REQUEST_ANSWER_SECONDS = 5.0


@dataclass(frozen=True)
class TurnState:
    response_in_flight: bool = False
    assistant_speaking: bool = False
    listening: bool = False  # push-to-talk held and the microphone open for it
    user_muted: bool = False
    short_presses: int = 0  # presses under MIN_PTT_SECONDS so far: nothing was sent


class TurnController:
    def __init__(
        self,
        send: Callable[[ClientEvent], object],
        set_mic_open: Callable[[bool], None],
        clear_playback: Callable[[], None],
        mark_interrupted: Callable[[str | None], None],
    ) -> None:
        self._send = send
        self._set_mic_open = set_mic_open
        self._clear_playback = clear_playback
        self._mark_interrupted = mark_interrupted
        self.push_to_talk = False
        self._response_id: str | None = None
        self._in_flight = False
        self._speaking = False
        self._held_since: float | None = None
        self._user_muted = False
        self._pending_response = False
        self._requested_at: float | None = None
        self._release_task: asyncio.Task[None] | None = None
        self._in_tail = False
        self._short_presses = 0
        self.changed: Emitter[TurnState] = Emitter()

    # -- what the server tells us ---------------------------------------------------------

    def on_response_created(self, response_id: str | None) -> None:
        self._requested_at = None
        self._in_flight = True
        self._response_id = response_id
        self._publish()

    def on_response_done(self, response_id: str | None) -> None:
        if response_id is None or response_id == self._response_id or not self._in_flight:
            self._in_flight = False
            self._response_id = None
        if self._pending_response and not self._in_flight:
            self._pending_response = False
            self._send_create()
        self._publish()

    def on_speaking(self, speaking: bool) -> None:
        self._speaking = speaking
        self._publish()

    # -- what the user does ---------------------------------------------------------------

    @property
    def state(self) -> TurnState:
        return TurnState(
            response_in_flight=self._in_flight,
            assistant_speaking=self._speaking,
            listening=self._held_since is not None and not self._user_muted,
            user_muted=self._user_muted,
            short_presses=self._short_presses,
        )

    def set_push_to_talk(self, enabled: bool) -> None:
        self.push_to_talk = enabled
        self._apply_mic()

    def set_muted(self, muted: bool) -> None:
        self._user_muted = muted
        self._apply_mic()
        self._publish()

    def interrupt(self) -> bool:
        """Stop the assistant. Returns whether there was anything to stop."""
        busy = self._in_flight or self._speaking
        if self._in_flight:
            self._send(ce.response_cancel())
        if busy:
            self._send(ce.output_audio_buffer_clear())
            self._mark_interrupted(self._response_id)
        self._clear_playback()
        self._speaking = False
        self._publish()
        return busy

    def request_response(self) -> None:
        """response.create now, or as soon as the response in flight is done."""
        if self._in_flight or self._requested():
            self._pending_response = True
        else:
            self._send_create()

    def _requested(self) -> bool:
        at = self._requested_at
        return at is not None and time.monotonic() - at < REQUEST_ANSWER_SECONDS

    def _send_create(self) -> None:
        self._requested_at = time.monotonic()
        self._send(ce.response_create())

    def ptt_press(self) -> None:
        if self._held_since is not None:
            return  # key auto-repeat
        if self._release_task is not None and not self._release_task.done():
            # Pressed again within the tail: the previous turn is sent now, not dropped
            # (each release is one commit), and the new one starts after it.
            self._release_task.cancel()
            self._in_tail = False
            self._commit_turn()
        self._held_since = time.monotonic()
        self.interrupt()
        self._send(ce.input_audio_buffer_clear())
        self._apply_mic()
        self._publish()

    def ptt_release(self) -> None:
        if self._held_since is None:
            return
        held = time.monotonic() - self._held_since
        self._held_since = None
        if held < MIN_PTT_SECONDS:
            self._short_presses += 1
            self._apply_mic()
            self._send(ce.input_audio_buffer_clear())
            self._publish()
            return
        self._publish()
        self._in_tail = True
        self._release_task = asyncio.get_running_loop().create_task(self._finish_turn())

    async def _finish_turn(self) -> None:
        try:
            await asyncio.sleep(PTT_TAIL_SECONDS)
        finally:
            self._in_tail = False
        self._commit_turn()

    def _commit_turn(self) -> None:
        self._apply_mic()
        self._send(ce.input_audio_buffer_commit())
        self.request_response()

    def _apply_mic(self) -> None:
        open_ = not self._user_muted and (not self.push_to_talk or self._held_since is not None)
        if self.push_to_talk and self._in_tail:
            open_ = not self._user_muted  # the tail after release
        self._set_mic_open(open_)

    def close(self) -> None:
        if self._release_task is not None:
            self._release_task.cancel()
        if self._held_since is not None:  # the call ends mid-hold: nobody is listening now
            self._held_since = None
            self._publish()

    def _publish(self) -> None:
        self.changed.emit(self.state)
