"""The receive buffer for Opus: each packet reaches the decoder the moment it arrives."""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from desktop.core.call.jitter import ArrivalOrderBuffer, use_arrival_order


def packet(seq: int) -> RtpPacket:
    p = RtpPacket(payload_type=111, sequence_number=seq & 0xFFFF, timestamp=seq * 960)
    p._data = bytes([seq & 0xFF])  # type: ignore[attr-defined]  # what the receiver sets
    return p


def released(buffer: JitterBuffer, seqs: list[int]) -> list[int | None]:
    """For each arriving packet, which one (by timestamp) the buffer hands on, if any."""
    out: list[int | None] = []
    for seq in seqs:
        _, frame = buffer.add(packet(seq))
        out.append(None if frame is None else frame.timestamp // 960)
    return out


def test_every_packet_is_passed_on_as_it_arrives() -> None:
    assert released(ArrivalOrderBuffer(), [10, 11, 12, 13]) == [10, 11, 12, 13]


def test_a_lost_packet_adds_no_delay() -> None:
    """aiortc's own buffer holds 4 packets (80 ms) and, after a loss, waits for its buffer
    to overflow and keeps the backlog; ours goes straight on with the next packet."""
    seqs = [10, 11, 13, 14, 15]  # 12 never comes
    assert released(ArrivalOrderBuffer(), seqs) == [10, 11, 13, 14, 15]
    stock = released(JitterBuffer(capacity=16, prefetch=4), [*seqs, *range(16, 40)])
    first_after_loss = stock.index(13)
    assert first_after_loss - seqs.index(13) > 10  # packets' worth of delay, kept


def test_late_and_duplicate_packets_are_dropped_and_counted() -> None:
    buffer = ArrivalOrderBuffer()
    assert released(buffer, [10, 12, 11, 12, 13]) == [10, 12, None, None, 13]
    assert buffer.late == 2
    assert buffer.passed == 3


def test_sequence_numbers_wrap_and_a_restarted_stream_is_followed() -> None:
    assert released(ArrivalOrderBuffer(), [65534, 65535, 65536, 65537]) == [
        65534, 65535, 65536, 65537,
    ]
    assert released(ArrivalOrderBuffer(), [40000, 40001, 5, 6]) == [40000, 40001, 5, 6]


class _Transport:
    state = "new"


def test_an_audio_receiver_gets_the_buffer_and_a_video_receiver_does_not() -> None:
    audio = RTCRtpReceiver("audio", _Transport())  # type: ignore[arg-type]
    video = RTCRtpReceiver("video", _Transport())  # type: ignore[arg-type]
    assert use_arrival_order(audio) is True
    assert isinstance(audio._RTCRtpReceiver__jitter_buffer, ArrivalOrderBuffer)  # type: ignore[attr-defined]
    assert use_arrival_order(video) is False
