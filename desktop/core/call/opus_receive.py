"""What the call receives: Opus packets decoded on the loop, as they arrive.

aiortc decodes in a thread of its own: per 20 ms packet, a queue wakes that thread, and
the decoded frame comes back through `run_coroutine_threadsafe` (a task, a future and a
loop wake-up). Decoding one Opus packet takes ~30 µs, while on a virtual machine each
thread wake-up costs ~150 µs of CPU (see opus_send.py). So the audio receiver's decoder
queue is replaced by `InlineDecoding`, which decodes as the packet is put and hands the
frame straight to the remote track. aiortc's thread still starts but sleeps until the
receiver stops, when it ends the track as before. Video keeps aiortc's thread: a video
frame takes milliseconds to decode.

Like the jitter buffer (jitter.py), this is a private attribute of `RTCRtpReceiver`: if
aiortc's layout changes, `decode_inline()` leaves the receiver as it is and logs why, and
a remote track without the queue `InlineDecoding` feeds gets its packets decoded by
aiortc's thread as before.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

import av
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver

log = logging.getLogger("talkline.call")

_QUEUE = "_RTCRtpReceiver__decoder_queue"
_ERROR = "_RTCRtpReceiver__decoder_error"
_KIND = "_RTCRtpReceiver__kind"


class InlineDecoding(queue.Queue[Any]):
    """The receiver's decoder queue: `put((codec, frame))` decodes at once; only the
    end-of-stream `None` is queued, for aiortc's sleeping decoder thread."""

    def __init__(self, receiver: RTCRtpReceiver, error: threading.Event) -> None:
        super().__init__()
        self._receiver = receiver  # its track (made with the remote description) takes frames
        self._error = error
        self._decoder: Decoder | None = None
        self._codec: str | None = None
        self.decoded = 0
        self.failed = 0  # packets the decoder refused
        self.no_payload = 0  # packets with nothing in them, skipped

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stops: the thread ends the track
            super().put(None)
            return
        output = getattr(self._receiver.track, "_queue", None)
        if not isinstance(output, asyncio.Queue):  # aiortc changed: its thread decodes it
            super().put(item)
            return
        codec, encoded = item
        assert isinstance(codec, RTCRtpCodecParameters) and isinstance(encoded, JitterFrame)
        if not encoded.data:
            # A packet with no payload (padding, or a hostile server): to FFmpeg an empty
            # packet means "end of stream", after which the decoder refuses every packet
            # and the rest of the call would be silent (aiortc's own thread does just that).
            self.no_payload += 1
            return
        if codec.name != self._codec:
            self._decoder = _decoder_for(codec)
            self._codec = codec.name
        assert self._decoder is not None
        try:
            frames = self._decoder.decode(encoded)
        except av.FFmpegError as exc:
            # As aiortc does: keep the decoder's state, count it, go on with the next one.
            self.failed += 1
            if self.failed == 1:
                log.warning("an audio packet could not be decoded: %s", exc)
            self._error.set()
            return
        for frame in frames:
            self.decoded += 1
            output.put_nowait(frame)


class MonoOpusDecoder(OpusDecoder):
    """aiortc's Opus decoder, giving mono: what the speaker plays (libopus downmixes a
    stereo stream itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.codec.layout = "mono"  # the codec opens at the first packet


def _decoder_for(codec: RTCRtpCodecParameters) -> Decoder:
    return MonoOpusDecoder() if codec.name.lower() == "opus" else get_decoder(codec)


def decode_inline(receiver: RTCRtpReceiver) -> InlineDecoding | None:
    """Decode an audio receiver's packets on the loop; None (and a log line) if aiortc's
    layout changed. Call it before the receiver starts (before the offer or answer)."""
    current = getattr(receiver, _QUEUE, None)
    error = getattr(receiver, _ERROR, None)
    if (
        type(current) is not queue.Queue
        or not isinstance(error, threading.Event)
        or getattr(receiver, _KIND, None) != "audio"
    ):
        log.info("aiortc's receiver has no decoder queue where expected; left as is")
        return None
    inline = InlineDecoding(receiver, error)
    setattr(receiver, _QUEUE, inline)
    return inline
