"""The log file: untrusted text in a record reaches it with visible control characters and on one line."""

from __future__ import annotations

import logging
import re

import pytest

from smsconfirm_tui.logging_setup import configure_logging

# A record starts with the date and time that the log format puts first.
RECORD_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [+-]\d{4} ")


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "logs" / "smsconfirm.log"
    configure_logging(path)
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(path):
            root.removeHandler(handler)
            handler.close()


def test_log_message_made_visible(log_file):
    reason = "unknown client 'K\x1b[2JX\x1b[31m'\n2026-12-04 ERROR fake line\r\u202e"
    logging.getLogger("smsconfirm_tui.sync.merge").warning("sync skipped %s %r (line %s): %s",
                                                           "appointments", "T35", 33, reason)
    text = log_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 1
    assert "\x1b" not in text
    assert "\r" not in text
    assert lines[0].endswith(
        "sync skipped appointments 'T35' (line 33): unknown client 'K␛[2JX␛[31m' ⏎ 2026-12-04 ERROR fake line␍<U+202E>"
    )


def test_log_traceback_indented_visible(log_file):
    try:
        raise ValueError("bad header \x1b]2;PWNED\x07\n2026-12-04 ERROR fake line")
    except ValueError:
        logging.getLogger("smsconfirm_tui.tui.screens.day").exception("sync failed: %s", "\x1b[2J")
    text = log_file.read_text(encoding="utf-8")
    assert "\x1b" not in text
    assert "\x07" not in text
    lines = text.splitlines()
    assert RECORD_START.match(lines[0])
    assert lines[0].endswith("sync failed: ␛[2J")
    # Only the record's first line starts in the first column, so an injected line cannot pass for a record.
    assert all(line.startswith("  ") for line in lines[1:] if line)
    assert "  Traceback (most recent call last):" in lines
    assert "  ValueError: bad header ␛]2;PWNED␇" in lines
    assert "  2026-12-04 ERROR fake line" in lines


def test_log_record_unchanged_for_caplog(log_file, caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("smsconfirm_tui").info("reply %s", "\x1b[2J")
    assert caplog.records[-1].getMessage() == "reply \x1b[2J"
    assert log_file.read_text(encoding="utf-8").rstrip("\n").endswith("reply ␛[2J")


def test_log_time_has_zone_offset(log_file):
    logging.getLogger("smsconfirm_tui.sync.merge").warning("sync from %s", "salon.sqlite")

    line = log_file.read_text(encoding="utf-8").splitlines()[0]

    assert RECORD_START.match(line), line
