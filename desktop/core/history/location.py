"""Where the history file lives: the platform's app-data folder, or $TALKLINE_HISTORY."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FILE_NAME = "history.sqlite3"
ENV_VAR = "TALKLINE_HISTORY"  # a file path: tests, or a history kept elsewhere


def data_folder() -> Path:
    """Talkline's per-user data folder (not created here)."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "Talkline"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Talkline"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative value is invalid and must be ignored.
    base_path = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base_path / "talkline"


def default_path() -> Path:
    override = os.environ.get(ENV_VAR, "")
    return Path(override) if override else data_folder() / FILE_NAME
