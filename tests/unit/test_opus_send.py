"""What the call sends: the microphone's frames as Opus packets that any receiver decodes
back to the same sound, on an unbroken 20 ms timeline, in an offer that names only Opus."""

from __future__ import annotations

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack

from desktop.core.audio.gate import GatedTrack
from desktop.core.call.opus_send import OpusTrack, prefer_opus

RATE = 48000


class Frames(MediaStreamTrack):
    """`samples` handed out in frames of `size` at `rate`, then the track ends."""

    kind = "audio"

    def __init__(self, samples: np.ndarray, size: int, rate: int = RATE) -> None:
        super().__init__()
        self._samples, self._size, self._rate, self._pos = samples, size, rate, 0

    async def recv(self) -> av.AudioFrame:
        piece = self._samples[self._pos : self._pos + self._size]
        frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._rate
        frame.pts = self._pos
        self._pos += self._size
        return frame


def tone(freq: float, seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


async def packets_of(track: OpusTrack, count: int) -> list[av.Packet]:
    return [await track.recv() for _ in range(count)]


def decode(packets: list[av.Packet]) -> np.ndarray:
    """What a receiver plays: aiortc's own Opus decoder (stereo s16), left channel."""
    decoder = OpusDecoder()
    out = []
    for packet in packets:
        for frame in decoder.decode(JitterFrame(bytes(packet), int(packet.pts or 0))):
            out.append(frame.to_ndarray().reshape(-1, 2)[:, 0])
    return np.concatenate(out).astype(np.float64)


def peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


async def test_a_voice_band_tone_comes_out_of_a_decoder_as_it_went_in() -> None:
    sent = tone(440, 1.0)
    track = OpusTrack(GatedTrack(Frames(sent, 960)))
    packets = await packets_of(track, 50)
    assert [p.pts for p in packets] == [i * 960 for i in range(50)], "a 20 ms timeline"
    heard = decode(packets)[4800:]  # after the codec's start-up
    assert abs(peak_hz(heard) - 440) < 5
    level_in = 20 * np.log10(np.sqrt(np.mean(sent.astype(np.float64) ** 2)))
    level_out = 20 * np.log10(np.sqrt(np.mean(heard**2)))
    assert abs(level_in - level_out) < 1.5, (level_in, level_out)


async def test_muted_is_silence_on_the_same_timeline() -> None:
    gate = GatedTrack(Frames(tone(440, 1.0), 960))
    gate.muted = True
    packets = await packets_of(OpusTrack(gate), 25)
    assert [p.pts for p in packets] == [i * 960 for i in range(25)]
    assert np.abs(decode(packets)).max() < 50  # nothing of the tone gets out
    assert max(len(bytes(p)) for p in packets[5:]) < 20  # and silence costs a few bytes


async def test_a_file_at_another_rate_in_odd_pieces_still_goes_out_in_20_ms_packets() -> None:
    sent = tone(300, 1.0, rate=44100)
    track = OpusTrack(GatedTrack(Frames(sent, 441, rate=44100)))
    packets = await packets_of(track, 40)
    pts = [p.pts for p in packets]
    assert all(b - a == 960 for a, b in zip(pts, pts[1:], strict=False)), pts[:5]
    assert abs(peak_hz(decode(packets)[4800:]) - 300) < 5


async def test_the_offer_names_opus_alone() -> None:
    pc = RTCPeerConnection()
    try:
        prefer_opus(pc.addTransceiver(OpusTrack(GatedTrack(None)), direction="sendrecv"))
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
    finally:
        await pc.close()
    rtpmaps = [line for line in sdp.splitlines() if line.startswith("a=rtpmap:")]
    assert rtpmaps and all("opus/48000/2" in line for line in rtpmaps), rtpmaps
    # aiortc would otherwise offer PCMU and PCMA too, which OpusTrack's packets are not.
    assert len(RTCRtpSender.getCapabilities("audio").codecs) > 1


async def test_frames_longer_than_20_ms_lose_nothing() -> None:
    sent = tone(500, 1.0)
    track = OpusTrack(GatedTrack(Frames(sent, 1920)))  # 40 ms a frame: two packets each
    packets = await packets_of(track, 50)
    assert [p.pts for p in packets] == [i * 960 for i in range(50)]
    heard = decode(packets)[4800:]
    assert abs(peak_hz(heard) - 500) < 5
    level_in = 20 * np.log10(np.sqrt(np.mean(sent.astype(np.float64) ** 2)))
    assert abs(level_in - 20 * np.log10(np.sqrt(np.mean(heard**2)))) < 1.5  # no holes
