"""Working days and the day each visit's confirmation is due.

A visit is due ``lead_days`` before its date. When the salon is closed on
that day (a weekday it does not open, or a public holiday of its canton),
the due day moves back to the previous open day, so the SMS goes out early
rather than late. All dates are Zurich dates, never UTC dates.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

ZURICH = ZoneInfo("Europe/Zurich")

MAX_LEAD_DAYS = 60

# Two-letter canton codes known to the holidays package. It also lists
# city subdivisions such as "Stadt Zurich", which are no cantons.
CANTONS: tuple[str, ...] = tuple(
    sorted(code for code in holidays.list_supported_countries()["CH"] if len(code) == 2)
)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Bound for searching an open day. A calendar with at least one open weekday
# finds one within a few weeks even around Christmas and Easter, so reaching
# this bound means the holiday data is broken.
_MAX_SEARCH_DAYS = 366


def zurich_now(now: datetime | None = None) -> datetime:
    """Return ``now`` (default: the current time) as an aware Zurich datetime.

    Raises ValueError for a naive datetime, because its time zone is unknown.
    """
    if now is None:
        return datetime.now(ZURICH)
    _require_aware(now, "now")
    return now.astimezone(ZURICH)


def zurich_today(now: datetime | None = None) -> date:
    """Return the Zurich date at ``now``: at 22:30 UTC in summer it is already the next day."""
    return zurich_now(now).date()


@functools.lru_cache(maxsize=256)
def _canton_holidays(canton: str, year: int) -> Mapping[date, str]:
    # Each call to country_holidays builds a new table (and loads the
    # translations on first use), while the due rules look up the same few
    # years for every visit. The cache turns those lookups into dict reads.
    table = holidays.country_holidays("CH", subdiv=canton, years=year, language="en_US")
    return MappingProxyType(dict(table))


@dataclass(frozen=True)
class SalonCalendar:
    """Opening days of one salon: weekdays it opens and its canton's public holidays."""

    canton: str = "ZH"
    open_weekdays: frozenset[int] = frozenset(range(6))

    def __post_init__(self) -> None:
        canton = self.canton.upper() if isinstance(self.canton, str) else self.canton
        if canton not in CANTONS:
            raise ValueError(
                f"unknown canton {self.canton!r}: "
                f"use a two-letter canton code, one of {', '.join(CANTONS)}"
            )
        weekdays = frozenset(self.open_weekdays)
        if not weekdays:
            raise ValueError("open_weekdays is empty: a salon must open on at least one weekday")
        wrong = sorted(day for day in weekdays if not isinstance(day, int) or not 0 <= day <= 6)
        if wrong:
            raise ValueError(
                f"invalid weekdays {wrong} in open_weekdays: use 0 (Monday) to 6 (Sunday)"
            )
        # The dataclass is frozen, so normalised values go through object.__setattr__.
        object.__setattr__(self, "canton", canton)
        object.__setattr__(self, "open_weekdays", weekdays)

    def holiday_name(self, day: date) -> str | None:
        """Return the English name of the canton's public holiday on ``day``, if any."""
        return _canton_holidays(self.canton, day.year).get(day)

    def closed_reason(self, day: date) -> str | None:
        """Return why the salon is closed on ``day``, or None when it is open."""
        if day.weekday() not in self.open_weekdays:
            return f"closed on {WEEKDAY_NAMES[day.weekday()]}"
        name = self.holiday_name(day)
        if name is not None:
            return f"public holiday: {name}"
        return None

    def is_open(self, day: date) -> bool:
        return self.closed_reason(day) is None


def next_working_day(calendar: SalonCalendar, day: date) -> date:
    """Return the first day strictly after ``day`` on which the salon is open."""
    return _search_open_day(calendar, day, step=timedelta(days=1))


def previous_working_day(calendar: SalonCalendar, day: date) -> date:
    """Return the last day strictly before ``day`` on which the salon is open."""
    return _search_open_day(calendar, day, step=timedelta(days=-1))


def _search_open_day(calendar: SalonCalendar, day: date, step: timedelta) -> date:
    candidate = day + step
    for _ in range(_MAX_SEARCH_DAYS):
        if calendar.is_open(candidate):
            return candidate
        candidate += step
    raise RuntimeError(f"no open day within {_MAX_SEARCH_DAYS} days of {day} in {calendar}")


@dataclass(frozen=True)
class DueDay:
    """The day a visit's confirmation is due, and why it moved from date minus lead."""

    visit_date: date
    lead_days: int
    due: date
    moves: tuple[str, ...]


def due_day(calendar: SalonCalendar, visit_date: date, lead_days: int) -> DueDay:
    """Compute the due day: ``lead_days`` before the visit, moved back past closed days.

    ``moves`` lists one "YYYY-MM-DD: reason" entry per closed day skipped.
    Raises ValueError for a lead time outside 0 to 60 days.
    """
    _require_lead(lead_days, "lead_days")
    due = visit_date - timedelta(days=lead_days)
    moves: list[str] = []
    for _ in range(_MAX_SEARCH_DAYS):
        reason = calendar.closed_reason(due)
        if reason is None:
            return DueDay(visit_date=visit_date, lead_days=lead_days, due=due, moves=tuple(moves))
        moves.append(f"{due.isoformat()}: {reason}")
        due -= timedelta(days=1)
    raise RuntimeError(
        f"no open day within {_MAX_SEARCH_DAYS} days before {visit_date} in {calendar}"
    )


def visits_due_window(
    calendar: SalonCalendar, today: date, max_lead: int = 14
) -> tuple[date, date]:
    """Return the first and last visit date (inclusive) that can be due or late on ``today``.

    A visit's due day is on or before ``today`` exactly when its date minus
    its lead time falls before the next working day after ``today``. So
    with lead times up to ``max_lead``, the visits due today or late lie
    between ``today`` and the day before the next working day plus
    ``max_lead``. A query can fetch only this range and pass each visit to
    ``check_due``. Visits before ``today`` have started and are never due.
    Raises ValueError for ``max_lead`` outside 0 to 60 days.
    """
    _require_lead(max_lead, "max_lead")
    last = next_working_day(calendar, today) - timedelta(days=1) + timedelta(days=max_lead)
    return today, last


class DueState(StrEnum):
    """State of a visit's confirmation at one moment: not yet due, due, late or too late."""

    NOT_YET = "not_yet"
    DUE = "due"
    LATE = "late"
    TOO_LATE = "too_late"


@dataclass(frozen=True)
class DueCheck:
    """Due state of one visit at one moment, with an English reason for support staff."""

    state: DueState
    due: DueDay
    reason: str


def check_due(
    calendar: SalonCalendar,
    visit_start: datetime,
    lead_days: int,
    now: datetime,
    min_notice: timedelta = timedelta(hours=2),
) -> DueCheck:
    """Decide whether the confirmation of a visit starting at ``visit_start`` is due at ``now``.

    A visit that has started, or starts within ``min_notice`` of ``now``, is
    TOO_LATE and never due, whatever its due day. Otherwise it is NOT_YET
    before its due day, DUE on it, and LATE after it. Both datetimes must be
    timezone-aware. Raises ValueError for naive datetimes, a negative
    ``min_notice`` or a lead time outside 0 to 60 days.
    """
    _require_aware(visit_start, "visit_start")
    _require_aware(now, "now")
    if min_notice < timedelta(0):
        raise ValueError(f"min_notice {min_notice} is negative: use zero or a positive timedelta")

    start = visit_start.astimezone(ZURICH)
    local_now = zurich_now(now)
    due = due_day(calendar, start.date(), lead_days)
    today = local_now.date()
    due_text = f"{due.due.isoformat()} ({WEEKDAY_NAMES[due.due.weekday()]})"

    too_late = too_late_reason(start, local_now, min_notice)
    if too_late is not None:
        return DueCheck(DueState.TOO_LATE, due, too_late)
    if today < due.due:
        return DueCheck(DueState.NOT_YET, due, f"due on {due_text}")
    if today == due.due:
        return DueCheck(DueState.DUE, due, "due today")
    return DueCheck(DueState.LATE, due, f"was due on {due_text}, the visit is still ahead")


def too_late_reason(
    visit_start: datetime, now: datetime, min_notice: timedelta = timedelta(hours=2)
) -> str | None:
    """Return why no SMS may go out for a visit starting at ``visit_start``, or None.

    A visit that has started, or starts within ``min_notice`` of ``now``, is
    too late for a confirmation. The send path calls this again just before
    each request, because a list loaded in the morning can be sent at noon.
    Raises ValueError for naive datetimes or a negative ``min_notice``.
    """
    _require_aware(visit_start, "visit_start")
    _require_aware(now, "now")
    if min_notice < timedelta(0):
        raise ValueError(f"min_notice {min_notice} is negative: use zero or a positive timedelta")
    start = visit_start.astimezone(ZURICH)
    # Compare in UTC: datetimes that share the Zurich tzinfo compare and add
    # by wall clock, which is off by an hour across a daylight-saving switch.
    start_utc = visit_start.astimezone(timezone.utc)
    now_utc = now.astimezone(timezone.utc)
    if start_utc <= now_utc:
        return f"visit started at {start:%Y-%m-%d %H:%M}"
    if start_utc <= now_utc + min_notice:
        return (
            f"visit starts at {start:%Y-%m-%d %H:%M}, "
            f"within the minimum notice of {_hours(min_notice)}"
        )
    return None


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} {value.isoformat()} has no time zone: pass an aware datetime, "
            "for example with tzinfo=ZURICH"
        )


def _require_lead(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LEAD_DAYS:
        raise ValueError(
            f"{name} {value!r} is invalid: use a whole number of days from 0 to {MAX_LEAD_DAYS}"
        )


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d} h"
