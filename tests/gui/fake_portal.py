"""A small XDG GlobalShortcuts portal for tests: ``python -m tests.gui.fake_portal``.

Owns ``org.freedesktop.portal.Desktop`` on the session bus in DBUS_SESSION_BUS_ADDRESS
(a private dbus-daemon the test started) and answers as xdg-desktop-portal does:
CreateSession and BindShortcuts return a Request path, then a ``Response`` signal on it
carries the results; ``Session.Close`` ends the session. Lines on stdin act as the
compositor: ``press`` sends ``Activated``, ``release`` sends ``Deactivated`` for every
bound shortcut; ``refuse`` makes the next BindShortcuts answer "cancelled" (the user
said no). JSON lines on stdout say what happened: ready, bound (ids and triggers), closed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.asyncio import open_dbus_connection

BUS_NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.GlobalShortcuts"


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


class FakePortal:
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.sessions: dict[str, list[str]] = {}  # session path → bound shortcut ids
        self.refuse_next = False

    async def handle(self, msg: Any) -> None:
        fields = msg.header.fields
        if msg.header.message_type is not MessageType.method_call:
            return
        member = fields.get(HeaderFields.member)
        sender = str(fields.get(HeaderFields.sender, "")).lstrip(":").replace(".", "_")
        if member == "CreateSession":
            options = msg.body[0]
            token = options["session_handle_token"][1]
            session = f"{PATH}/session/{sender}/{token}"
            self.sessions[session] = []
            await self.respond(msg, sender, options, 0, {"session_handle": ("o", session)})
        elif member == "BindShortcuts":
            session, shortcuts, _parent, options = msg.body
            if self.refuse_next:
                self.refuse_next = False
                await self.respond(msg, sender, options, 1, {})
                return
            ids = [sid for sid, _ in shortcuts]
            self.sessions[session] = ids
            triggers = [props.get("preferred_trigger", ("s", ""))[1] for _, props in shortcuts]
            say(bound=ids, triggers=triggers)
            bound = [(sid, {"description": props["description"],
                            "trigger_description": ("s", props["preferred_trigger"][1])})
                     for sid, props in shortcuts]
            await self.respond(msg, sender, options, 0, {"shortcuts": ("a(sa{sv})", bound)})
        elif member == "Close":
            path = str(fields.get(HeaderFields.path))
            self.sessions.pop(path, None)
            await self.conn.send(new_method_return(msg))
            say(closed=path)

    async def respond(
        self, msg: Any, sender: str, options: dict[str, Any], code: int, results: dict[str, Any]
    ) -> None:
        request = f"{PATH}/request/{sender}/{options['handle_token'][1]}"
        await self.conn.send(new_method_return(msg, "o", (request,)))
        signal = new_signal(DBusAddress(request, interface="org.freedesktop.portal.Request"),
                            "Response", "ua{sv}", (code, results))
        await self.conn.send(signal)

    async def command(self, line: str) -> None:
        if line == "refuse":
            self.refuse_next = True
            return
        member = {"press": "Activated", "release": "Deactivated"}.get(line)
        if member is None:
            return
        stamp = int(time.monotonic() * 1000)
        for session, ids in self.sessions.items():
            for sid in ids:
                await self.conn.send(new_signal(
                    DBusAddress(PATH, interface=INTERFACE), member, "osta{sv}",
                    (session, sid, stamp, {}),
                ))
        say(sent=member)


async def main() -> None:
    conn = await open_dbus_connection("SESSION")
    portal = FakePortal(conn)
    await conn.send(message_bus.RequestName(BUS_NAME, 4))  # DO_NOT_QUEUE
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.strip())
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()

    async def serve() -> None:
        named = False
        while True:
            msg = await conn.receive()
            if not named and msg.header.message_type is MessageType.method_return:
                named = True  # the RequestName reply: we own the portal's name
                say(ready=True)
                continue
            await portal.handle(msg)

    server = loop.create_task(serve())
    while (line := await lines.get()) is not None:  # stdin closed: the test is done
        await portal.command(line)
    server.cancel()
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
