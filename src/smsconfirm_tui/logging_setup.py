"""Logs for technicians go to a file: the app owns the terminal."""

from __future__ import annotations

import copy
import logging
import textwrap
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

from smsconfirm_tui.domain.text import visible, visible_multiline

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class VisibleFormatter(logging.Formatter):
    """A formatter that keeps untrusted text in a record from acting on the terminal that shows the log.

    Log messages quote values from the salon database, SMS replies and
    gateway responses. Technicians read the log with ``less`` or ``tail``, so
    the message's control characters and escape sequences become visible
    symbols (``domain.text.visible``) and its line breaks become " ⏎ ". A
    message therefore always fills exactly one line. A traceback keeps its
    line breaks, but its lines are indented by two spaces, so that every
    line starting in the first column begins a record.
    """

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        # The zone offset, because the app shows Zurich time and a server may log in UTC.
        return super().formatTime(record, datefmt) + time.strftime(" %z", self.converter(record.created))

    def format(self, record: logging.LogRecord) -> str:
        # A copy, so that other handlers (pytest's caplog) still get the record as logged.
        safe = copy.copy(record)
        safe.msg = visible(record.getMessage())
        safe.args = None
        details = record.exc_text
        if not details and record.exc_info:
            details = self.formatException(record.exc_info)
        safe.exc_info = None
        safe.exc_text = _indented(details) if details else None
        safe.stack_info = _indented(record.stack_info) if record.stack_info else None
        return super().format(safe)


def _indented(text: str) -> str:
    return textwrap.indent(visible_multiline(text), "  ")


def configure_logging(log_file: Path, level: int = logging.INFO) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(VisibleFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.setLevel(level)
    for existing in list(root.handlers):
        if isinstance(existing, RotatingFileHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    # httpx logs every request URL at INFO; keep it for warnings only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def log_file_path() -> Path | None:
    """Return the log file that configure_logging set up, or None when none is set up."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RotatingFileHandler):
            return Path(handler.baseFilename)
    return None
