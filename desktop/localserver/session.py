"""The GA realtime session object: defaults, validation of updates, and merging.

Validation mirrors what OpenAI rejects (unknown parameters, wrong types, values out of range)
so a client bug shows up here first, with the same ``param`` path OpenAI would name.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from .errors import RealtimeError
from .ids import new_id

DEFAULT_MODEL = "local-echo"
DEFAULT_INSTRUCTIONS = (
    "Talkline's local echo assistant: it plays back what it hears and repeats what you type. "
    "No model runs; it checks your microphone and speaker."
)
SESSION_SECONDS = 3600  # OpenAI ends sessions after 60 minutes.
PCM_FORMAT = {"type": "audio/pcm", "rate": 24000}
SEMANTIC_SILENCE_MS = {"low": 1000, "medium": 600, "high": 300, "auto": 600}

Json = dict[str, Any]


def default_server_vad() -> Json:
    return {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
        "idle_timeout_ms": None,
    }


def default_semantic_vad() -> Json:
    return {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }


def default_session(model: str | None = None) -> Json:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess"),
        "model": model or DEFAULT_MODEL,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "include": None,
        "expires_at": int(time.time()) + SESSION_SECONDS,
        "audio": {
            "input": {
                "format": dict(PCM_FORMAT),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": default_server_vad(),
            },
            "output": {"format": dict(PCM_FORMAT), "voice": "alloy", "speed": 1.0},
        },
    }


# --- validation -------------------------------------------------------------------------

_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _bad_type(param: str, expected: str, value: object) -> RealtimeError:
    return RealtimeError(
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
        code="invalid_type",
        param=param,
    )


def _bad_value(param: str, value: object, allowed: list[str]) -> RealtimeError:
    choices = ", ".join(f"'{a}'" for a in allowed)
    return RealtimeError(
        f"Invalid value: '{value}'. Supported values are: {choices}.",
        code="invalid_value",
        param=param,
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _expect_object(value: object, param: str) -> Json:
    if not isinstance(value, dict):
        raise _bad_type(param, "an object", value)
    return value


def _expect_string(value: object, param: str) -> None:
    if not isinstance(value, str):
        raise _bad_type(param, "a string", value)


def _expect_bool(value: object, param: str) -> None:
    if not isinstance(value, bool):
        raise _bad_type(param, "a boolean", value)


def _expect_range(value: object, param: str, low: float, high: float, *, integer: bool) -> None:
    if not (_is_int(value) if integer else _is_number(value)):
        raise _bad_type(param, "an integer" if integer else "a decimal", value)
    assert isinstance(value, int | float)
    if value < low or value > high:
        raise RealtimeError(
            f"Invalid '{param}': expected a value between {low} and {high}, "
            f"but got {value} instead.",
            code="invalid_value",
            param=param,
        )


def _expect_choice(value: object, param: str, allowed: list[str]) -> None:
    _expect_string(value, param)
    if value not in allowed:
        raise _bad_value(param, value, allowed)


def _check_fields(obj: Json, param: str, checks: dict[str, Callable[[object, str], None]]) -> None:
    for key, value in obj.items():
        check = checks.get(key)
        if check is None:
            raise RealtimeError(
                f"Unknown parameter: '{param}.{key}'.",
                code="unknown_parameter",
                param=f"{param}.{key}",
            )
        check(value, f"{param}.{key}")


def _check_rate(value: object, param: str) -> None:
    if not _is_int(value):
        raise _bad_type(param, "an integer", value)
    if value != 24000:
        raise _bad_value(param, value, ["24000"])


def _check_format(value: object, param: str) -> None:
    fmt = _expect_object(value, param)
    _check_fields(fmt, param, {
        "type": lambda v, p: _expect_choice(v, p, ["audio/pcm", "audio/pcmu", "audio/pcma"]),
        "rate": _check_rate,
    })


def _check_transcription(value: object, param: str) -> None:
    if value is None:
        return
    _check_fields(_expect_object(value, param), param, {
        "model": _expect_string, "language": _expect_string, "prompt": _expect_string,
    })


def _check_noise_reduction(value: object, param: str) -> None:
    if value is None:
        return
    _check_fields(_expect_object(value, param), param, {
        "type": lambda v, p: _expect_choice(v, p, ["near_field", "far_field"]),
    })


def _check_optional_ms(value: object, param: str) -> None:
    if value is not None:
        _expect_range(value, param, 0, 3_600_000, integer=True)


def _check_turn_detection(value: object, param: str) -> None:
    if value is None:
        return
    td = _expect_object(value, param)
    kind = td.get("type")
    if kind is None:
        raise RealtimeError(
            f"Missing required parameter: '{param}.type'.",
            code="missing_required_parameter",
            param=f"{param}.type",
        )
    _expect_choice(kind, f"{param}.type", ["server_vad", "semantic_vad"])
    common: dict[str, Callable[[object, str], None]] = {
        "type": lambda v, p: None,
        "create_response": _expect_bool,
        "interrupt_response": _expect_bool,
    }
    if kind == "server_vad":
        common.update({
            "threshold": lambda v, p: _expect_range(v, p, 0.0, 1.0, integer=False),
            "prefix_padding_ms": lambda v, p: _expect_range(v, p, 0, 10_000, integer=True),
            "silence_duration_ms": lambda v, p: _expect_range(v, p, 0, 10_000, integer=True),
            "idle_timeout_ms": _check_optional_ms,
        })
    else:
        common["eagerness"] = lambda v, p: _expect_choice(v, p, list(SEMANTIC_SILENCE_MS))
    _check_fields(td, param, common)


def _check_audio(value: object, param: str) -> None:
    audio = _expect_object(value, param)
    _check_fields(audio, param, {
        "input": lambda v, p: _check_fields(_expect_object(v, p), p, {
            "format": _check_format,
            "transcription": _check_transcription,
            "noise_reduction": _check_noise_reduction,
            "turn_detection": _check_turn_detection,
        }),
        "output": lambda v, p: _check_fields(_expect_object(v, p), p, {
            "format": _check_format,
            "voice": _expect_string,
            "speed": lambda v2, p2: _expect_range(v2, p2, 0.25, 1.5, integer=False),
        }),
    })


def _check_modalities(value: object, param: str) -> None:
    if not isinstance(value, list):
        raise _bad_type(param, "an array", value)
    if len(value) != 1:
        raise RealtimeError(
            f"Invalid '{param}': exactly one of 'audio' or 'text' is supported.",
            code="invalid_value",
            param=param,
        )
    _expect_choice(value[0], f"{param}[0]", ["audio", "text"])


def _check_tools(value: object, param: str) -> None:
    if not isinstance(value, list):
        raise _bad_type(param, "an array", value)
    for i, tool in enumerate(value):
        _expect_object(tool, f"{param}[{i}]")


def _check_tool_choice(value: object, param: str) -> None:
    if isinstance(value, dict):
        return
    _expect_choice(value, param, ["auto", "none", "required"])


def _check_max_tokens(value: object, param: str) -> None:
    if value == "inf":
        return
    _expect_range(value, param, 1, 4096, integer=True)


def _anything(value: object, param: str) -> None:
    return None


_SESSION_FIELDS: dict[str, Callable[[object, str], None]] = {
    "type": lambda v, p: _expect_choice(v, p, ["realtime"]),
    "model": _expect_string,
    "instructions": _expect_string,
    "output_modalities": _check_modalities,
    "audio": _check_audio,
    "tools": _check_tools,
    "tool_choice": _check_tool_choice,
    "max_output_tokens": _check_max_tokens,
    "tracing": _anything,
    "truncation": _anything,
    "prompt": _anything,
    "include": _anything,
    # Read-only fields a client may echo back from session.created; ignored when merging.
    "id": _anything,
    "object": _anything,
    "expires_at": _anything,
}
_READ_ONLY = ("id", "object", "expires_at")


def validate_session(patch: object, param: str = "session") -> Json:
    """Check a session object sent by a client; raise ``RealtimeError`` as OpenAI would."""
    session = _expect_object(patch, param)
    if "type" not in session:
        raise RealtimeError(
            f"Missing required parameter: '{param}.type'.",
            code="missing_required_parameter",
            param=f"{param}.type",
        )
    _check_fields(session, param, _SESSION_FIELDS)
    return session


# --- merging ----------------------------------------------------------------------------

# Objects that are replaced whole rather than merged key by key (a new turn detection type
# must not inherit the old type's fields).
_REPLACED = {
    ("audio", "input", "turn_detection"),
    ("audio", "input", "transcription"),
    ("audio", "input", "noise_reduction"),
    ("audio", "input", "format"),
    ("audio", "output", "format"),
}


def _complete_turn_detection(td: Json | None) -> Json | None:
    if td is None:
        return None
    base = default_server_vad() if td["type"] == "server_vad" else default_semantic_vad()
    base.update(td)
    return base


def _merge(target: Json, patch: Json, path: tuple[str, ...]) -> None:
    for key, value in patch.items():
        here = (*path, key)
        if here == ("audio", "input", "turn_detection"):
            target[key] = _complete_turn_detection(copy.deepcopy(value))
        elif isinstance(value, dict) and isinstance(target.get(key), dict) and (
            here not in _REPLACED
        ):
            _merge(target[key], value, here)
        else:
            target[key] = copy.deepcopy(value)


def merge_session(session: Json, patch: Json) -> Json:
    """A new session: ``session`` with a validated ``patch`` deep-merged into it."""
    merged = copy.deepcopy(session)
    _merge(merged, {k: v for k, v in patch.items() if k not in _READ_ONLY}, ())
    return merged


def turn_detection(session: Json) -> Json | None:
    td: Json | None = session.get("audio", {}).get("input", {}).get("turn_detection")
    return td


def output_modality(session: Json) -> str:
    modalities = session.get("output_modalities") or ["audio"]
    return "text" if modalities == ["text"] else "audio"


def voice(session: Json) -> str:
    return str(session.get("audio", {}).get("output", {}).get("voice", "alloy"))
