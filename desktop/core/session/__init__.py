"""Session settings (model, voice, turns, ...) and how each provider dialect spells them."""

from desktop.core.session.config import SessionConfig, TurnDetection, TurnMode
from desktop.core.session.dialects import default_config, session_payload

__all__ = ["SessionConfig", "TurnDetection", "TurnMode", "default_config", "session_payload"]
