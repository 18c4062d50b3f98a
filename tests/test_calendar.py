"""Tests for working days, due days and the due state of visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsconfirm_tui.domain.calendar import (
    CANTONS,
    MAX_LEAD_DAYS,
    ZURICH,
    DueState,
    SalonCalendar,
    check_due,
    due_day,
    next_working_day,
    previous_working_day,
    visits_due_window,
    zurich_now,
    zurich_today,
)

ZH = SalonCalendar()
TUESDAY_TO_SATURDAY = SalonCalendar(open_weekdays=frozenset({1, 2, 3, 4, 5}))


def zurich(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH)


def test_zurich_today_after_utc_evening() -> None:
    now = datetime(2025, 6, 9, 22, 30, tzinfo=UTC)

    assert zurich_today(now) == date(2025, 6, 10)


def test_zurich_today_winter() -> None:
    # Central European Time is UTC+1, so 22:30 UTC is still the same day.
    now = datetime(2025, 1, 9, 22, 30, tzinfo=UTC)

    assert zurich_today(now) == date(2025, 1, 9)


def test_zurich_now_converts() -> None:
    now = zurich_now(datetime(2025, 6, 9, 22, 30, tzinfo=UTC))

    assert now.tzinfo is ZURICH
    assert (now.hour, now.minute) == (0, 30)


def test_zurich_now_default_aware() -> None:
    assert zurich_now().tzinfo is ZURICH


def test_zurich_now_naive_rejected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        zurich_now(datetime(2025, 6, 9, 22, 30))


# day, closed reason (canton ZH, open Monday to Saturday)
CLOSED_CASES = [
    (date(2025, 6, 7), None),
    (date(2025, 6, 8), "closed on Sunday"),
    (date(2025, 6, 9), "public holiday: Pentecost Monday"),
    (date(2025, 12, 25), "public holiday: Christmas Day"),
    (date(2025, 12, 26), "public holiday: Saint Stephen's Day"),
    (date(2025, 8, 1), "public holiday: National Day"),
    (date(2025, 6, 10), None),
]


@pytest.mark.parametrize(("day", "reason"), CLOSED_CASES)
def test_closed_reason_zh(day: date, reason: str | None) -> None:
    assert ZH.closed_reason(day) == reason
    assert ZH.is_open(day) is (reason is None)


def test_closed_reason_canton_differs() -> None:
    # All Saints' Day (1 November) is a holiday in Lucerne but not in Zurich.
    day = date(2024, 11, 1)

    assert ZH.is_open(day)
    assert SalonCalendar(canton="LU").closed_reason(day) == "public holiday: All Saints' Day"


def test_calendar_canton_lowercase() -> None:
    assert SalonCalendar(canton="be").canton == "BE"


@pytest.mark.parametrize("canton", ["XX", "", "Stadt Zurich", "CH"])
def test_calendar_unknown_canton(canton: str) -> None:
    with pytest.raises(ValueError, match="unknown canton") as error:
        SalonCalendar(canton=canton)

    assert repr(canton) in str(error.value)
    assert "ZH" in str(error.value)


def test_calendar_no_open_weekday() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        SalonCalendar(open_weekdays=frozenset())


def test_calendar_invalid_weekday() -> None:
    with pytest.raises(ValueError, match=r"\[7\]"):
        SalonCalendar(open_weekdays=frozenset({1, 7}))


def test_cantons_listed() -> None:
    assert len(CANTONS) == 26
    assert "ZH" in CANTONS


def test_next_working_day_skips_holiday() -> None:
    # Saturday 7 June 2025, then Sunday and Pentecost Monday.
    assert next_working_day(ZH, date(2025, 6, 7)) == date(2025, 6, 10)


def test_previous_working_day_skips_holiday() -> None:
    assert previous_working_day(ZH, date(2025, 6, 10)) == date(2025, 6, 7)


def test_due_day_closed_sunday_monday() -> None:
    due = due_day(TUESDAY_TO_SATURDAY, date(2025, 6, 10), 2)

    assert due.due == date(2025, 6, 7)
    assert due.moves == ("2025-06-08: closed on Sunday",)


def test_due_day_client_lead_times() -> None:
    visit = date(2025, 6, 13)

    assert due_day(ZH, visit, 3).due == date(2025, 6, 10)
    assert due_day(ZH, visit, 1).due == date(2025, 6, 12)


def test_due_day_lead_zero() -> None:
    due = due_day(ZH, date(2025, 6, 13), 0)

    assert due.due == date(2025, 6, 13)
    assert due.moves == ()


def test_due_day_moves_over_holiday() -> None:
    due = due_day(ZH, date(2025, 6, 10), 1)

    assert due.due == date(2025, 6, 7)
    assert due.moves == (
        "2025-06-09: public holiday: Pentecost Monday",
        "2025-06-08: closed on Sunday",
    )


@pytest.mark.parametrize("lead", [-1, MAX_LEAD_DAYS + 1, 1000])
def test_due_day_invalid_lead(lead: int) -> None:
    with pytest.raises(ValueError, match=f"lead_days {lead} is invalid") as error:
        due_day(ZH, date(2025, 6, 13), lead)

    assert "0 to 60" in str(error.value)


def test_due_day_max_lead() -> None:
    assert due_day(ZH, date(2025, 6, 13), MAX_LEAD_DAYS).due <= date(2025, 4, 14)


def test_due_at_half_past_midnight() -> None:
    # At 00:30 in Zurich the UTC date is still 9 June, but today is 10 June.
    today = zurich_today(zurich(2025, 6, 10, 0, 30))
    first, last = visits_due_window(ZH, today, max_lead=1)
    due_visits = [
        first + timedelta(days=offset)
        for offset in range((last - first).days + 1)
        if due_day(ZH, first + timedelta(days=offset), 1).due == today
    ]

    assert due_visits == [date(2025, 6, 11)]


def test_window_before_holiday() -> None:
    # Saturday 7 June 2025: the salon is closed on Sunday and Pentecost Monday.
    assert visits_due_window(ZH, date(2025, 6, 7), max_lead=2) == (
        date(2025, 6, 7),
        date(2025, 6, 11),
    )


def test_window_invalid_max_lead() -> None:
    with pytest.raises(ValueError, match="max_lead 61"):
        visits_due_window(ZH, date(2025, 6, 7), max_lead=61)


NOW = zurich(2025, 6, 10, 9, 0)

# visit start, lead days, expected state
CHECK_CASES = [
    (zurich(2025, 6, 13, 10), 1, DueState.NOT_YET),
    (zurich(2025, 6, 11, 10), 1, DueState.DUE),
    (zurich(2025, 6, 10, 15), 0, DueState.DUE),
    (zurich(2025, 6, 12, 10), 3, DueState.LATE),
    (zurich(2025, 6, 10, 11, 1), 1, DueState.LATE),
    (zurich(2025, 6, 10, 11, 0), 1, DueState.TOO_LATE),
    (zurich(2025, 6, 10, 10, 0), 0, DueState.TOO_LATE),
    (zurich(2025, 6, 10, 9, 0), 1, DueState.TOO_LATE),
    (zurich(2025, 6, 9, 14, 0), 1, DueState.TOO_LATE),
]


@pytest.mark.parametrize(("visit_start", "lead", "state"), CHECK_CASES)
def test_check_due_states(visit_start: datetime, lead: int, state: DueState) -> None:
    assert check_due(ZH, visit_start, lead, NOW).state is state


def test_check_due_reasons() -> None:
    late = check_due(ZH, zurich(2025, 6, 12, 10), 3, NOW)
    too_late = check_due(ZH, zurich(2025, 6, 10, 10), 0, NOW)

    assert late.reason == "was due on 2025-06-07 (Saturday), the visit is still ahead"
    assert "within the minimum notice of 2:00 h" in too_late.reason
    assert check_due(ZH, zurich(2025, 6, 11, 10), 1, NOW).reason == "due today"


def test_check_due_utc_now() -> None:
    # 22:30 UTC on 9 June is 00:30 on 10 June in Zurich, when 11 June visits are due.
    now = datetime(2025, 6, 9, 22, 30, tzinfo=UTC)

    assert check_due(ZH, zurich(2025, 6, 11, 10), 1, now).state is DueState.DUE


def test_check_due_min_notice_zero() -> None:
    visit = zurich(2025, 6, 10, 9, 30)

    assert check_due(ZH, visit, 0, NOW, min_notice=timedelta(0)).state is DueState.DUE


def test_check_due_naive_rejected() -> None:
    with pytest.raises(ValueError, match="visit_start"):
        check_due(ZH, datetime(2025, 6, 11, 10), 1, NOW)


def test_check_due_negative_notice() -> None:
    with pytest.raises(ValueError, match="min_notice"):
        check_due(ZH, zurich(2025, 6, 11, 10), 1, NOW, min_notice=timedelta(hours=-1))


weekday_sets = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)
calendars = st.builds(SalonCalendar, canton=st.sampled_from(CANTONS), open_weekdays=weekday_sets)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
leads = st.integers(min_value=0, max_value=MAX_LEAD_DAYS)


@settings(max_examples=150, deadline=None)
@given(calendars, days, leads)
def test_due_day_properties(calendar: SalonCalendar, visit: date, lead: int) -> None:
    due = due_day(calendar, visit, lead)

    assert due.due <= visit - timedelta(days=lead)
    assert calendar.is_open(due.due)
    assert len(due.moves) == (visit - timedelta(days=lead) - due.due).days


@settings(max_examples=150, deadline=None)
@given(calendars, days)
def test_working_day_properties(calendar: SalonCalendar, day: date) -> None:
    following = next_working_day(calendar, day)
    preceding = previous_working_day(calendar, day)

    assert following > day
    assert calendar.is_open(following)
    assert preceding < day
    assert calendar.is_open(preceding)


@settings(max_examples=150, deadline=None)
@given(calendars, days, st.integers(min_value=0, max_value=70), leads)
def test_window_contains_due(calendar: SalonCalendar, today: date, offset: int, lead: int) -> None:
    visit = today + timedelta(days=offset)
    first, last = visits_due_window(calendar, today, max_lead=lead)
    is_due_or_late = due_day(calendar, visit, lead).due <= today

    assert (first <= visit <= last) is is_due_or_late


def test_notice_across_spring_forward():
    # 2030-03-31 03:00 CEST is 01:00 UTC: exactly seven hours after 18:00 UTC.
    now = datetime(2030, 3, 30, 18, 0, tzinfo=UTC)
    start = datetime(2030, 3, 31, 3, 0, tzinfo=ZURICH)
    calendar = SalonCalendar(canton="ZH", open_weekdays=frozenset({0}))
    check = check_due(calendar, start, 0, now, timedelta(hours=7))
    assert check.state is DueState.TOO_LATE
