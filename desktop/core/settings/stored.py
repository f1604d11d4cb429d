"""The settings file the window writes, read without Qt, for the command line.

The window keeps its settings with QSettings in an INI file (desktop/ui/settings_store.py);
`talkline` commands must follow the same choices (how long conversations are kept) without
loading Qt. Only reading: repairing a damaged file is the window's business, and a file
that cannot be read gives what the window would then use, the defaults.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from desktop.core.settings.schema import AppSettings

log = logging.getLogger("talkline.settings")

FOLDER = "Talkline"  # QSettings' organization
FILE_NAME = "Talkline.ini"  # its application, in INI format
_TOP = "General"  # QSettings puts keys outside any group in [General]


def settings_file() -> Path:
    """Where QSettings (INI format, user scope) keeps the window's settings."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / FOLDER / FILE_NAME
    # Qt follows XDG here on Linux, and uses ~/.config on macOS too for INI files.
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base_path = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base_path / FOLDER / FILE_NAME


def stored_settings(path: Path | None = None) -> AppSettings:
    """The window's choices that are plain words (the history's retention among them),
    validated as the window validates them; defaults for the rest. Never raises."""
    defaults = AppSettings()
    words = {
        name: value for name, value in _read_top(path or settings_file()).items()
        if isinstance(getattr(defaults, name, None), str)
    }
    settings, problems = AppSettings.from_dict(words)
    for problem in problems:
        log.warning("settings: %s", problem)
    return settings


def _read_top(path: Path) -> dict[str, str]:
    """The [General] entries of the INI file as text; {} when there is none to read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("the settings file %s could not be read (%s); using defaults", path, exc)
        return {}
    values: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == _TOP and "=" in line and not line.startswith(";"):
            key, _, value = line.partition("=")
            values[key.strip()] = _unquote(value)
    return values


def _unquote(value: str) -> str:
    """A QSettings INI string: quoted when it holds separators, with backslash escapes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value
