"""Hand received Opus packets to the decoder as they arrive, not 80 ms later.

aiortc's audio receiver holds each packet until four newer ones have arrived (80 ms of
delay on every call), and after a single lost packet it waits for its buffer to overflow
and then keeps the backlog: about 300 ms of extra delay for the rest of the call. Opus
over RTP is one frame per packet, so there is nothing to reassemble; jitter is absorbed
once, by our playout buffer (desktop/core/audio/playout.py), which can see and drop
backlog. A packet that arrives after a newer one was passed on is late: it is counted and
dropped, as a real-time voice path must.

aiortc has no option for this: the buffer is a private attribute of RTCRtpReceiver, set
by `use_arrival_order()` and left alone (with a log line) if aiortc's internals change.
"""

from __future__ import annotations

import logging

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

log = logging.getLogger("talkline.jitter")

_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"
_RESTART = 3000  # a packet this far "behind" is a restarted stream, not a late packet


class ArrivalOrderBuffer(JitterBuffer):
    """An audio "jitter buffer" that passes each packet on at once, newest-wins."""

    def __init__(self) -> None:
        super().__init__(capacity=16, prefetch=0)
        self._last: int | None = None
        self.passed = 0
        self.late = 0  # late or duplicate packets dropped

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        if self._last is not None:
            behind = (self._last - seq) & 0xFFFF
            if behind < _RESTART:  # 0 is a duplicate
                self.late += 1
                return False, None
        self._last = seq
        self.passed += 1
        data: bytes = packet._data  # type: ignore[attr-defined]  # set by the receiver
        return False, JitterFrame(data=data, timestamp=packet.timestamp)


def use_arrival_order(receiver: RTCRtpReceiver) -> bool:
    """Give an audio receiver the arrival-order buffer; False if aiortc's layout changed."""
    current = getattr(receiver, _ATTRIBUTE, None)
    if not isinstance(current, JitterBuffer) or getattr(current, "_is_video", True):
        log.info("aiortc's receiver has no audio jitter buffer where expected; left as is")
        return False
    setattr(receiver, _ATTRIBUTE, ArrivalOrderBuffer())
    return True
