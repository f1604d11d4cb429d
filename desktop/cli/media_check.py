"""The codecs Talkline uses, run through av's FFmpeg: the self-test's "codecs" check.

A call sends Opus (libopus) and receives Opus; the avatar arrives as VP8 (libvpx), H.264
(FFmpeg's decoder) or JPEG. Each is encoded here and decoded back, in memory, with the
decoders the app and aiortc use, so a bundle missing a library (or carrying a broken one)
fails here rather than in a call. The encoders the Linux bundle replaces with stubs
(packaging/stub_libraries.py) must fail with a Python exception when opened, not crash:
`left_out` records what opening each one did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import numpy as np
from av.video.codeccontext import VideoCodecContext

from desktop.core.audio.frames import RATE

SIDE = 64  # video test frames: small, but above every encoder's minimum
# Encoders av's FFmpeg is linked with but Talkline never uses; the Linux bundle carries
# stubs in their place (HEVC: x265, AV1: SVT-AV1).
STUBBED_ENCODERS = ("libx265", "libsvtav1")


class CodecCheckError(RuntimeError):
    """A codec Talkline needs did not work; the message says which and how."""


@dataclass
class CodecReport:
    ffmpeg: str
    worked: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # encoder -> what opening raised
    present: list[str] = field(default_factory=list)  # stubbed-in-the-bundle encoders found


def opus_round_trip() -> str:
    """100 ms of a tone through the call's own Opus encoder and decoder (opus_send.py,
    opus_receive.py) and back: as many samples out as went in."""
    from aiortc.jitterbuffer import JitterFrame

    from desktop.core.audio.frames import FRAME_SAMPLES, make_frame
    from desktop.core.call.opus_receive import MonoOpusDecoder
    from desktop.core.call.opus_send import new_encoder

    t = np.arange(FRAME_SAMPLES * 5) / RATE
    tone = (np.sin(2 * np.pi * 440 * t) * 12_000).astype(np.int16)
    encoder = new_encoder()
    packets: list[av.Packet[Any]] = []
    for i in range(5):
        pts = i * FRAME_SAMPLES
        packets += encoder.encode(make_frame(tone[pts : pts + FRAME_SAMPLES], pts))
    packets += encoder.encode(None)
    decoder = MonoOpusDecoder()
    decoded = sum(
        frame.samples
        for p in packets
        for frame in decoder.decode(JitterFrame(bytes(p), int(p.pts or 0)))
        if isinstance(frame, av.AudioFrame)
    )
    if not packets or decoded < FRAME_SAMPLES * 4:
        raise CodecCheckError(f"Opus: {len(packets)} packets decoded to {decoded} samples")
    return "Opus"


def _video(name: str, mode: str) -> VideoCodecContext:
    context = av.CodecContext.create(name, "w" if mode == "w" else "r")
    assert isinstance(context, VideoCodecContext), name  # a video codec's name
    return context


def video_round_trip(encoder_name: str, decoder_name: str, label: str) -> str:
    """Three frames encoded with `encoder_name`, decoded by `decoder_name` at the same size."""
    encoder = _video(encoder_name, "w")
    encoder.width = encoder.height = SIDE
    encoder.pix_fmt = "yuvj420p" if encoder_name == "mjpeg" else "yuv420p"
    encoder.time_base = Fraction(1, 30)
    encoder.framerate = Fraction(30, 1)
    packets: list[av.Packet[Any]] = []
    for i in range(3):
        rgb = np.zeros((SIDE, SIDE, 3), np.uint8)
        rgb[:, : SIDE * (i + 1) // 3] = (200, 80, 40)  # a bar that grows: frames differ
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=encoder.pix_fmt)
        frame.pts = i
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    decoder = _video(decoder_name, "r")
    frames = [f for p in packets for f in decoder.decode(p)]
    frames += decoder.decode(None)
    if len(frames) != 3 or any((f.width, f.height) != (SIDE, SIDE) for f in frames):
        raise CodecCheckError(
            f"{label}: {len(packets)} packets from {encoder_name} decoded to "
            f"{len(frames)} frames by {decoder_name}, not 3 of {SIDE}x{SIDE}"
        )
    return label


def open_encoder(name: str) -> None:
    """Open a video encoder (raises av's exception when it cannot be opened)."""
    encoder = _video(name, "w")
    encoder.width = encoder.height = SIDE
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, 30)
    encoder.open()


def check_codecs() -> CodecReport:
    """Every codec Talkline uses works; which of the stubbed encoders are left out."""
    report = CodecReport(ffmpeg=str(av.ffmpeg_version_info))
    report.worked.append(opus_round_trip())
    report.worked.append(video_round_trip("libvpx", "libvpx", "VP8"))
    report.worked.append(video_round_trip("libx264", "h264", "H.264"))
    report.worked.append(video_round_trip("mjpeg", "mjpeg", "JPEG"))
    for name in STUBBED_ENCODERS:
        try:
            open_encoder(name)
        except av.FFmpegError as exc:  # what the stubs make of it: an error, not a crash
            report.left_out[name] = f"{type(exc).__name__}: {exc.strerror}"
        else:
            report.present.append(name)
    return report


def describe(report: CodecReport) -> str:
    text = f"{', '.join(report.worked)} encoded and decoded (FFmpeg {report.ffmpeg})"
    if report.left_out:
        text += "; left out (opening raises): " + ", ".join(
            f"{n} ({e})" for n, e in report.left_out.items()
        )
    if report.present:
        text += f"; also present: {', '.join(report.present)}"
    return text
