"""A motion from the window becomes rtAV's flat session.update with `driving`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from desktop.core.events.client import ClientEvent
from desktop.core.profiles import get_profile
from desktop.core.profiles.profile import ProviderProfile
from desktop.core.session import SessionConfig, default_config
from desktop.core.video.motion import motion_driving, motion_event, play_motion


@dataclass
class Channel:
    """Stands in for the call's data channel: what would have gone out."""

    profile: ProviderProfile
    config: SessionConfig
    sent: list[ClientEvent] = field(default_factory=list)
    open: bool = True

    def send_event(self, event: ClientEvent) -> bool:
        if self.open:
            self.sent.append(event)
        return self.open


def test_the_motion_plays_once_then_the_resting_loop() -> None:
    assert motion_driving("Wink", None) == ["Wink", "idle"]
    assert motion_driving("Wink", "Nod") == ["Wink", "Nod"]
    assert motion_driving("Wink", ("Nod", "idle")) == ["Wink", "idle"]  # the last one loops
    assert motion_driving("idle", None) == "idle"  # already the loop: a plain name


def test_the_wire_event_is_a_flat_session_update() -> None:
    event = motion_event("Wink", default_config(get_profile("rtav")))
    wire = json.loads(event.to_json())
    assert wire == {
        "type": "session.update",
        "event_id": event.event_id,
        "session": {"type": "realtime", "driving": ["Wink", "idle"]},
    }


def test_play_motion_sends_only_to_an_avatar_provider_on_an_open_channel() -> None:
    rtav = get_profile("rtav")
    call = Channel(rtav, replace(default_config(rtav), driving="Nod"))
    assert play_motion(call, " Wink ")
    assert call.sent[-1].payload["session"]["driving"] == ["Wink", "Nod"]
    assert not play_motion(call, "  ")
    call.open = False
    assert not play_motion(call, "Wink")
    openai = Channel(get_profile("openai"), default_config(get_profile("openai")))
    assert not play_motion(openai, "Wink") and openai.sent == []
