"""Dates as staff type them: ``5.3.``, ``05.03.2027``, ``5.3.27`` or ``2027-03-05``."""

from __future__ import annotations

import re
from datetime import date

_SWISS = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?\s*$")


# Typed dates outside these years are typing mistakes; far dates would also
# overflow date arithmetic in the lists.
MIN_YEAR, MAX_YEAR = 2000, 2099


def parse_typed_date(text: str, today: date) -> date:
    """Read a typed date; without a year, the such date nearest to today.

    Raises ValueError naming the text when it is not a date, or not a date
    between the years 2000 and 2099.
    """
    result = _parse(text, today)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueError(f"{text!r} is not a date between {MIN_YEAR} and {MAX_YEAR}")
    return result


def _parse(text: str, today: date) -> date:
    cleaned = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            return date.fromisoformat(cleaned)
        match = _SWISS.match(cleaned)
        if match is None and re.fullmatch(r"\d{1,2}\.\d{1,2}", cleaned):
            match = _SWISS.match(cleaned + ".")
        if match is None:
            raise ValueError(f"{text!r} is not a date: type day.month. or day.month.year")
        day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        if year_text is None:
            return _nearest(day, month, today)
        year = int(year_text)
        if year < 100:
            year += 2000
        return date(year, month, day)
    except ValueError as error:
        if str(error).startswith(repr(text)):
            raise
        raise ValueError(f"{text!r} is not a date: {error}") from error


def _nearest(day: int, month: int, today: date) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(f"day {day} does not exist in month {month}")
    return min(candidates, key=lambda candidate: abs((candidate - today).days))
