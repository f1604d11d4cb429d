"""How a saved conversation reads in a list (the window's sidebar and `talkline history`)."""

from __future__ import annotations

import time


def when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def title(text: str, started: float) -> str:
    """The saved title, or one from the date for a conversation without words yet."""
    return text or f"Conversation of {when(started)}"


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def cost(dollars: float | None) -> str:
    if dollars is None:
        return "-"
    return f"${dollars:.4f}" if dollars < 0.01 else f"${dollars:.2f}"
