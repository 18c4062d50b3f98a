"""The salon database shape every source yields, and the rules that normalise values to it.

A source yields one dict per row with exactly the columns in
``SOURCE_COLUMNS``. Times are local Zurich times as text,
``YYYY-MM-DD HH:MM`` with optional seconds.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from smsconfirm_tui.domain.calendar import ZURICH

SOURCE_TABLES: tuple[str, ...] = ("salons", "clients", "appointments")

SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "salons": ("id", "name", "phone", "canton", "sender"),
    "clients": (
        "id",
        "first_name",
        "last_name",
        "mobile_phone",
        "home_phone",
        "work_phone",
        "language",
        "confirm_sms",
        "confirm_days",
        "updated_at",
    ),
    "appointments": (
        "id",
        "client_id",
        "salon_id",
        "starts_at",
        "ends_at",
        "service",
        "staff",
        "status",
        "updated_at",
    ),
}

# Columns without which a row is skipped: a CSV mapping may not leave them empty.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "salons": ("id",),
    "clients": ("id",),
    "appointments": ("id", "client_id", "salon_id", "starts_at"),
}

# Optional keys of a source row: the line number in the source file (for
# messages) and a reason to skip the row that the source found itself.
LINE_KEY = "_line"
PROBLEM_KEY = "_problem"

# Columns that a CSV export may split into a date column and a time column.
SPLIT_COLUMNS = frozenset({"starts_at", "ends_at", "updated_at"})

# Appended to a start or end time that is not valid, by a reader that writes
# lines straight into the mirror. The check then skips the line without parsing the time again.
INVALID_TIME_MARK = "\x1f"

# Columns holding a time; "updated_at" may be a date alone.
TIME_COLUMNS = {"starts_at": True, "ends_at": True, "updated_at": False}  # column -> time of day required

# dd.mm.yyyy or yyyy-mm-dd (day and month with one or two digits), then an
# optional time H:MM or H:MM:SS after a space or a "T".
_DATE_TIME = re.compile(
    r"\s*(?:(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"|(?P<iso_year>\d{4})-(?P<iso_month>\d{1,2})-(?P<iso_day>\d{1,2}))"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?\s*\Z"
)


class Source(Protocol):
    """A readable salon database: every kind of source has these methods."""

    def describe(self) -> str:
        """Name the source for messages, without any password."""
        ...

    def count(self, table: str) -> int | None:
        """Return the number of rows in ``table``, or None when only a full read can tell."""
        ...

    def rows(self, table: str) -> Iterator[dict[str, object]]:
        """Yield the rows of ``table`` one at a time, each a dict with the ``SOURCE_COLUMNS``."""
        ...

    def close(self) -> None: ...


def normalise_time(text: str, *, time_required: bool) -> str:
    """Rewrite a date and time as ``YYYY-MM-DD HH:MM`` (``HH:MM:SS`` when seconds are given).

    Accepts ``dd.mm.yyyy`` and ``yyyy-mm-dd`` dates and times with or
    without seconds. Text that does not look like that, or a date without a
    time where ``time_required``, is returned unchanged, so that the merge
    skips the row and reports the value as it was. Whether the date exists
    (31.02.) is checked by the merge, too.
    """
    if (
        len(text) == 16
        and text[2] == "."
        and text[5] == "."
        and text[10] == " "
        and text[13] == ":"
        and (text[0:2] + text[3:5] + text[6:10] + text[11:13] + text[14:16]).isdigit()
    ):
        # The common Swiss export form "dd.mm.yyyy HH:MM", rearranged without a regex.
        return f"{text[6:10]}-{text[3:5]}-{text[0:2]} {text[11:16]}"
    if (
        len(text) == 19
        and text[2] == "."
        and text[5] == "."
        and text[10] == " "
        and text[13] == ":"
        and text[16] == ":"
        and (digits := text[0:2] + text[3:5] + text[6:10] + text[11:13] + text[14:16] + text[17:19]).isascii()
        and digits.isdigit()
    ):
        # The same with seconds.
        return f"{text[6:10]}-{text[3:5]}-{text[0:2]} {text[11:19]}"
    if len(text) in (16, 19) and text[4] == "-" and text[10] == " ":
        return text
    match = _DATE_TIME.match(text)
    if match is None:
        return text
    if match["day"] is not None:
        year, month, day = match["year"], match["month"], match["day"]
    else:
        year, month, day = match["iso_year"], match["iso_month"], match["iso_day"]
    if match["hour"] is None:
        if time_required:
            return text
        return f"{year}-{int(month):02d}-{int(day):02d} 00:00:00"
    result = f"{year}-{int(month):02d}-{int(day):02d} {int(match['hour']):02d}:{match['minute']}"
    if match["second"] is not None:
        result += f":{match['second']}"
    return result


def to_text(value: object) -> object:
    """Convert a database value to what the mirror stores: text, a whole number or None."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            # A server's "timestamp with time zone": the mirror keeps Zurich wall time.
            value = value.astimezone(ZURICH)
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def is_mirror_time(text: str) -> bool:
    """Tell whether ``text`` is ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DD HH:MM:SS`` of an existing day and time.

    This is the check that the SQL merge makes with SQLite's ``datetime()``
    (attached.py), so that every sync path skips the same lines.
    """
    if len(text) == 16:
        digits = text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16]
    elif len(text) == 19 and text[16] == ":":
        digits = text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
        if text[17:19] >= "60":
            return False
    else:
        return False
    return (
        text[4] == "-"
        and text[7] == "-"
        and text[10] == " "
        and text[13] == ":"
        and digits.isascii()
        and digits.isdigit()
        and text[11:13] < "24"
        and text[14:16] < "60"
        and date_exists(text[0:10])
    )


@lru_cache(maxsize=4096)
def date_exists(text: str) -> bool:
    """Tell whether SQLite keeps ``YYYY-MM-DD`` (digits) as it is: a day of the proleptic Gregorian calendar.

    Before 0400-03-01, SQLite's conversion from a Julian day number back to
    a date truncates a negative quotient and is off on some days. SQLite
    3.40.1 turns 0300-03-01 into 0300-02-29, so it keeps 0300-02-29 and
    not 0300-03-01. For those years SQLite itself decides.
    """
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    if not 1 <= month <= 12 or day < 1:
        return False
    if year <= 400:
        return _sqlite_keeps_date(text)
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return day <= (29 if leap else 28)
    return day <= (30 if month in (4, 6, 9, 11) else 31)


def _sqlite_keeps_date(text: str) -> bool:
    # A connection of its own, because the reader may run in another thread than the mirror's.
    connection = sqlite3.connect(":memory:")
    try:
        return connection.execute("SELECT date(?1, '+0 days') IS ?1", (text,)).fetchone()[0] == 1
    finally:
        connection.close()


def quote_text(text: str) -> str:
    """Quote ``text`` for a message as SQLite's quote() does, so that every sync path words skips alike."""
    return "'" + text.replace("'", "''") + "'"
