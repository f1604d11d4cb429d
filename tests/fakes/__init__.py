"""Test servers in the hosted providers' exact wire formats (shared/PROVIDERS.md).

Real HTTP (aiohttp on 127.0.0.1) and real WebRTC (an aiortc answerer), so the client under
test runs unchanged against them::

    async with OpenAIFake() as fake:
        profile = get_profile("openai").with_base_url(fake.base_url)
        ...
        fake.requests          # every request: route, auth scheme, credential kind, body
        fake.last_call.log     # every data-channel event, in and out
"""

from tests.fakes.answerer import ChannelMode, Dialect, FakeCall, SessionProblem
from tests.fakes.inworld import InworldFake
from tests.fakes.openai import OpenAIFake
from tests.fakes.rtav import RtavFake
from tests.fakes.server import FakeProvider, Fault, RecordedRequest

__all__ = [
    "ChannelMode",
    "Dialect",
    "FakeCall",
    "FakeProvider",
    "Fault",
    "InworldFake",
    "OpenAIFake",
    "RecordedRequest",
    "RtavFake",
    "SessionProblem",
]
