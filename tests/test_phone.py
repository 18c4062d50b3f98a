"""Tests for reading phone numbers as staff type them."""

from __future__ import annotations

import subprocess
import sys
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsconfirm_tui.domain import phone as phone_module
from smsconfirm_tui.domain.phone import (
    NumberKind,
    PhoneField,
    PhoneNumber,
    choose_mobile,
    format_display,
    parse_phone,
)

# typed text, E.164, kind, note
VALID_CASES = [
    ("079 000 00 12 (Mama)", "+41790000012", NumberKind.MOBILE, "Mama"),
    ("021/000’00’12", "+41210000012", NumberKind.FIXED_LINE, ""),
    ("+41 (0)79 000 00 12", "+41790000012", NumberKind.MOBILE, ""),
    ("+41 (0) 79 000 00 12", "+41790000012", NumberKind.MOBILE, ""),
    ("0041 (0)79 000 00 12", "+41790000012", NumberKind.MOBILE, ""),
    ("058 000 00 12", "+41580000012", NumberKind.BUSINESS, ""),
    ("0791234567", "+41791234567", NumberKind.MOBILE, ""),
    ("+41 79 123 45 67", "+41791234567", NumberKind.MOBILE, ""),
    ("+41791234567", "+41791234567", NumberKind.MOBILE, ""),
    ("0041 79 123 45 67", "+41791234567", NumberKind.MOBILE, ""),
    ("079/123.45.67", "+41791234567", NumberKind.MOBILE, ""),
    ("079'123'45'67", "+41791234567", NumberKind.MOBILE, ""),
    ("079-123-45-67", "+41791234567", NumberKind.MOBILE, ""),
    ("075 123 45 67", "+41751234567", NumberKind.MOBILE, ""),
    ("+49 151 23456789", "+4915123456789", NumberKind.MOBILE, ""),
    ("+33 6 12 34 56 78", "+33612345678", NumberKind.MOBILE, ""),
    ("+1 650 253 2222", "+16502532222", NumberKind.FIXED_OR_MOBILE, ""),
    ("(044) 668 18 00", "+41446681800", NumberKind.FIXED_LINE, ""),
    ("0800 123 456", "+41800123456", NumberKind.TOLL_FREE, ""),
    ("0900 000 000", "+41900000000", NumberKind.PREMIUM, ""),
    ("0906 000 000", "+41906000000", NumberKind.PREMIUM, ""),
    ("0848 000 000", "+41848000000", NumberKind.SHARED_COST, ""),
    ("0878 000 000", "+41878000000", NumberKind.OTHER, ""),
    ("Natel: 079 000 00 12", "+41790000012", NumberKind.MOBILE, "Natel"),
    ("079 000 00 12 nur abends", "+41790000012", NumberKind.MOBILE, "nur abends"),
    ("079 000 00 12abends", "+41790000012", NumberKind.MOBILE, "abends"),
    ("Natel 2: 079 000 00 12", "+41790000012", NumberKind.MOBILE, "Natel 2"),
    ("Mama (079 000 00 12)", "+41790000012", NumberKind.MOBILE, "Mama"),
    ("079 000 00 12, 044 668 18 00", "+41790000012", NumberKind.MOBILE, "044 668 18 00"),
    ("079 000 00 12 / 044 668 18 00", "+41790000012", NumberKind.MOBILE, "044 668 18 00"),
    ("  \t079 000 00 12\n", "+41790000012", NumberKind.MOBILE, ""),
]


@pytest.mark.parametrize(("typed", "e164", "kind", "note"), VALID_CASES)
def test_parse_valid(typed: str, e164: str, kind: NumberKind, note: str) -> None:
    number = parse_phone(typed)

    assert number.typed == typed
    assert number.e164 == e164
    assert number.kind is kind
    assert number.note == note
    assert number.problem is None


# typed text, problem
INVALID_CASES = [
    ("079 ABC 00 12", "letters inside the number"),
    ("079 12A 45 67", "letters inside the number"),
    ("079 000", "too short"),
    ("12", "too short"),
    ("079 000 00 12 345 678 901 234 567", "too long"),
    ("1" * 10_000, "too long"),
    ("x" * 10_000, "no digits found"),
    ("📱", "no digits found"),
    ("Mama", "no digits found"),
    ("+999 123 45 67", "unknown country code"),
    ("0860 000 000", "not a valid number in its country"),
]


@pytest.mark.parametrize(("typed", "problem"), INVALID_CASES)
def test_parse_invalid(typed: str, problem: str) -> None:
    number = parse_phone(typed)

    assert number.kind is NumberKind.INVALID
    assert number.e164 is None
    assert number.problem == problem
    assert number.display is None
    assert not number.sms_capable


def test_parse_letters_not_keypad_digits() -> None:
    # phonenumbers alone would read "ABC" as "222" and accept +41792220012.
    number = parse_phone("079 ABC 00 12 (Mama)")

    assert number.kind is NumberKind.INVALID
    assert number.note == "Mama"


@pytest.mark.parametrize("typed", [None, "", "   ", "\t\n", "-", "---", "./.", "?"])
def test_parse_empty(typed: str | None) -> None:
    number = parse_phone(typed)

    assert number.kind is NumberKind.EMPTY
    assert number.typed == (typed or "")
    assert number.e164 is None
    assert number.problem is None
    assert not number.sms_capable


# typed text, SMS capable, unsure
SMS_CASES = [
    ("079 000 00 12", True, False),
    ("+49 151 23456789", True, False),
    ("+1 650 253 2222", True, True),
    ("021 000 00 12", False, False),
    ("058 000 00 12", False, False),
    ("0800 123 456", False, False),
    ("0900 000 000", False, False),
    ("0848 000 000", False, False),
]


@pytest.mark.parametrize(("typed", "sms_capable", "unsure"), SMS_CASES)
def test_parse_sms_capable(typed: str, sms_capable: bool, unsure: bool) -> None:
    number = parse_phone(typed)

    assert number.sms_capable is sms_capable
    assert number.unsure is unsure


def test_swiss_fixed_or_mobile_not_sms() -> None:
    number = PhoneNumber(
        typed="", e164="+41790000012", kind=NumberKind.FIXED_OR_MOBILE, note="", problem=None
    )

    assert not number.sms_capable
    assert number.unsure


# typed text, display
DISPLAY_CASES = [
    ("+41 (0)79 000 00 12", "079 000 00 12"),
    ("0791234567", "079 123 45 67"),
    ("021/000’00’12", "021 000 00 12"),
    # phonenumbers 9.0 groups German 0151 numbers as "1512 3456789".
    ("+49 151 23456789", "+49 1512 3456789"),
    ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
]


@pytest.mark.parametrize(("typed", "display"), DISPLAY_CASES)
def test_parse_display(typed: str, display: str) -> None:
    assert parse_phone(typed).display == display


def test_format_display_swiss() -> None:
    assert format_display("+41790000012") == "079 000 00 12"


def test_format_display_unparseable() -> None:
    assert format_display("not a number") == "not a number"


def test_parse_region() -> None:
    assert parse_phone("079 000 00 12").region == "CH"
    assert parse_phone("+49 151 23456789").region == "DE"


def test_parse_other_default_region() -> None:
    number = parse_phone("0151 23456789", default_region="DE")

    assert number.e164 == "+4915123456789"
    assert number.kind is NumberKind.MOBILE


def test_parse_unknown_region() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        parse_phone("079 000 00 12", default_region="XX")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_never_raises(text: str) -> None:
    number = parse_phone(text)

    assert number.typed == text
    assert (number.e164 is None) == (number.kind in {NumberKind.EMPTY, NumberKind.INVALID})
    assert (number.problem is not None) == (number.kind is NumberKind.INVALID)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="0123456789 +/.'’()-", max_size=40),
    st.text(alphabet=st.characters(categories=["L", "Zs", "P"]), max_size=20),
)
def test_parse_number_with_note(digits: str, note: str) -> None:
    number = parse_phone(f"{digits} {note}")

    assert isinstance(number.kind, NumberKind)
    if number.e164 is not None:
        assert number.e164.startswith("+")
        assert number.e164[1:].isdigit()


def test_choose_mobile_field_first() -> None:
    choice = choose_mobile("079 000 00 12", "078 000 00 12", "077 000 00 12")

    assert choice.field is PhoneField.MOBILE
    assert choice.number is not None
    assert choice.number.e164 == "+41790000012"


def test_choose_mobile_from_home() -> None:
    choice = choose_mobile("044 668 18 00", "078 000 00 12 (privat)", None)

    assert choice.field is PhoneField.HOME
    assert choice.number is not None
    assert choice.number.note == "privat"
    assert choice.invalid_fields == ()
    assert choice.has_any_number


def test_choose_mobile_from_work() -> None:
    choice = choose_mobile("-", "044 668 18 00", "079 000 00 12 Büro")

    assert choice.field is PhoneField.WORK
    assert choice.filled_fields == (PhoneField.HOME, PhoneField.WORK)


def test_choose_mobile_landline_only() -> None:
    choice = choose_mobile(None, "044 668 18 00", "058 000 00 12")

    assert choice.number is None
    assert choice.field is None
    assert choice.has_any_number


def test_choose_mobile_invalid_fields() -> None:
    choice = choose_mobile("079 ABC 00 12", "", "078 000 00 12")

    assert choice.field is PhoneField.WORK
    assert choice.invalid_fields == (PhoneField.MOBILE,)


def test_choose_mobile_all_empty() -> None:
    choice = choose_mobile(None, "", "  ")

    assert choice.number is None
    assert choice.invalid_fields == ()
    assert not choice.has_any_number


def test_domain_imports_no_ui_or_io() -> None:
    code = (
        "import sys\n"
        "import smsconfirm_tui.domain.phone, smsconfirm_tui.domain.calendar\n"
        "banned = {'textual', 'sqlite3', 'sqlite_utils', 'httpx'}\n"
        "print(sorted(banned & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


# Pieces of typed Swiss numbers: the fast path for plain mobile numbers must
# give the same result as the full parser for each, including near misses
# (other ranges, wrong lengths, other prefixes, words beside the number).
_PREFIXES = ["0", "+41", "0041", "+41 (0)", "+41(0)", "0041 (0)", "41", "00", "+4", "", "+410", "+41 0"]
_SEPARATOR_TEXTS = ["", "", "", " ", ".", "'", "’", "/", "-", "\u00a0", "  ", "\t", "\n", "("]
_SUFFIXES = ["", "", "", " ", " (Mama)", "x", "\n"]


@st.composite
def typed_swiss_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(_PREFIXES))
    second_digit = draw(st.sampled_from("0123456789" + "56789" * 3))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=8))
    first_digit = draw(st.sampled_from("123456789" + "7" * 8))
    characters = [*prefix, first_digit, second_digit, *rest]
    typed = "".join(character + draw(st.sampled_from(_SEPARATOR_TEXTS)) for character in characters)
    return typed + draw(st.sampled_from(_SUFFIXES))


@settings(max_examples=1500, deadline=None)
@given(typed_swiss_numbers())
def test_swiss_fast_path_matches_parser(typed: str) -> None:
    fast = parse_phone(typed)
    with patch.object(phone_module, "_FAST_SWISS_NUMBERS", False):
        full = parse_phone(typed)
    assert fast == full


def test_swiss_fast_path_is_on() -> None:
    # The installed phonenumbers metadata must have 075-079 as mobile
    # ranges, or the property test above compares the full parser with itself.
    assert phone_module._FAST_SWISS_NUMBERS
    assert phone_module._parse_swiss_number("079 123 45 67") == parse_phone("079 123 45 67")
    assert phone_module._parse_swiss_number("044 123 45 67") == parse_phone("044 123 45 67")
    assert phone_module._parse_swiss_number("074 123 45 67") is None
    assert phone_module._parse_swiss_number("058 123 45 67") is None


@pytest.mark.parametrize("second_digit", "56789")
def test_mobile_range_valid_in_metadata(second_digit: str) -> None:
    import phonenumbers

    for rest in ("0000000", "0000001", "4999999", "5000000", "9999998", "9999999"):
        number = phonenumbers.parse(f"07{second_digit}{rest}", "CH")
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_swiss_display_matches_phonenumbers(national: str) -> None:
    e164 = f"+41{national}"
    fast = format_display(e164)
    with patch.object(phone_module, "_FAST_SWISS_NUMBERS", False):
        full = format_display(e164)
    assert fast == full


# Each field: empty, a placeholder, blank, a mobile, a landline, a foreign number that may be a mobile, or text.
_FIELD_TEXTS = st.sampled_from(
    ["", "-", "  ", "079 000 00 12", "044 000 00 12", "+1 201 555 0123", "keine Nummer", "079 000 00 1"]
) | st.none()


@given(_FIELD_TEXTS, _FIELD_TEXTS, _FIELD_TEXTS)
def test_choose_mobile_matches_parsed_fields(mobile: str | None, home: str | None, work: str | None) -> None:
    choice = choose_mobile(mobile, home, work)
    parsed = {
        PhoneField.MOBILE: parse_phone(mobile),
        PhoneField.HOME: parse_phone(home),
        PhoneField.WORK: parse_phone(work),
    }
    first_capable = next((field for field, number in parsed.items() if number.sms_capable), None)

    assert choice.field == first_capable
    assert choice.number == (parsed[first_capable] if first_capable is not None else None)
    assert choice.invalid_fields == tuple(f for f, n in parsed.items() if n.kind is NumberKind.INVALID)
    assert choice.filled_fields == tuple(f for f, n in parsed.items() if n.kind is not NumberKind.EMPTY)
