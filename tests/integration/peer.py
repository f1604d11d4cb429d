"""A minimal raw realtime client for the local server's tests: aiortc + aiohttp, no app code.

It does what any OpenAI Realtime WebRTC client does (``oai-events`` channel created before the
offer, a sendrecv Opus transceiver fed by a microphone track, wait for ICE gathering, post the
offer) and records what comes back: every server event and every sample of the voice track.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler

RATE = 48000
FRAME = RATE // 50  # 20 ms
BLOCK = RATE // 100  # 10 ms, the envelope resolution
Json = dict[str, Any]
_ids = itertools.count(1)


# --- signals ---------------------------------------------------------------------------

def burst(seconds: float = 1.0) -> np.ndarray:
    """A chirp (300 -> 1200 Hz) with a stepped loudness envelope: easy to recognise when it
    comes back, even through two Opus encodings."""
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    phase = 2 * np.pi * (300 * t + (1200 - 300) * t**2 / (2 * seconds))
    steps = np.array([0.25, 0.7, 0.4, 0.9])
    envelope = steps[np.minimum((t / seconds * len(steps)).astype(int), len(steps) - 1)]
    # Smooth the steps over 10 ms so the envelope, not clicks, is what we compare.
    kernel = np.ones(BLOCK) / BLOCK
    envelope = np.convolve(envelope, kernel, mode="same")
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return (np.sin(phase) * envelope * fade * 32767 * 0.9).astype(np.int16)


def envelope(samples: np.ndarray) -> np.ndarray:
    """RMS per 10 ms block."""
    usable = samples.size - samples.size % BLOCK
    blocks = samples[:usable].astype(np.float64).reshape(-1, BLOCK)
    levels: np.ndarray = np.sqrt(np.mean(blocks**2, axis=1))
    return levels


def best_match(received: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """(Pearson correlation of loudness envelopes at the best alignment, offset in samples).

    Scale-free, so the codec's level changes do not matter; the stepped envelope makes a
    different sound (or the same one reversed) score low.
    """
    ref = envelope(reference)
    got = envelope(received)
    best, best_lag = -1.0, 0
    for lag in range(got.size - ref.size + 1):
        window = got[lag : lag + ref.size]
        if window.std() == 0:
            continue
        score = float(np.corrcoef(window, ref)[0, 1])
        if score > best:
            best, best_lag = score, lag
    return best, best_lag * BLOCK


def waveform_match(received: np.ndarray, reference: np.ndarray, around: int) -> float:
    """Best normalised waveform correlation within +-20 ms of a sample offset."""
    ref = reference.astype(np.float64)
    best = 0.0
    for shift in range(-2 * BLOCK, 2 * BLOCK + 1):
        start = around + shift
        if start < 0 or start + ref.size > received.size:
            continue
        window = received[start : start + ref.size].astype(np.float64)
        denom = np.linalg.norm(window) * np.linalg.norm(ref)
        if denom > 0:
            best = max(best, float(window @ ref / denom))
    return best


def echo_match(received: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(envelope correlation, waveform correlation) of ``reference`` found in ``received``:
    both near 1 when the same sound came back, whatever its level."""
    envelope_score, offset = best_match(received, reference)
    return envelope_score, waveform_match(received, reference, offset)


def loud_seconds(samples: np.ndarray, threshold_dbfs: float = -40.0) -> float:
    """How long the audio is louder than ``threshold_dbfs`` (10 ms resolution)."""
    levels = 20 * np.log10(np.maximum(envelope(samples), 1e-9) / 32768)
    return float(np.count_nonzero(levels > threshold_dbfs)) * BLOCK / RATE


# --- the microphone ------------------------------------------------------------------------

class SignalTrack(MediaStreamTrack):
    """A microphone that sends silence until told to ``play`` a signal, paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[tuple[np.ndarray, asyncio.Future[None]]] = deque()
        self._offset = 0
        self._start: float | None = None
        self._pts = 0

    def play(self, samples: np.ndarray) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((samples.astype(np.int16), done))
        return done

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            self._pts += FRAME
            wait = self._start + self._pts / RATE - now
            if wait > 0:
                await asyncio.sleep(wait)
        out = np.zeros(FRAME, dtype=np.int16)
        filled = 0
        while filled < FRAME and self._queue:
            samples, done = self._queue[0]
            take = min(FRAME - filled, samples.size - self._offset)
            out[filled : filled + take] = samples[self._offset : self._offset + take]
            filled += take
            self._offset += take
            if self._offset >= samples.size:
                self._queue.popleft()
                self._offset = 0
                if not done.done():
                    done.set_result(None)
        frame = AudioFrame.from_ndarray(out.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


# --- HTTP helpers -----------------------------------------------------------------------------

def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def mint_secret(base_url: str, key: str, session: Json | None = None) -> Json:
    body = {"session": session or {"type": "realtime"},
            "expires_after": {"anchor": "created_at", "seconds": 600}}
    async with aiohttp.ClientSession() as http, http.post(
        f"{base_url}/v1/realtime/client_secrets", json=body, headers=auth(key)
    ) as resp:
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


def multipart(sdp: str, session: Json | str | None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("sdp", sdp, content_type="application/sdp")
    if session is not None:
        text = session if isinstance(session, str) else json.dumps(session)
        form.add_field("session", text, content_type="application/json")
    return form


async def make_offer(video: bool = False) -> tuple[RTCPeerConnection, str]:
    """A real offer from a fresh peer (caller closes the peer)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.createDataChannel("oai-events")
    pc.addTransceiver(SignalTrack(), direction="sendrecv")
    if video:
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


# --- the client -----------------------------------------------------------------------------

class Peer:
    """One realtime call from the client side."""

    def __init__(self, base_url: str, *, api_key: str = "sk-local-test", video: bool = False):
        self.base_url = base_url
        self.api_key = api_key
        self.video = video
        self.mic = SignalTrack()
        self.events: list[Json] = []
        self.event_audio_pos: list[int] = []  # received samples when each event arrived
        self.call_id: str | None = None
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._channel = self._pc.createDataChannel("oai-events")
        self._open = asyncio.Event()
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._channel.on("open", self._open.set)
        self._channel.on("message", self._on_message)
        self._pc.on("track", self._on_track)

    async def connect(self, *, mode: str = "ephemeral", session: Json | None = None) -> None:
        pc = self._pc
        pc.addTransceiver(self.mic, direction="sendrecv")
        if self.video:
            pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())  # gathers ICE fully
        offer = pc.localDescription.sdp
        url = f"{self.base_url}/v1/realtime/calls"
        async with aiohttp.ClientSession() as http:
            if mode == "ephemeral":
                secret = await mint_secret(self.base_url, self.api_key, session)
                request = http.post(url, data=offer, headers={
                    **auth(secret["value"]), "Content-Type": "application/sdp"})
            else:
                request = http.post(url, data=multipart(offer, session or {"type": "realtime"}),
                                    headers=auth(self.api_key))
            async with request as resp:
                answer = await resp.text()
                assert resp.status == 201, answer
                self.call_id = resp.headers["Location"].rsplit("/", 1)[-1]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(self._open.wait(), 10)

    def send(self, event: Json) -> str:
        event = {"event_id": f"evt_client_{next(_ids)}", **event}
        self._channel.send(json.dumps(event))
        return str(event["event_id"])

    def send_raw(self, text: str) -> None:
        self._channel.send(text)

    async def wait_for(
        self, kind: str, *, after: int = 0, where: Callable[[Json], bool] | None = None,
        within: float = 10.0,
    ) -> Json:
        """The first event of ``kind`` at index >= ``after`` (matching ``where``)."""
        index = await self.wait_index(kind, after=after, where=where, within=within)
        return self.events[index]

    async def wait_index(
        self, kind: str, *, after: int = 0, where: Callable[[Json], bool] | None = None,
        within: float = 10.0,
    ) -> int:
        async def scan() -> int:
            seen = after
            while True:
                for i in range(seen, len(self.events)):
                    event = self.events[i]
                    if event.get("type") == kind and (where is None or where(event)):
                        return i
                seen = max(seen, len(self.events))
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(scan(), within)
        except TimeoutError:
            kinds = [e.get("type") for e in self.events[after:]]
            raise AssertionError(f"no {kind} within {within}s; got {kinds}") from None

    @property
    def answer_sdp(self) -> str:
        description = self._pc.remoteDescription
        return description.sdp if description is not None else ""

    def types(self, after: int = 0) -> list[str]:
        return [str(e.get("type")) for e in self.events[after:]]

    @property
    def audio_position(self) -> int:
        return self._samples

    def audio(self, start: int = 0) -> np.ndarray:
        """Everything the assistant's voice track delivered (from sample ``start``)."""
        whole = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return whole[start:]

    async def wait_audio(self, samples: int, within: float = 10.0) -> None:
        """Until ``samples`` more samples of the voice track have arrived."""
        target = self._samples + samples
        deadline = time.monotonic() + within
        while self._samples < target:
            if time.monotonic() > deadline:
                raise AssertionError("the voice track stopped delivering audio")
            await asyncio.sleep(0.02)

    async def hangup(self) -> int:
        async with aiohttp.ClientSession() as http, http.post(
            f"{self.base_url}/v1/realtime/calls/{self.call_id}/hangup",
            headers=auth(self.api_key),
        ) as resp:
            return resp.status

    async def close(self) -> None:
        self.mic.stop()
        await self._pc.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    def _on_message(self, message: str | bytes) -> None:
        self.events.append(json.loads(message))
        self.event_audio_pos.append(self._samples)
        self._arrived.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._reader = asyncio.create_task(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                for mono in resampler.resample(frame):  # type: ignore[arg-type]
                    chunk = mono.to_ndarray()[0].copy()
                    self._chunks.append(chunk)
                    self._samples += chunk.size
