"""rtAV (voice + video avatar) as a test server, per shared/PROVIDERS.md.

- ``POST /v1/realtime/client_secrets`` (Bearer ``rtav_ak_...``, JSON ``{"session":
  {"type": "realtime"}}``) → ``{"client_secret": "rtav_sk_...", "expires_in": 60}``.
- ``POST /v1/realtime/calls``: ``multipart/form-data`` (``sdp`` + ``session``) with Bearer
  client secret (or the key) → ``answer_status`` (200 or 201) with the answer SDP as
  ``answer_content_type`` (``text/plain`` by default) and ``X-Session-Id``.
- ``DELETE /v1/sessions/{id}`` → the ended session with ``duration_seconds``.
- Data channel **``realtime``**; ``session.created`` on open; the older flat session
  (``voice``, ``face``, ``driving``, ``modalities`` at the top level) — a GA nested
  ``audio`` object is refused; a video track (the avatar) next to the voice.
- Lists: ``GET /v1/faces``, ``/v1/voices``, ``/v1/driving`` with the key; each answers
  ``{"<kind>": [{"id", "name"}...]}`` [inferred: PROVIDERS.md names the paths, not the shape].
  A ``driving`` naming a motion that is not in the list is refused.
- ``image_fps > 0``: the avatar also comes as base64 JPEG frames in
  ``response.output_image.delta`` events (``delta``), ``image_fps`` a second, from the
  moment the channel opens; the first ``bad_images`` of them start like a JPEG and are not.
- Errors: OpenAI-shaped ``{"error": {...}}`` [inferred: PROVIDERS.md shows none].
- ``lowercase_headers = True`` sends ``x-session-id`` the way HTTP/2 fronts and proxies
  such as Envoy spell header names.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

from aiohttp import web

from tests.fakes.answerer import Dialect, FakeCall, Json, SessionProblem, merge, new_id
from tests.fakes.media import JpegFrames
from tests.fakes.server import FakeProvider, Handler

RTAV_VOICES = frozenset({"default", "alice", "anthony"})
RTAV_FACES = frozenset({"face1", "face2"})
# "Nod" is only in the list endpoint's answer (not in the client's built-in list), so a test
# that plays it proves the motion list came from the server.
RTAV_MOTIONS = ("idle", "Wink", "Nod")
LISTS: dict[str, list[Json]] = {
    "faces": [{"id": "face1", "name": "Ava"}, {"id": "face2", "name": "Ben"}],
    "voices": [{"id": v, "name": v.title()} for v in ("default", "alice", "anthony")],
    "driving": [{"id": m, "name": m} for m in RTAV_MOTIONS],
}
FLAT_FIELDS = frozenset(
    {
        "type",
        "model",
        "instructions",
        "voice",
        "face",
        "driving",
        "modalities",
        "turn_detection",
        "tools",
        "tool_choice",
        "temperature",
    }
)


def validate_flat(session: Json) -> SessionProblem | None:
    if session.get("type", "realtime") != "realtime":
        return SessionProblem("session.type must be 'realtime'", "invalid_value", "session.type")
    for key in session:
        if key not in FLAT_FIELDS:
            return SessionProblem(
                f"Unknown parameter: 'session.{key}'.", "unknown_parameter", f"session.{key}"
            )
    voice = session.get("voice")
    if voice is not None and voice not in RTAV_VOICES:
        return SessionProblem(f"Unknown voice '{voice}'.", "invalid_value", "session.voice")
    face = session.get("face")
    if face is not None and face not in RTAV_FACES:
        return SessionProblem(f"Unknown face '{face}'.", "invalid_value", "session.face")
    driving = session.get("driving")
    if driving is not None and not (
        isinstance(driving, str)
        or (isinstance(driving, list) and driving and all(isinstance(d, str) for d in driving))
    ):
        return SessionProblem(
            "driving must be a motion name or a list of them.", "invalid_type", "session.driving"
        )
    for motion in [driving] if isinstance(driving, str) else driving or []:
        if motion not in RTAV_MOTIONS:
            return SessionProblem(f"Unknown motion '{motion}'.", "invalid_value", "session.driving")
    modalities = session.get("modalities")
    if modalities is not None and (
        not isinstance(modalities, list) or not set(modalities) <= {"text", "audio"}
    ):
        return SessionProblem("Invalid modalities.", "invalid_value", "session.modalities")
    return None


def default_session() -> Json:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "model": "gpt-5-mini",
        "voice": "default",
        "face": "face1",
        "driving": "idle",
        "modalities": ["text", "audio"],
    }


class RtavFake(FakeProvider):
    name = "rtAV"
    dialect = Dialect(
        channel_label="realtime",
        sends_session_created=True,
        validate_session=validate_flat,
        modalities_field="modalities",
        default_modalities=("text", "audio"),
        sends_video=True,
    )

    def __init__(
        self,
        *,
        api_key: str = "rtav_ak_test123",
        answer_status: int = 200,
        answer_content_type: str = "text/plain",
        lowercase_headers: bool = False,
        image_fps: float = 0.0,
        bad_images: int = 0,
    ) -> None:
        super().__init__(api_key=api_key)
        self.answer_status = answer_status
        self.answer_content_type = answer_content_type
        self.lowercase_headers = lowercase_headers
        self.image_fps = image_fps
        self.bad_images = bad_images
        self.images_sent = 0
        self._started: dict[str, float] = {}

    def driving_updates(self) -> list[Json]:
        """The session.update events of the last call that carried ``driving``."""
        return [
            e
            for e in self.last_call.received
            if e.get("type") == "session.update"
            and isinstance(e.get("session"), dict)
            and "driving" in e["session"]
        ]

    def new_call(self, session: Json, call_id: str | None = None) -> FakeCall:
        call = super().new_call(session, call_id)
        if self.image_fps > 0:
            call.on_channel_open = lambda c: c.spawn(self._stream_images(c))
        return call

    async def _stream_images(self, call: FakeCall) -> None:
        frames = JpegFrames()
        period = 1.0 / self.image_fps
        start = time.monotonic()
        while call.channel is not None and call.channel.readyState == "open":
            bad = self.images_sent < self.bad_images
            data = b"\xff\xd8 not really a JPEG" if bad else frames.next()
            call.send(
                {
                    "type": "response.output_image.delta",
                    "response_id": "resp_avatar",
                    "item_id": "item_avatar",
                    "delta": base64.b64encode(data).decode("ascii"),
                }
            )
            self.images_sent += 1
            await asyncio.sleep(max(0.0, start + self.images_sent * period - time.monotonic()))

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        return [
            ("POST", "/v1/realtime/client_secrets", self._client_secrets, "client_secrets"),
            ("POST", "/v1/realtime/calls", self._calls, "calls"),
            ("DELETE", "/v1/sessions/{session_id}", self._end_session, "sessions"),
            ("GET", "/v1/faces", self._list, "faces"),
            ("GET", "/v1/voices", self._list, "voices"),
            ("GET", "/v1/driving", self._list, "driving"),
        ]

    async def _list(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != "Bearer" or record.credential != "api_key":
            return self.error(401)
        return web.json_response({record.route: LISTS[record.route]})

    def error_body(self, status: int, code: str | None, message: str | None) -> Json:
        default_message = {
            400: "Bad request.",
            401: "Invalid API key.",
            403: "This API key is not allowed to start realtime sessions.",
            404: "Not found.",
            429: "Too many requests: rate limit exceeded.",
            500: "Internal server error.",
            503: "No avatar renderer available, try again shortly.",
        }.get(status, f"HTTP {status}")
        if status == 429 and code == "insufficient_quota":
            default_message = "Your credit balance is exhausted (insufficient quota)."
        return {
            "error": {
                "message": message or default_message,
                "type": "api_error",
                "code": code,
                "param": None,
            }
        }

    async def _client_secrets(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != "Bearer" or record.credential != "api_key":
            return self.error(401)
        try:
            body = record.json()
        except ValueError:
            return self.error(400, message="Body must be JSON.")
        session = body.get("session") if isinstance(body, dict) else None
        if not isinstance(session, dict):
            return self.error(400, message="Missing 'session'.")
        problem = validate_flat(session)
        if problem:
            return self.error(400, code=problem.code, message=problem.message)
        secret = new_id("rtav_sk")
        self.issued_secrets[secret] = session
        return web.json_response({"client_secret": secret, "expires_in": 60})

    async def _calls(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != "Bearer" or record.credential in ("none", "unknown"):
            return self.error(401)
        if record.content_type != "multipart/form-data":
            return self.error(400, message="Send multipart/form-data with 'sdp' and 'session'.")
        if "sdp" not in record.form:
            return self.error(400, message="Missing 'sdp'.")
        try:
            session = json.loads(record.form.get("session", "{}"))
        except ValueError:
            return self.error(400, message="'session' is not valid JSON.")
        if not isinstance(session, dict):
            return self.error(400, message="'session' must be an object.")
        problem = validate_flat(session)
        if problem:
            return self.error(400, code=problem.code, message=problem.message)
        offer = record.form["sdp"]
        if not offer.startswith("v=0"):
            return self.error(400, message="The offer is not SDP.")
        call = self.new_call(merge(default_session(), session), new_id("sess"))
        self._started[call.id] = time.monotonic()
        answer = await call.answer(offer)
        header = "x-session-id" if self.lowercase_headers else "X-Session-Id"
        return web.Response(
            status=self.answer_status,
            body=answer.encode(),
            headers={"Content-Type": self.answer_content_type, header: call.id},
        )

    async def _end_session(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != "Bearer" or record.credential != "api_key":
            return self.error(401)
        session_id = request.match_info["session_id"]
        call = self.calls.get(session_id)
        if call is None:
            return self.error(404, message=f"Session {session_id} not found.")
        call.mark_hung_up()
        duration = time.monotonic() - self._started.get(session_id, time.monotonic())
        return web.json_response(
            {
                "id": session_id,
                "object": "realtime.session",
                "status": "ended",
                "duration_seconds": round(duration, 3),
            }
        )
