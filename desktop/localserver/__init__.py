"""The built-in realtime server: OpenAI's GA wire format, an honest echo assistant behind it."""

from .call import LocalCall
from .server import LocalRealtimeServer, serve_forever

__all__ = ["LocalCall", "LocalRealtimeServer", "serve_forever"]
