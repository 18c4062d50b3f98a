"""Property tests of the phone and due-day rules, beside the tables in test_phone and test_calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsconfirm_tui.domain.calendar import (
    CANTONS,
    ZURICH,
    DueState,
    SalonCalendar,
    check_due,
    due_day,
    too_late_reason,
)
from smsconfirm_tui.domain.phone import NumberKind, parse_phone

# Swiss mobile prefixes 075 to 079 and seven more digits.
swiss_mobiles = st.tuples(st.sampled_from("56789"), st.text(alphabet="0123456789", min_size=7, max_size=7))
separators = st.sampled_from([" ", "", "/", ".", "'", "’", "-", "  "])
prefixes = st.sampled_from(["0", "+41 ", "+41", "0041 ", "+41 (0)", "+41 (0) ", "0041 (0)"])


def group_digits(digits: str, separator: str) -> str:
    """Write the nine digits after the trunk 0 in the Swiss style ``79 000 00 12``."""
    return separator.join([digits[:2], digits[2:5], digits[5:7], digits[7:]])


@settings(max_examples=300, deadline=None)
@given(swiss_mobiles, separators, prefixes)
def test_swiss_mobile_any_style(mobile, separator, prefix):
    second, rest = mobile
    digits = f"7{second}{rest}"
    number = parse_phone(prefix + group_digits(digits, separator))

    # Skip a 07x number that the phonenumbers metadata does not list as valid.
    assume(number.kind is not NumberKind.INVALID)
    assert number.e164 == f"+41{digits}"
    assert number.kind is NumberKind.MOBILE
    assert number.sms_capable
    assert number.display == f"0{digits[:2]} {digits[2:5]} {digits[5:7]} {digits[7:]}"


@settings(max_examples=300, deadline=None)
@given(
    swiss_mobiles,
    st.integers(min_value=1, max_value=7),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
)
def test_letter_inside_digits_invalid(mobile, position, letter):
    second, rest = mobile
    digits = f"7{second}{rest}"
    # Replace one digit inside the number with a letter, as in "079 0A0 00 12".
    typed_digits = digits[:position] + letter + digits[position + 1 :]
    number = parse_phone("0" + group_digits(typed_digits, " "))

    assert number.kind is NumberKind.INVALID
    assert number.e164 is None
    assert not number.sms_capable


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), swiss_mobiles)
def test_note_never_read_as_digits(note, mobile):
    second, rest = mobile
    digits = f"7{second}{rest}"
    assume(not any(char.isdigit() or char.isalpha() and char.isascii() for char in note))
    number = parse_phone(f"0{group_digits(digits, ' ')} ({note})")

    assert number.e164 in (None, f"+41{digits}")


weekday_sets = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)
calendars = st.builds(SalonCalendar, canton=st.sampled_from(CANTONS), open_weekdays=weekday_sets)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
leads = st.integers(min_value=0, max_value=14)
notices = st.integers(min_value=0, max_value=24 * 60).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=300, deadline=None)
@given(calendars, moments, st.integers(min_value=-2 * 24 * 60, max_value=30 * 24 * 60), leads, notices)
def test_check_due_properties(calendar, now, offset_minutes, lead, notice):
    start = (now + timedelta(minutes=offset_minutes)).astimezone(ZURICH)
    check = check_due(calendar, start, lead, now, notice)
    today = now.astimezone(ZURICH).date()

    # Never due once started or within the notice, whatever the due day.
    assert (check.state is DueState.TOO_LATE) == (start <= now + notice)
    assert (too_late_reason(start, now, notice) is None) == (check.state is not DueState.TOO_LATE)
    # The due day is never after the visit and never on a closed day.
    assert check.due.due <= start.date()
    assert calendar.is_open(check.due.due)
    if check.state is DueState.DUE:
        assert check.due.due == today
    if check.state is DueState.LATE:
        assert check.due.due < today
    if check.state is DueState.NOT_YET:
        assert check.due.due > today


@settings(max_examples=200, deadline=None)
@given(calendars, st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), leads)
def test_longer_lead_never_later(calendar, visit, lead):
    shorter = due_day(calendar, visit, lead)
    longer = due_day(calendar, visit, lead + 1)

    assert longer.due <= shorter.due


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 59))
def test_today_is_zurich_date_near_midnight(day, minute):
    # 00:mm in Zurich is still the previous day in UTC, winter and summer.
    calendar = SalonCalendar(open_weekdays=frozenset(range(7)))
    assume(calendar.is_open(day))
    local = datetime.combine(day, datetime.min.time(), ZURICH) + timedelta(minutes=minute)
    now = local.astimezone(UTC)
    start = local + timedelta(days=1, hours=10)
    check = check_due(calendar, start, 1, now)

    assert now.date() == day - timedelta(days=1)
    assert check.due.due == day
    assert check.state is DueState.DUE
