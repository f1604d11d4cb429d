"""Logging for the window: a rotating file in Talkline's data folder, secrets scrubbed.

Every record passes through the core's `RedactingFilter` before any handler sees it, so a key
that slips into an exception message or a URL never reaches the log file or the terminal.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QStandardPaths, QtMsgType, qInstallMessageHandler

from desktop.core.secrets.redact import RedactingFilter, scrub

LOG_NAME = "talkline.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# One scrubber for every output (by pattern and by the values the app holds): see
# desktop.core.secrets.redact. The old names stay for callers.
SecretScrubber = RedactingFilter
__all__ = ["SecretScrubber", "configure_logging", "log_folder", "scrub"]


def log_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".talkline") / "logs"


def configure_logging(verbosity: int = 0, folder: Path | None = None) -> Path | None:
    """File log at INFO (DEBUG with -vv), terminal at WARNING (INFO with -v).

    Returns the log file's path, or None when the folder cannot be written.
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    for handler in list(root.handlers):  # replace what the CLI's basicConfig installed
        root.removeHandler(handler)
    scrubber = SecretScrubber()
    terminal = logging.StreamHandler()
    terminal.setLevel(logging.INFO if verbosity >= 1 else logging.WARNING)
    terminal.setFormatter(logging.Formatter(FORMAT))
    terminal.addFilter(scrubber)
    root.addHandler(terminal)
    path: Path | None = None
    try:
        folder = folder or log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler.addFilter(scrubber)
        root.addHandler(file_handler)
    except OSError as exc:
        root.warning("no log file (%s); logging to the terminal only", exc)
        path = None
    logging.getLogger("aioice").setLevel(logging.WARNING)
    logging.getLogger("aiortc").setLevel(logging.WARNING)
    qInstallMessageHandler(_qt_message)
    return path


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    logging.getLogger("talkline.qt").log(_QT_LEVELS.get(kind, logging.INFO), "%s", message)
