"""Typed realtime events: server events parsed once at the edge, client events built by
typed functions. See ``server`` and ``client``."""

from desktop.core.events.client import ClientEvent, redacted
from desktop.core.events.payloads import (
    ContentPart,
    ErrorDetail,
    InputTokenDetails,
    Item,
    OutputTokenDetails,
    RateLimit,
    Response,
    Usage,
)
from desktop.core.events.server import (
    EVENT_TYPES,
    MalformedEvent,
    ServerEvent,
    UnknownEvent,
    parse_server_event,
)

__all__ = [
    "EVENT_TYPES",
    "ClientEvent",
    "ContentPart",
    "ErrorDetail",
    "InputTokenDetails",
    "Item",
    "MalformedEvent",
    "OutputTokenDetails",
    "RateLimit",
    "Response",
    "ServerEvent",
    "UnknownEvent",
    "Usage",
    "parse_server_event",
    "redacted",
]
