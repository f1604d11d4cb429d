"""Play an avatar motion mid-call (rtAV): a flat-dialect `session.update` with `driving`.

`driving` is one motion (it loops) or a list played in order, the last one looping
(../shared/PROVIDERS.md). A motion the user triggers should play once and hand back to the
resting loop, so it goes out as `[motion, resting]`: the resting loop is the last motion of
the session's own `driving`, or `idle`.
"""

from __future__ import annotations

from typing import Protocol

from desktop.core.events import client as ce
from desktop.core.events.client import ClientEvent
from desktop.core.profiles.profile import ProviderProfile, SessionDialect
from desktop.core.session.config import SessionConfig

RESTING_MOTION = "idle"


class MotionTarget(Protocol):
    """What a motion needs from a call (RealtimeCall has it)."""

    profile: ProviderProfile
    config: SessionConfig

    def send_event(self, event: ClientEvent) -> bool: ...


def motion_driving(motion: str, resting: str | tuple[str, ...] | None) -> str | list[str]:
    """`driving` for `motion` played once, then the resting loop."""
    if isinstance(resting, str):
        rest = resting or RESTING_MOTION
    else:
        rest = resting[-1] if resting else RESTING_MOTION
    return motion if motion == rest else [motion, rest]


def motion_event(motion: str, config: SessionConfig) -> ClientEvent:
    # Only `driving` changes: the other session fields stay as the server has them.
    return ce.session_update(
        {"type": "realtime", "driving": motion_driving(motion, config.driving)}
    )


def play_motion(call: MotionTarget, motion: str) -> bool:
    """Send the motion; False when the provider has no avatar or the channel is not open."""
    motion = motion.strip()
    profile = call.profile
    if not motion or not profile.receives_video or profile.dialect is not SessionDialect.FLAT:
        return False
    return call.send_event(motion_event(motion, call.config))
