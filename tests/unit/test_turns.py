"""Push-to-talk and interrupt send exactly the events PROVIDERS.md prescribes."""

import asyncio

import pytest

from desktop.core.call import turns as turns_mod
from desktop.core.call.turns import TurnController
from desktop.core.events.client import ClientEvent


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.mic_open: list[bool] = []
        self.cleared = 0
        self.interrupted: list[str | None] = []

    def controller(self) -> TurnController:
        return TurnController(
            send=lambda e: self.sent.append(e.type) if isinstance(e, ClientEvent) else None,
            set_mic_open=self.mic_open.append,
            clear_playback=self._clear,
            mark_interrupted=self.interrupted.append,
        )

    def _clear(self) -> None:
        self.cleared += 1


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


async def test_push_to_talk_press_and_release(rec: Recorder, monkeypatch) -> None:
    monkeypatch.setattr(turns_mod, "PTT_TAIL_SECONDS", 0.0)
    tc = rec.controller()
    tc.set_push_to_talk(True)
    assert rec.mic_open[-1] is False  # closed until the key is held
    tc.ptt_press()
    assert rec.mic_open[-1] is True and tc.state.listening
    tc.ptt_press()  # auto-repeat: ignored
    tc.ptt_press()
    await asyncio.sleep(0.2)
    tc.ptt_release()
    await asyncio.sleep(0.05)
    assert rec.sent == [
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "response.create",
    ]
    assert rec.mic_open[-1] is False and not tc.state.listening


async def test_a_tap_sends_no_empty_turn(rec: Recorder) -> None:
    tc = rec.controller()
    tc.set_push_to_talk(True)
    tc.ptt_press()
    tc.ptt_release()  # well under 150 ms
    await asyncio.sleep(0.2)
    assert "input_audio_buffer.commit" not in rec.sent
    assert "response.create" not in rec.sent
    assert rec.sent.count("input_audio_buffer.clear") == 2
    assert rec.mic_open[-1] is False


async def test_press_while_assistant_speaks_interrupts_first(rec: Recorder) -> None:
    tc = rec.controller()
    tc.set_push_to_talk(True)
    tc.on_response_created("resp_1")
    tc.on_speaking(True)
    tc.ptt_press()
    assert rec.sent[:3] == [
        "response.cancel",
        "output_audio_buffer.clear",
        "input_audio_buffer.clear",
    ]
    assert rec.interrupted == ["resp_1"] and rec.cleared == 1


def test_interrupt_cancels_only_in_flight_responses(rec: Recorder) -> None:
    tc = rec.controller()
    assert tc.interrupt() is False
    assert rec.sent == []  # nothing to cancel: no response.cancel error from the server
    tc.on_response_created("resp_1")
    tc.on_response_done("resp_1")
    tc.on_speaking(True)  # audio still draining after response.done
    assert tc.interrupt() is True
    assert rec.sent == ["output_audio_buffer.clear"]


def test_response_create_waits_for_the_previous_response(rec: Recorder) -> None:
    tc = rec.controller()
    tc.on_response_created("resp_1")
    tc.request_response()
    assert rec.sent == []
    tc.on_response_done("resp_1")
    assert rec.sent == ["response.create"]


def test_mute_closes_the_mic_in_every_mode(rec: Recorder) -> None:
    tc = rec.controller()
    tc.set_muted(True)
    assert rec.mic_open[-1] is False and tc.state.user_muted
    tc.set_muted(False)
    assert rec.mic_open[-1] is True
    tc.set_push_to_talk(True)
    tc.set_muted(True)
    tc.ptt_press()
    assert rec.mic_open[-1] is False  # muted wins over a held key
