"""STUN servers on loopback for the gathering tests: one that answers, one that never does.

A firewall that drops STUN looks, to the client, exactly like `StunServer(answer=False)`:
the binding requests leave and nothing comes back.
"""

from __future__ import annotations

import asyncio
from typing import cast

from aioice import stun


class StunServer(asyncio.DatagramProtocol):
    """A UDP STUN server on 127.0.0.1; `requests` counts the binding requests it received."""

    def __init__(self, *, answer: bool) -> None:
        self.answer = answer
        self.requests = 0
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def url(self) -> str:
        assert self._transport is not None, "start() first"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return f"stun:{host}:{port}"

    def ice_servers(self) -> list[dict[str, object]]:
        """The provider's `ice_servers` JSON pointing at this server."""
        return [{"urls": [self.url]}]

    async def start(self) -> StunServer:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        return self

    def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request = stun.parse_message(data)
        except ValueError:
            return
        if request.message_method != stun.Method.BINDING:
            return
        self.requests += 1
        if not self.answer or self._transport is None:
            return
        response = stun.Message(
            message_method=stun.Method.BINDING,
            message_class=stun.Class.RESPONSE,
            transaction_id=request.transaction_id,
        )
        response.attributes["XOR-MAPPED-ADDRESS"] = addr
        self._transport.sendto(bytes(response), addr)
