from datetime import date

import pytest

from smsconfirm_tui.domain.dates import parse_typed_date

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5.3.", date(2027, 3, 5)),
        ("05.03.2027", date(2027, 3, 5)),
        ("5.3.27", date(2027, 3, 5)),
        ("2027-03-05", date(2027, 3, 5)),
        ("7.12.", date(2026, 12, 7)),
        ("1.12.", date(2026, 12, 1)),
        (" 5.12 ", date(2026, 12, 5)),
    ],
)
def test_typed_date(typed, expected):
    assert parse_typed_date(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["", "morgen", "32.1.", "29.2.2027", "5-3", "[red]1.1.[/]", "31.12.9999", "0001-01-01", "1.1.1999"])
def test_typed_date_invalid(typed):
    with pytest.raises(ValueError, match="is not a date"):
        parse_typed_date(typed, TODAY)
