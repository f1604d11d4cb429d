"""A provider written to hurt the client: an aiohttp server and an aiortc answerer on loopback.

``HostileServer`` speaks OpenAI's GA routes (mint a key, post the offer, hang up), and each
test swaps in the answer it wants: a gzip bomb, an endless body, a 50 MB error message, HTML
in an error, a truncated SDP, a ``Location`` that points elsewhere, a Retry-After date. It
counts what it wrote, so a test can show the client stopped reading early.

``HostilePeer`` answers the offer with a real peer connection and, once the client's data
channel is open, sends whatever a test hands it (floods, huge events, lone surrogates).

Like the other fakes, it never imports the client (``desktop``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CALLS = "/v1/realtime/calls"
MINT = "/v1/realtime/client_secrets"
EPHEMERAL = "ek_hostile_0123456789abcdef"


@dataclass
class Seen:
    method: str
    path: str
    authorization: str


class HostilePeer:
    """The media side: answers the offer, then sends what the test says on the channel."""

    def __init__(self) -> None:
        self.pc: RTCPeerConnection | None = None
        self.channel: Any = None  # aiortc RTCDataChannel
        self.received: list[Json] = []
        self.opened = asyncio.Event()
        self.silent = False  # True: never answer (a server that stopped responding)

    async def answer(self, offer_sdp: str) -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc
        pc.on("datachannel", self._on_datachannel)
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    def _on_datachannel(self, channel: Any) -> None:  # noqa: ANN401 - aiortc RTCDataChannel
        self.channel = channel
        channel.on("message", self._on_message)
        self.send({"type": "session.created", "session": {"type": "realtime"}})
        self.opened.set()

    def _on_message(self, message: str | bytes) -> None:
        event = json.loads(message)
        self.received.append(event)
        if event.get("type") == "session.update" and not self.silent:
            self.send({"type": "session.updated", "session": event.get("session", {})})

    def send(self, event: Json | str | bytes) -> None:
        if self.channel is None or self.channel.readyState != "open" or self.silent:
            return
        if self.pc is not None and self.pc.sctp is not None:
            # A hostile peer ignores the size the client advertised (aiortc would refuse).
            self.pc.sctp._remote_max_message_size = 0
        self.channel.send(event if isinstance(event, str | bytes) else json.dumps(event))

    def turn(self, item_id: str, text: str, *, role: str = "assistant") -> None:
        """One finished assistant message, the way OpenAI sends it."""
        item = {"id": item_id, "type": "message", "role": role, "status": "completed"}
        self.send({"type": "conversation.item.added", "item": {**item, "status": "in_progress"}})
        self.send(
            {
                "type": "response.output_text.delta",
                "item_id": item_id,
                "response_id": "resp_1",
                "delta": text,
            }
        )
        self.send(
            {
                "type": "conversation.item.done",
                "item": {**item, "content": [{"type": "output_text", "text": text}]},
            }
        )

    async def close(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()


@dataclass
class HostileServer:
    """OpenAI's routes on loopback, with the answers a test chooses."""

    mint: Handler | None = None  # None: a well-formed ephemeral key
    calls: Handler | None = None  # None: a real answer from ``peer``
    hangup_delay: float = 0.0
    peer: HostilePeer = field(default_factory=HostilePeer)
    seen: list[Seen] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)  # bytes written, by path
    hangups_answered: list[str] = field(default_factory=list)  # call ids whose answer arrived
    base_url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        await self.peer.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    async def _route(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(request.method, request.path_qs, request.headers.get("Authorization", ""))
        )
        if request.path == MINT:
            return await (self.mint or _good_mint)(request)
        if request.path == CALLS:
            return await (self.calls or self.real_answer)(request)
        if request.path.endswith("/hangup"):
            return await self._hangup(request)
        return web.json_response({"error": {"message": "no such route"}}, status=404)

    async def real_answer(self, request: web.Request) -> web.Response:
        sdp = await self.peer.answer(await request.text())
        return web.Response(
            status=201,
            text=sdp,
            content_type="application/sdp",
            headers={"Location": f"{CALLS}/rtc_hostile1"},
        )

    async def _hangup(self, request: web.Request) -> web.StreamResponse:
        call_id = request.path.rsplit("/", 2)[-2]
        resp = web.StreamResponse(status=200)
        await resp.prepare(request)
        await asyncio.sleep(self.hangup_delay)
        # Counted only if the client is still there to read the answer.
        transport = request.transport
        if transport is not None and not transport.is_closing():
            with contextlib.suppress(ConnectionError):
                await resp.write(b"{}")
                await resp.write_eof()
                self.hangups_answered.append(call_id)
        return resp

    # -- answers a test can choose ---------------------------------------------------------

    def streamer(
        self,
        chunks: Callable[[], Any],
        *,
        status: int = 201,
        headers: dict[str, str] | None = None,
    ) -> Handler:
        """An answer written chunk by chunk from ``chunks()`` until the client goes away."""

        async def handler(request: web.Request) -> web.StreamResponse:
            await request.read()
            resp = web.StreamResponse(status=status, headers=headers or {})
            resp.content_type = "application/sdp" if status < 300 else "application/json"
            await resp.prepare(request)
            path = request.path
            self.written.setdefault(path, 0)
            try:
                for chunk in chunks():
                    await resp.write(chunk)
                    self.written[path] += len(chunk)
                await resp.write_eof()
            except (ConnectionError, RuntimeError):
                pass  # the client stopped reading: what a capped client does
            return resp

        return handler


async def _good_mint(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"value": EPHEMERAL, "expires_at": 2_000_000_000})


def endless(chunk_size: int = 64 * 1024) -> Callable[[], Any]:
    """A body that never ends (until the client hangs up)."""

    def chunks() -> Any:  # noqa: ANN401 - a generator
        block = b"v=0\r\n" + b"a" * (chunk_size - 5)
        while True:
            yield block

    return chunks


def gzip_bomb(unpacked: int) -> bytes:
    """``unpacked`` zero bytes, gzipped: about a thousandth of that on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = [packer.compress(block) for _ in range(unpacked // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def json_error(message: str, status: int = 400) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(
            {"error": {"message": message, "type": "invalid_request_error", "code": None}},
            status=status,
        )

    return handler


def sdp_answer(
    body: Callable[[str], str], *, location: str = f"{CALLS}/rtc_ok"
) -> Callable[[HostileServer], Handler]:
    """A 201 whose SDP is the peer's real answer passed through ``body`` (truncated...)."""

    def make(server: HostileServer) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            sdp = await server.peer.answer(await request.text())
            return web.Response(
                status=201,
                text=body(sdp),
                content_type="application/sdp",
                headers={"Location": location},
            )

        return handler

    return make
