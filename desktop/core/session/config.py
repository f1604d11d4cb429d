"""What the user chose for a session, independent of any provider's wire shape."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class TurnMode(Enum):
    SEMANTIC_VAD = "semantic_vad"
    SERVER_VAD = "server_vad"
    PUSH_TO_TALK = "push_to_talk"  # turn_detection: null; the client commits turns


@dataclass(frozen=True)
class TurnDetection:
    mode: TurnMode = TurnMode.SERVER_VAD
    # server_vad
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    idle_timeout_ms: int | None = None
    # semantic_vad
    eagerness: str = "auto"  # low | medium | high | auto
    create_response: bool = True
    interrupt_response: bool = True

    def to_wire(self) -> dict[str, Any] | None:
        if self.mode is TurnMode.PUSH_TO_TALK:
            return None
        if self.mode is TurnMode.SEMANTIC_VAD:
            return {
                "type": "semantic_vad",
                "eagerness": self.eagerness,
                "create_response": self.create_response,
                "interrupt_response": self.interrupt_response,
            }
        wire: dict[str, Any] = {
            "type": "server_vad",
            "threshold": self.threshold,
            "prefix_padding_ms": self.prefix_padding_ms,
            "silence_duration_ms": self.silence_duration_ms,
            "create_response": self.create_response,
            "interrupt_response": self.interrupt_response,
        }
        if self.idle_timeout_ms is not None:
            wire["idle_timeout_ms"] = self.idle_timeout_ms
        return wire


@dataclass(frozen=True)
class SessionConfig:
    model: str = ""
    voice: str = ""
    instructions: str = ""
    output_modalities: tuple[str, ...] = ("audio",)
    turn_detection: TurnDetection = field(default_factory=TurnDetection)
    transcription_model: str | None = None
    transcription_language: str | None = None
    noise_reduction: str | None = None  # near_field | far_field | None
    speed: float | None = None  # 0.25 .. 1.5
    temperature: float | None = None  # Inworld only
    tts_model: str | None = None  # Inworld: audio.output.model
    max_output_tokens: int | str | None = None
    tools: tuple[dict[str, Any], ...] = ()  # session.tools entries (type function, or mcp)
    # "auto" | "none" | "required" | {"type": "function", "name"} | {"type": "mcp", ...};
    # None sends "auto" whenever there are tools.
    tool_choice: str | dict[str, Any] | None = None
    # rtAV avatar
    face: str | None = None
    driving: str | tuple[str, ...] | None = None

    @property
    def push_to_talk(self) -> bool:
        return self.turn_detection.mode is TurnMode.PUSH_TO_TALK

    def with_turns(self, turn_detection: TurnDetection) -> SessionConfig:
        return replace(self, turn_detection=turn_detection)
