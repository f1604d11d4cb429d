"""A global key combination as typed in Settings ("Ctrl+Alt+Space"), for every backend."""

from __future__ import annotations

from dataclasses import dataclass

MODIFIERS = ("ctrl", "control", "alt", "shift", "meta", "super", "win")
_X_KEYSYMS = {"space": "space", "enter": "Return", "return": "Return", "tab": "Tab",
              "esc": "Escape", "escape": "Escape", "backspace": "BackSpace", "pause": "Pause",
              "scrolllock": "Scroll_Lock", "insert": "Insert", "ins": "Insert",
              "home": "Home", "end": "End", "pgup": "Prior", "pgdown": "Next"}
# The XDG shortcuts spec's modifier names (preferred_trigger: "CTRL+ALT+space").
_XDG_MODIFIERS = {"ctrl": "CTRL", "control": "CTRL", "alt": "ALT", "shift": "SHIFT",
                  "meta": "LOGO", "super": "LOGO", "win": "LOGO"}


@dataclass(frozen=True)
class Binding:
    modifiers: tuple[str, ...]  # lower-case: ctrl, alt, shift, meta
    key: str  # lower-case: space, f9, a

    @classmethod
    def parse(cls, text: str) -> Binding:
        """``"Ctrl+Alt+Space"`` → Binding(("ctrl", "alt"), "space"). Raises ValueError."""
        parts = [p.strip().lower() for p in text.replace(" ", "").split("+")]
        if text.strip().endswith("++"):  # "Ctrl++": the plus key itself
            parts = [p for p in parts if p] + ["plus"]
        if not parts or not parts[-1]:
            raise ValueError(f"no key in {text!r}")
        *mods, key = parts
        unknown = [m for m in mods if m not in MODIFIERS]
        if unknown:
            raise ValueError(f"unknown modifier {unknown[0]!r} in {text!r}")
        return cls(tuple(mods), key)

    def x_keysym(self) -> str:
        if self.key in _X_KEYSYMS:
            return _X_KEYSYMS[self.key]
        if len(self.key) > 1 and self.key[0] == "f" and self.key[1:].isdigit():
            return self.key.upper()
        return self.key

    def xdg_trigger(self) -> str:
        """The portal's ``preferred_trigger``: XDG modifier names and an xkb keysym."""
        return "+".join([*(_XDG_MODIFIERS[m] for m in self.modifiers), self.x_keysym()])
