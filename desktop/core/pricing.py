"""Cost estimates from token usage, with per-model prices kept as editable data.

Prices live in ``desktop/data/prices.json`` (US dollars per million tokens); a user copy
can override entries. Loading never raises: a damaged file is reported and skipped, so a
typo in a price cannot stop the window from opening.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the events package is large: the window imports this before it paints
    from desktop.core.events.payloads import Usage

log = logging.getLogger("talkline.pricing")

BUILTIN_PRICES = Path(__file__).resolve().parent.parent / "data" / "prices.json"
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """Dollars per million tokens of each kind."""

    text_input: float = 0.0
    cached_text_input: float = 0.0
    text_output: float = 0.0
    audio_input: float = 0.0
    cached_audio_input: float = 0.0
    audio_output: float = 0.0

    @classmethod
    def from_dict(cls, data: object) -> ModelPrice:
        if not isinstance(data, dict):
            raise ValueError("a model's prices must be an object")
        values: dict[str, float] = {}
        for f in fields(cls):
            value = data.get(f.name, 0.0)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{f.name} must be a number ≥ 0, not {value!r}")
            values[f.name] = float(value)
        return cls(**values)

    def cost(self, usage: Usage) -> float:
        """Dollars for ``usage``. Cached input is split between text and audio pro rata
        (the usage we keep does not say which cached tokens were audio)."""
        inp, out = usage.input_token_details, usage.output_token_details
        text_in, audio_in = inp.text_tokens, inp.audio_tokens
        if text_in + audio_in == 0:  # a provider that reports totals only: price as text
            text_in = usage.input_tokens
        text_out, audio_out = out.text_tokens, out.audio_tokens
        if text_out + audio_out == 0:
            text_out = usage.output_tokens
        cached = min(inp.cached_tokens, text_in + audio_in)
        share_text = text_in / (text_in + audio_in) if text_in + audio_in else 1.0
        cached_text = round(cached * share_text)
        cached_audio = cached - cached_text
        dollars = (
            (text_in - cached_text) * self.text_input
            + cached_text * self.cached_text_input
            + (audio_in - cached_audio) * self.audio_input
            + cached_audio * self.cached_audio_input
            + text_out * self.text_output
            + audio_out * self.audio_output
        )
        return dollars / PER_TOKENS


@dataclass
class PriceTable:
    prices: dict[str, ModelPrice]
    problems: list[str]

    @classmethod
    def load(cls, *paths: Path) -> PriceTable:
        """Prices from ``paths`` (default: the built-in file); later files override."""
        table = cls({}, [])
        for path in paths or (BUILTIN_PRICES,):
            table._merge(path)
        return table

    def _merge(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self.problems.append(f"{path.name}: could not be read ({exc.__class__.__name__})")
            return
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, dict):
            self.problems.append(f"{path.name}: no \"models\" object")
            return
        for model, raw in models.items():
            try:
                self.prices[str(model)] = ModelPrice.from_dict(raw)
            except ValueError as exc:
                self.problems.append(f"{path.name}: {model}: {exc}")
                log.warning("prices: %s", self.problems[-1])

    def price_for(self, model: str) -> ModelPrice | None:
        """The model's price; a dated snapshot (``gpt-realtime-2025-08-28``) or a routed
        name (``openai/gpt-4o-mini``) falls back to the longest known prefix/suffix."""
        if model in self.prices:
            return self.prices[model]
        base = model.rsplit("/", 1)[-1]
        matches = [name for name in self.prices if base == name or base.startswith(name + "-")]
        return self.prices[max(matches, key=len)] if matches else None

    def estimate(self, model: str, usage: Usage) -> float | None:
        price = self.price_for(model)
        return None if price is None else price.cost(usage)


def format_cost(dollars: float | None) -> str:
    if dollars is None:
        return "cost unknown"
    if dollars == 0:
        return "$0.00"
    if dollars < 0.01:
        return f"${dollars:.4f}"
    return f"${dollars:,.2f}"
