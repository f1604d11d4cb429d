"""What the call sends: the microphone's frames as Opus packets, encoded on the loop.

aiortc encodes each 20 ms frame in a thread pool (stereo, 96 kbit/s): per frame a
future, a worker thread woken, and the loop woken again for the result. A call wakes
threads 400 times a second anyway, and on a virtual machine each wake-up costs far more
CPU than the encoding itself (measured: ~150 µs of CPU for a few numpy calls right after
a 10 ms sleep, against 6 µs in a tight loop). So this track encodes inline, mono, as a
browser does (RFC 7587 lets an `opus/48000/2` stream carry mono packets), and aiortc's
sender only packs what it gets (`RTCRtpSender` takes `av.Packet`s as pre-encoded).

The offer is limited to Opus (`prefer_opus`), so the packets always match the codec.
Pre-encoded packets carry no RTP audio level (RFC 6465); no provider reads it.
"""

from __future__ import annotations

import collections

import av
from aiortc import RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.audio.stream import AudioStream

from desktop.core.audio.frames import FRAME_SAMPLES, RATE, TIME_BASE

BITRATE = 64_000  # mono speech: well above what voice needs (browsers send ~32 kbit/s)


def new_encoder() -> av.AudioCodecContext:
    """The call's Opus encoder: 48 kHz mono s16 in, 64 kbit/s voice packets out."""
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)  # libopus is an audio codec
    codec.bit_rate = BITRATE
    codec.format = "s16"
    codec.layout = "mono"
    codec.sample_rate = RATE
    codec.time_base = TIME_BASE
    codec.options = {"application": "voip"}
    return codec


class OpusTrack(MediaStreamTrack):
    """Wraps an audio track (the mute gate) and hands out one Opus packet per 20 ms."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self._codec = new_encoder()
        # Only for frames that are not already 20 ms of 48 kHz mono s16 (a file source).
        self._reframe: av.AudioResampler | None = None
        self._pts = 0  # in samples at 48 kHz: one packet, 960 more; never jumps
        # A source frame longer than 20 ms makes several packets: one goes out per recv().
        self._ready: collections.deque[av.Packet[AudioStream]] = collections.deque()

    async def recv(self) -> av.Packet[AudioStream]:  # aiortc's sender takes packets too
        while not self._ready:  # (a file's odd-sized frame may make none yet)
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.source.recv()
            assert isinstance(frame, av.AudioFrame)  # an audio track's frames
            self._encode(frame)
        return self._ready.popleft()

    def _encode(self, frame: av.AudioFrame) -> None:
        if (
            frame.samples == FRAME_SAMPLES
            and frame.sample_rate == RATE
            and frame.format.name == "s16"
            and frame.layout.name == "mono"
        ):
            frames = [frame]
        else:
            if self._reframe is None:
                self._reframe = av.AudioResampler(
                    format="s16", layout="mono", rate=RATE, frame_size=FRAME_SAMPLES
                )
            frames = self._reframe.resample(frame)
        for piece in frames:
            for packet in self._codec.encode(piece):
                # Our own timeline: libopus's pre-skip would start it below zero, and a
                # source at another rate counts its pts in its own samples.
                packet.pts = self._pts
                packet.time_base = TIME_BASE
                self._pts += FRAME_SAMPLES
                self._ready.append(packet)

    def stop(self) -> None:
        super().stop()
        self.source.stop()


def prefer_opus(transceiver: RTCRtpTransceiver) -> None:
    """Offer Opus alone: what `OpusTrack` sends must be what was negotiated."""
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    opus = [c for c in codecs if c.mimeType.lower() == "audio/opus"]
    transceiver.setCodecPreferences(opus)
