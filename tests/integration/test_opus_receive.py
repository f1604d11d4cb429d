"""What the call receives: Opus decoded on the loop. The reply is heard as sent, a broken
packet costs one frame and never the rest of the call, and hanging up still ends the
remote track (aiortc's decoder thread, asleep, is woken to end it)."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs.opus import OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver

from desktop.core.audio.gate import GatedTrack
from desktop.core.call.opus_receive import InlineDecoding, decode_inline
from desktop.core.call.opus_send import OpusTrack, prefer_opus
from tests.unit.test_opus_send import Frames, peak_hz, tone

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


async def connect(caller: RTCPeerConnection, callee: RTCPeerConnection) -> None:
    await caller.setLocalDescription(await caller.createOffer())
    await callee.setRemoteDescription(caller.localDescription)
    await callee.setLocalDescription(await callee.createAnswer())
    await caller.setRemoteDescription(callee.localDescription)


async def test_a_reply_over_real_webrtc_is_heard_as_sent_and_hanging_up_ends_it() -> None:
    caller, callee = RTCPeerConnection(), RTCPeerConnection()
    sent = OpusTrack(GatedTrack(Frames(tone(440, 30.0), 960)))
    prefer_opus(caller.addTransceiver(sent, direction="sendonly"))
    received: asyncio.Future[RemoteStreamTrack] = asyncio.get_running_loop().create_future()
    callee.on("track", received.set_result)
    receiver = callee.addTransceiver("audio", direction="recvonly").receiver
    inline = decode_inline(receiver)
    assert inline is not None, "aiortc's receiver layout changed: the call would use its thread"
    try:
        await connect(caller, callee)
        track = await asyncio.wait_for(received, 10)
        frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(50)]
        assert all(f.layout.name == "mono" and f.sample_rate == 48000 for f in frames)
        heard = np.concatenate([f.to_ndarray().reshape(-1) for f in frames[10:]])
        assert abs(peak_hz(heard.astype(np.float64)) - 440) < 5
        assert inline.decoded >= 50 and inline.failed == 0  # decoded here, not in a thread
        await asyncio.wait_for(callee.close(), 5)  # joins aiortc's sleeping thread
        with pytest.raises(MediaStreamError):  # whoever plays the reply sees it end
            while True:
                await asyncio.wait_for(track.recv(), 5)
    finally:
        await caller.close()
        await callee.close()


class _Transport:
    state = "new"


def test_a_broken_or_empty_packet_costs_one_frame_and_the_voice_goes_on() -> None:
    receiver = RTCRtpReceiver("audio", _Transport())  # type: ignore[arg-type]
    inline = decode_inline(receiver)
    assert isinstance(inline, InlineDecoding)
    receiver._track = RemoteStreamTrack(kind="audio")  # as the remote description does
    encoder = OpusEncoder()
    voice = tone(300, 1.0)
    packets: list[bytes] = []
    for start in range(0, voice.size, 960):
        frame = av.AudioFrame.from_ndarray(
            voice[start : start + 960].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, start
        payloads, _ = encoder.encode(frame)
        packets.extend(payloads)
    # An empty packet (to FFmpeg: "end of stream") and garbage arrive mid-reply.
    arriving = [*packets[:20], b"", b"\xff\xff\xff\xff", *packets[20:]]
    for i, data in enumerate(arriving):
        inline.put((OPUS, JitterFrame(data=data, timestamp=i * 960)))
    assert inline.no_payload == 1
    queue = receiver.track._queue  # type: ignore[attr-defined]
    out = [queue.get_nowait() for _ in range(queue.qsize())]
    assert len(out) >= len(packets) - 1  # the voice after them was decoded too
    after = np.concatenate([f.to_ndarray().reshape(-1) for f in out[-20:]])
    assert abs(peak_hz(after.astype(np.float64)) - 300) < 5
