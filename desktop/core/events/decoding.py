"""Turn an untrusted JSON object into a frozen dataclass, driven by the class's type hints.

Rules, the same for every event and payload type:

- a field without a default is required; a missing one is an error;
- a field with a default may be missing, and ``null`` counts as missing unless the hint
  allows ``None`` (servers send ``"transcript": null`` where the schema says string);
- a present value of the wrong type is an error naming the field's path
  (``item.content[0].text``): garbage is reported, never coerced;
- JSON has a single number type, so an integral float (``3.0``) is an int; integers must fit
  in 64 bits, so a hostile payload cannot smuggle a 4,000-digit number into the app;
- keys the class does not declare are ignored (they stay in the event's ``raw``).

Supported hints: ``str``, ``int``, ``float``, ``bool``, ``dict``, ``Any``, ``Literal`` of
strings, ``X | None`` (and other unions of these), ``tuple[X, ...]`` and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

INT_LIMIT = 2**63
"""Integers outside ±2**63 are rejected: no realtime field needs more."""


class FieldError(Exception):
    """A field of a known event has the wrong type or is missing."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"field '{path}' {problem}")
        self.path = path
        self.problem = problem

    @property
    def reason(self) -> str:
        return str(self)


class _Field(NamedTuple):
    name: str
    hint: Any
    required: bool


_FIELDS_CACHE: dict[type, tuple[_Field, ...]] = {}


def _wire_fields(cls: type) -> tuple[_Field, ...]:
    """The fields read from the wire (``metadata={"wire": False}`` opts a field out)."""
    cached = _FIELDS_CACHE.get(cls)
    if cached is None:
        hints = typing.get_type_hints(cls)
        cached = tuple(
            _Field(
                f.name,
                hints[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
            if f.metadata.get("wire", True)
        )
        _FIELDS_CACHE[cls] = cached
    return cached


def decode(cls: type[T], obj: object, path: str = "", **extra: Any) -> T:
    """Build ``cls`` from the JSON object ``obj``; ``extra`` supplies non-wire fields.

    Raises FieldError, and only FieldError, for bad input.
    """
    if not isinstance(obj, dict):
        raise FieldError(path or "<event>", f"must be an object, got {kind_of(obj)}")
    kwargs: dict[str, Any] = dict(extra)
    for field in _wire_fields(cls):
        field_path = f"{path}.{field.name}" if path else field.name
        value = obj.get(field.name, dataclasses.MISSING)
        if value is None and not _allows_none(field.hint):
            value = dataclasses.MISSING
        if value is dataclasses.MISSING:
            if field.required:
                raise FieldError(field_path, "is missing")
            continue  # the dataclass default applies
        kwargs[field.name] = _convert(field.hint, value, field_path)
    return cls(**kwargs)


def _allows_none(hint: Any) -> bool:
    return hint is Any or (_is_union(hint) and type(None) in typing.get_args(hint))


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _convert(hint: Any, value: Any, path: str) -> Any:
    if hint is Any:
        return value
    if _is_union(hint):
        if value is None and type(None) in typing.get_args(hint):
            return None
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        if len(options) == 1:  # ``X | None``: keep X's own, more precise, reason
            return _convert(options[0], value, path)
        for option in options:
            try:
                return _convert(option, value, path)
            except FieldError:
                continue
        raise FieldError(path, f"must be {describe(hint)}, got {kind_of(value)}")
    if typing.get_origin(hint) is typing.Literal:
        if isinstance(value, str) and value in typing.get_args(hint):
            return value
        raise FieldError(path, f"must be {describe(hint)}, got {_short_repr(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        return _to_int(value, path)
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, int) and abs(value) >= INT_LIMIT:
                raise FieldError(path, "is out of range")
            number = float(value)
            if math.isfinite(number):
                return number
            raise FieldError(path, "must be a finite number")
    elif hint is dict or typing.get_origin(hint) is dict:
        if isinstance(value, dict):
            return value
    elif typing.get_origin(hint) is tuple:
        if isinstance(value, list):
            (item_hint, _ellipsis) = typing.get_args(hint)
            return tuple(_convert(item_hint, v, f"{path}[{i}]") for i, v in enumerate(value))
    elif dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if isinstance(value, dict):
            return decode(hint, value, path)
    else:  # pragma: no cover - a programming error in a schema, caught by the unit tests
        raise TypeError(f"unsupported hint {hint!r} at {path}")
    raise FieldError(path, f"must be {describe(hint)}, got {kind_of(value)}")


def _to_int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise FieldError(path, "must be an integer, got boolean")
    if isinstance(value, float):
        if not value.is_integer():  # also rejects inf and nan
            raise FieldError(path, f"must be an integer, got {kind_of(value)}")
        value = int(value)
    if not isinstance(value, int):
        raise FieldError(path, f"must be an integer, got {kind_of(value)}")
    if abs(value) >= INT_LIMIT:
        raise FieldError(path, "is out of range")
    return value


_KIND_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def kind_of(value: object) -> str:
    """The JSON name of a value's type, for reasons shown in the event log."""
    return _KIND_NAMES.get(type(value), type(value).__name__)


def describe(hint: Any) -> str:
    """A readable name for a type hint: 'a string or null', 'an array'."""
    if _is_union(hint):
        return " or ".join(describe(h) for h in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return "an array"
    if hint is dict or typing.get_origin(hint) is dict or dataclasses.is_dataclass(hint):
        return "an object"
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
    return names.get(hint, str(hint))


def _short_repr(value: object) -> str:
    if isinstance(value, str):
        return repr(value[:40])
    return kind_of(value)
