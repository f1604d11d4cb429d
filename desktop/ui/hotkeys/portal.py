"""Wayland: the global push-to-talk key through the XDG GlobalShortcuts portal.

``org.freedesktop.portal.GlobalShortcuts`` on the session bus: CreateSession, then
BindShortcuts with our one shortcut and its preferred trigger; the compositor may ask
the user to confirm or pick another key. It then sends ``Activated`` on press and
``Deactivated`` on release, for our session only: no other keys are seen.

D-Bus through jeepney: pure Python, asyncio-native (it runs on the window's qasync
loop), and already installed on Linux as the keyring's Secret Service dependency.
QtDBus would work too, but its signal delivery needs Qt slots with exact signatures,
and it would tie this to the UI thread's Qt objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from desktop.ui.hotkeys.binding import Binding

log = logging.getLogger("talkline.ui.hotkey.portal")

BUS_NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SHORTCUT_ID = "push-to-talk"
_NOT_THERE = ("ServiceUnknown", "UnknownMethod", "UnknownInterface", "UnknownObject",
              "NameHasNoOwner")
RESPONSE_SECONDS = 120.0  # the user may be answering the compositor's dialog
NO_PORTAL = (
    "This Wayland desktop offers no global shortcuts portal, so there is no global "
    "push-to-talk key. Hold the window key instead."
)


class PortalShortcut:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pressed: Callable[[], None],
        released: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._pressed = pressed
        self._released = released
        self._connection: Any = None
        self._router: Any = None
        self._task: asyncio.Task[None] | None = None
        self._session: str | None = None
        self._held = False
        self._closing: asyncio.Task[None] | None = None

    async def start(self, binding: Binding) -> str | None:
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.bus_messages import message_bus
        from jeepney.io.asyncio import DBusRouter, Proxy, open_dbus_connection

        try:
            self._connection = await open_dbus_connection("SESSION")
        except (OSError, KeyError, ValueError) as exc:
            log.info("no D-Bus session bus: %s", exc)
            return NO_PORTAL
        router = self._router = DBusRouter(self._connection)
        portal = DBusAddress(PATH, bus_name=BUS_NAME, interface=INTERFACE)
        bus = Proxy(message_bus, router)
        signals: asyncio.Queue[Any] = asyncio.Queue()
        rule = MatchRule(type="signal", interface=INTERFACE, path=PATH)
        try:
            await bus.AddMatch(rule)
            router.filter(rule, queue=signals)  # kept for the life of the router
            results = await self._request(
                new_method_call(portal, "CreateSession", "a{sv}", (
                    {"handle_token": ("s", self._token()),
                     "session_handle_token": ("s", self._token())},
                )),
            )
            if results is None:
                self.stop()
                return NO_PORTAL
            self._session = str(results.get("session_handle", ("s", ""))[1])
            shortcut = (SHORTCUT_ID, {
                "description": ("s", "Push to talk (hold)"),
                "preferred_trigger": ("s", binding.xdg_trigger()),
            })
            bound = await self._request(
                new_method_call(portal, "BindShortcuts", "oa(sa{sv})sa{sv}", (
                    self._session, [shortcut], "", {"handle_token": ("s", self._token())},
                )),
            )
        except _Refused as exc:
            self.stop()
            return str(exc)
        except Exception:  # the bus or the portal misbehaved: say so, keep working
            log.exception("global shortcuts portal failed")
            self.stop()
            return NO_PORTAL
        if bound is None:
            self.stop()
            return "The desktop did not bind the global push-to-talk key."
        ids = [s[0] for s in bound.get("shortcuts", ("a(sa{sv})", []))[1]]
        if SHORTCUT_ID not in ids:
            self.stop()
            return "The desktop did not bind the global push-to-talk key."
        self._task = self._loop.create_task(self._listen(signals), name="talkline-portal")
        return None

    def _token(self) -> str:
        return "talkline_" + secrets.token_hex(4)

    async def _request(self, message: Any) -> dict[str, Any] | None:
        """Call a portal method and wait for its Request's Response (None: cancelled)."""
        from jeepney import HeaderFields, MatchRule, MessageType
        from jeepney.bus_messages import message_bus
        from jeepney.io.asyncio import Proxy

        router = self._router
        token = message.body[-1]["handle_token"][1]
        sender = router.unique_name.lstrip(":").replace(".", "_")
        path = f"{PATH}/request/{sender}/{token}"
        # Subscribe before calling: the Response may come before the call's reply.
        rule = MatchRule(type="signal", interface=REQUEST, member="Response", path=path)
        await Proxy(message_bus, router).AddMatch(rule)
        responses: asyncio.Queue[Any] = asyncio.Queue()
        with router.filter(rule, queue=responses):
            reply = await router.send_and_get_reply(message)
            if reply.header.message_type is MessageType.error:
                name = reply.header.fields.get(HeaderFields.error_name, "")
                if any(word in str(name) for word in _NOT_THERE):
                    return None  # no portal, or one without GlobalShortcuts
                raise _Refused(f"The desktop refused the global key ({name}).")
            response = await asyncio.wait_for(responses.get(), RESPONSE_SECONDS)
        code, results = response.body
        if code == 1:  # the user cancelled the compositor's dialog
            raise _Refused("The global push-to-talk key was not confirmed on this desktop.")
        if code != 0:
            return None
        return {str(k): v for k, v in results.items()}

    async def _listen(self, signals: asyncio.Queue[Any]) -> None:
        from jeepney import HeaderFields

        try:
            while True:
                message = await signals.get()
                member = message.header.fields.get(HeaderFields.member)
                body = message.body
                if len(body) < 2 or body[0] != self._session or body[1] != SHORTCUT_ID:
                    continue
                if member == "Activated" and not self._held:
                    self._held = True
                    self._pressed()
                elif member == "Deactivated" and self._held:
                    self._held = False
                    self._released()
        finally:
            if self._held:  # stopped mid-hold: the turn ends
                self._held = False
                self._released()

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        connection, self._connection = self._connection, None
        router, self._router = self._router, None
        session, self._session = self._session, None
        if connection is not None:
            self._closing = self._loop.create_task(
                self._close(connection, router, session), name="talkline-portal-close"
            )

    @staticmethod
    async def _close(connection: Any, router: Any, session: str | None) -> None:
        """Close our portal session (the compositor forgets the shortcut), then the bus."""
        from jeepney import DBusAddress, new_method_call

        try:
            if session:
                address = DBusAddress(
                    session, bus_name=BUS_NAME, interface="org.freedesktop.portal.Session"
                )
                await asyncio.wait_for(
                    router.send_and_get_reply(new_method_call(address, "Close")), 2.0
                )
            await router.__aexit__(None, None, None)
        except Exception as exc:  # the bus may be gone already: nothing left to close
            log.debug("closing the portal session: %r", exc)
        with contextlib.suppress(OSError):
            await connection.close()


class _Refused(Exception):
    pass
