"""parse_server_event never raises, whatever arrives, and never lets a wrong type through."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import types
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.events.server import (
    EVENT_TYPES,
    MalformedEvent,
    ServerEvent,
    UnknownEvent,
    parse_server_event,
)
from tests.unit.test_events_parse import CASES

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Every name any event or payload class declares, so random dicts hit real fields.
FIELD_NAMES = sorted(
    {f.name for cls in EVENT_TYPES.values() for f in dataclasses.fields(cls) if f.name != "raw"}
    | {"id", "role", "status", "content", "text", "transcript", "usage", "output", "code"}
    | {"total_tokens", "input_token_details", "cached_tokens", "limit", "reset_seconds"}
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "resp_1", "item_1", "message", "user", "assistant", "completed"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
known_type_dicts = st.builds(
    lambda wire_type, fields: {**fields, "type": wire_type},
    st.sampled_from(sorted(EVENT_TYPES)),
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6),
)


def _dumps(value: Any) -> str:
    return json.dumps(value)  # NaN and Infinity are written as the bare words json accepts


def check(event: object) -> None:
    """The invariants of any parse result."""
    assert isinstance(event, ServerEvent)
    if isinstance(event, MalformedEvent):
        assert event.reason
        return
    assert isinstance(event.type, str)
    if isinstance(event, UnknownEvent):
        assert event.type not in EVENT_TYPES
        return
    assert EVENT_TYPES[event.type] is type(event)
    assert_conforms(event)


def assert_conforms(obj: object) -> None:
    """Every field of a parsed event holds a value of its declared type."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name != "raw":
            _check_value(getattr(obj, f.name), hints[f.name], f.name)


def _check_value(value: Any, hint: Any, path: str) -> None:
    if hint is Any:
        return
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None:
            assert type(None) in options, path
            return
        errors = 0
        for option in options:
            try:
                _check_value(value, option, path)
            except AssertionError:
                errors += 1
        assert errors < len(options), path
        return
    if hint is int:
        assert type(value) is int and abs(value) < 2**63, path
    elif hint is float:
        assert type(value) is float and math.isfinite(value), path
    elif hint in (str, bool):
        assert type(value) is hint, path
    elif hint is dict or typing.get_origin(hint) is dict:
        assert isinstance(value, dict), path
    elif typing.get_origin(hint) is tuple:
        assert isinstance(value, tuple), path
        for i, item in enumerate(value):
            _check_value(item, typing.get_args(hint)[0], f"{path}[{i}]")
    elif dataclasses.is_dataclass(hint):
        assert type(value) is hint, path
        assert_conforms(value)
    elif hint is type(None):
        assert value is None, path
    else:
        raise AssertionError(f"unexpected hint {hint!r}")


@pytest.fixture(autouse=True)
def _quiet_events_log() -> Any:
    # Thousands of malformed examples would each log a warning; the tests look at results.
    logger = logging.getLogger("talkline.events")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    check(parse_server_event(data))


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check(parse_server_event(text))


@SETTINGS
@given(json_values)
def test_random_json_values(value: Any) -> None:
    check(parse_server_event(_dumps(value)))
    if isinstance(value, dict):
        check(parse_server_event(value))


@SETTINGS
@given(known_type_dicts)
def test_known_types_with_random_fields(payload: dict[str, Any]) -> None:
    check(parse_server_event(_dumps(payload)))
    check(parse_server_event(payload))


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))] + [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))] + [path]
    return [path]


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


@st.composite
def mutated_realistic_events(draw: st.DrawFn) -> dict[str, Any]:
    """A realistic payload from the parse tests with one value swapped for random JSON:
    the nearest misses, deep inside items, responses and usage."""
    payload = draw(st.sampled_from([case[0] for case in CASES if len(case[0]) > 1]))
    paths = [p for p in _leaf_paths(payload) if p and p != ("type",)]
    path = draw(st.sampled_from(paths))
    return _replaced(payload, path, draw(json_values))


@SETTINGS
@given(mutated_realistic_events())
def test_realistic_events_with_one_wrong_value(payload: dict[str, Any]) -> None:
    event = parse_server_event(_dumps(payload))
    check(event)


def test_deeply_nested_objects_passed_directly() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(20_000):
        node["a"] = {}
        node = node["a"]
    # A dict field keeps the nested value as is; a missing type is malformed; neither raises.
    check(parse_server_event({"type": "session.updated", "session": deep}))
    check(parse_server_event({"no_type": deep}))
    check(parse_server_event({"type": "response.output_text.delta", "delta": deep}))


# --- hostile text: lone surrogates, control characters, big payloads ---------------------

hostile_chars = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\x1b[31m", "\x1b]52;c;aGk=\x07", "\r", "\b", "\x9b", "\u202e"]
)
hostile_text = st.lists(hostile_chars | st.text(max_size=5), max_size=30).map("".join)


def _shown_safely(event: ServerEvent) -> None:
    """What any output path does with an event: redact it, print it as JSON, show its
    words plainly. None of it may raise, and nothing shown keeps a control character."""
    from desktop.cli.printer import json_line
    from desktop.core.secrets.redact import redact_data, scrub
    from desktop.core.text import for_terminal

    line = json_line({"event": redact_data(event.raw)})
    line.encode("utf-8")
    assert "\n" not in line and "\x1b" not in line
    for text in _strings(event.raw):
        shown = for_terminal(scrub(text))
        shown.encode("utf-8")
        assert not any(ord(c) < 32 and c not in "\n\t" for c in shown)
        assert not any(0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in shown)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@SETTINGS
@given(st.sampled_from(sorted(EVENT_TYPES)), st.sampled_from(FIELD_NAMES), hostile_text)
def test_lone_surrogates_and_controls_in_any_field(wire_type: str, name: str, text: str) -> None:
    payload = {"type": wire_type, name: text, "delta": text, "transcript": text}
    for raw in (json.dumps(payload), json.dumps(payload, ensure_ascii=False)):
        event = parse_server_event(raw)
        check(event)
        _shown_safely(event)
    event = parse_server_event(payload)
    check(event)
    _shown_safely(event)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=1_000_000), hostile_chars)
def test_payloads_up_to_a_megabyte(size: int, filler: str) -> None:
    text = (filler * (size // len(filler) + 1))[:size]
    for raw in (
        json.dumps({"type": "response.output_text.delta", "item_id": "i", "delta": text}),
        json.dumps({"type": "error", "error": {"message": text}}),
        text,
    ):
        event = parse_server_event(raw)
        check(event)
        if isinstance(event, MalformedEvent):
            assert len(event.text) <= 4001  # only the start of junk is kept
        if event.type == "error":
            message = event.message  # type: ignore[attr-defined]
            assert len(message) <= 300
            assert "\x1b" not in message and "\ud800" not in message
