"""Non-secret settings in an INI file through QSettings; never a key.

Layout: top-level fields in [General], then [audio] and [providers] (``openai\\model=...``).
Other parts of the window may keep their own groups in the same file (window geometry):
they are left alone. INI values come back as strings, so each is decoded by the type of
its default before `AppSettings.from_dict` validates it.

A file that cannot be parsed, is not text, or holds values that fail validation is copied
next to itself as ``<name>.<timestamp>.bak`` before the good values are written back, so
the person's notice appears once and nothing they had is lost.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.settings import AppSettings, AudioSettings, ProviderSettings
from desktop.core.settings.schema import ToolSettings

log = logging.getLogger("talkline.settings")

ORGANIZATION = "Talkline"
APPLICATION = "Talkline"
VERSION_KEY = "settings_version"
VERSION = 1

_GROUPS = ("providers", "audio", "tools")
_TOP_FIELDS = {f.name: f for f in fields(AppSettings) if f.name not in _GROUPS}
_APP_DEFAULTS = AppSettings()
_AUDIO_DEFAULTS = AudioSettings()
_AUDIO_FIELDS = {f.name for f in fields(AudioSettings)}
_PROVIDER_DEFAULTS = ProviderSettings()
_PROVIDER_FIELDS = {f.name for f in fields(ProviderSettings)}
_TOOL_DEFAULTS = ToolSettings()
_TOOL_FIELDS = {f.name for f in fields(ToolSettings)}
_INVALID = object()  # a stored value its field's type cannot hold


def default_qsettings() -> QSettings:
    """Talkline's own INI file (on Linux: ~/.config/Talkline/Talkline.ini)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def load_settings(qsettings: QSettings | None = None) -> tuple[AppSettings, list[str]]:
    """The stored settings and a list of problems (empty when all was well). Never raises."""
    qs = qsettings if qsettings is not None else default_qsettings()
    try:
        return _load(qs)
    except Exception as exc:  # a settings file must never stop the app from opening
        log.exception("loading settings failed")
        return AppSettings(), [f"The settings could not be read ({exc.__class__.__name__}); "
                               "using defaults."]


def save_settings(settings: AppSettings, qsettings: QSettings | None = None) -> str | None:
    """Write the settings. Returns None, or a sentence saying why they were not saved."""
    qs = qsettings if qsettings is not None else default_qsettings()
    try:
        _write(qs, settings.to_dict())
        qs.sync()
    except Exception as exc:
        log.exception("saving settings failed")
        return f"The settings could not be saved ({exc.__class__.__name__})."
    if qs.status() == QSettings.Status.AccessError:
        message = f"The settings could not be saved: {qs.fileName()} is not writable."
        log.warning(message)
        return message
    return None


# -- loading ------------------------------------------------------------------------------


def _load(qs: QSettings) -> tuple[AppSettings, list[str]]:
    path = Path(qs.fileName())
    damaged = _file_damage(path, qs)
    if damaged:
        # Unparseable: nothing in it can be trusted. Keep it aside and start over.
        backup = _backup(path, move=True)
        qs.clear()  # every entry of an unparseable file is suspect, ours or not
        qs.sync()
        return AppSettings(), [damaged, _backup_sentence(path, backup)]
    data, problems = _read(qs)
    if not data:
        return AppSettings(), problems
    settings, invalid = AppSettings.from_dict(data)
    problems.extend(invalid)
    if problems and path.is_file():
        backup = _backup(path)
        problems.append(_backup_sentence(path, backup))
        # Write the repaired values back so the notice does not return at every start.
        save_settings(settings, qs)
    for problem in problems:
        log.warning("settings: %s", problem)
    return settings, problems


def _file_damage(path: Path, qs: QSettings) -> str:
    """A sentence when the file as a whole is unusable, else ""."""
    status = qs.status()
    if status == QSettings.Status.AccessError:
        return f"The settings file {path} could not be read; using defaults."
    if not path.is_file():
        return ""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return f"The settings file {path} could not be read ({exc.strerror}); using defaults."
    try:
        raw.decode("utf-8")
        text_ok = b"\x00" not in raw
    except UnicodeDecodeError:
        text_ok = False
    if not text_ok or status == QSettings.Status.FormatError:
        return f"The settings file {path} was damaged (not a readable INI file); using defaults."
    return ""


def _read(qs: QSettings) -> tuple[dict[str, Any], list[str]]:
    """Our keys as a nested dict of typed values, plus the entries that made no sense."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for key in qs.allKeys():
        parts = key.split("/")
        default = _default_for(parts)
        if default is _INVALID:
            if parts[0] in _GROUPS:
                problems.append(f"{key}: not a Talkline setting; ignored.")
            continue  # anything else belongs to another part of the window (geometry, ...)
        raw = qs.value(key)
        value = _decode(raw, default)
        if value is _INVALID:
            problems.append(f"{'.'.join(parts)}: {raw!r} is not valid; using the default.")
            continue
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return data, problems


def _default_for(parts: list[str]) -> object:
    """The default of the setting at this key, or _INVALID when it is not one of ours."""
    if len(parts) == 1 and parts[0] in _TOP_FIELDS:
        return getattr(_APP_DEFAULTS, parts[0])
    if len(parts) == 2 and parts[0] == "audio" and parts[1] in _AUDIO_FIELDS:
        return getattr(_AUDIO_DEFAULTS, parts[1])
    if len(parts) == 2 and parts[0] == "tools" and parts[1] in _TOOL_FIELDS:
        return getattr(_TOOL_DEFAULTS, parts[1])
    if (
        len(parts) == 3 and parts[0] == "providers" and parts[1] in BUILTIN_PROFILES
        and parts[2] in _PROVIDER_FIELDS
    ):
        return getattr(_PROVIDER_DEFAULTS, parts[2])
    return _INVALID


def _decode(raw: object, default: object) -> object:
    """An INI string (or, from Qt's in-process cache, a typed value) as the field's type."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return _INVALID
    if isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        try:
            return int(str(raw).strip())
        except ValueError:
            return _INVALID
    if isinstance(default, float) or default is None:
        if default is None and (raw is None or raw == ""):
            return None
        if isinstance(raw, bool):
            return _INVALID
        try:
            number = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
        except ValueError:
            return _INVALID
        return number if math.isfinite(number) else _INVALID
    if isinstance(default, list | dict):
        # Lists and mappings (tool names, MCP servers) are stored as JSON text.
        try:
            value = json.loads(raw) if isinstance(raw, str) else _INVALID
        except ValueError:
            return _INVALID
        return value if isinstance(value, type(default)) else _INVALID
    if isinstance(default, str):
        if isinstance(raw, str):
            return raw
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return ",".join(raw)  # a hand-edited `a, b` comes back from Qt as a list
        return _INVALID
    return _INVALID


# -- writing --------------------------------------------------------------------------------


def _write(qs: QSettings, data: dict[str, Any]) -> None:
    _discard_ours(qs)
    qs.setValue(VERSION_KEY, VERSION)
    for name in _TOP_FIELDS:
        qs.setValue(name, _encode(data[name]))
    for name, value in data["audio"].items():
        qs.setValue(f"audio/{name}", _encode(value))
    for name, value in data["tools"].items():
        qs.setValue(f"tools/{name}", _encode(value))
    for pid, values in data["providers"].items():
        for name, value in values.items():
            qs.setValue(f"providers/{pid}/{name}", _encode(value))


def _encode(value: object) -> object:
    # None as "" (not Qt's @Invalid()): the file stays plain and hand-editable.
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _discard_ours(qs: QSettings) -> None:
    for name in (VERSION_KEY, *_TOP_FIELDS, *_GROUPS):
        qs.remove(name)


# -- backups --------------------------------------------------------------------------------


def _backup(path: Path, *, move: bool = False) -> Path | None:
    """Copy (or move) the file to ``<name>.<timestamp>.bak`` beside it; None if that failed."""
    if not path.is_file():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    try:
        if move:
            path.replace(target)
        else:
            shutil.copy2(path, target)
    except OSError as exc:
        log.warning("could not back up %s: %s", path, exc.strerror)
        return None
    log.warning("kept a copy of the damaged settings file as %s", target)
    return target


def _backup_sentence(path: Path, backup: Path | None) -> str:
    if backup is None:
        return f"No backup of {path} could be made."
    return f"The previous file was kept as {backup}."
