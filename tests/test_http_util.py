from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from smsconfirm_tui.gateway.http_util import is_e164, mask_phone, parse_retry_after, redact

NOW = datetime(2025, 3, 14, 9, 30, 0, tzinfo=timezone.utc)


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (http_date(NOW + timedelta(seconds=120)), 120.0),
        (http_date(NOW - timedelta(hours=1)), 0.0),
        ("Fri, 14 Mar 2025 09:32:00 -0000", 120.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("Fri, 99 Foo 2025", None),
        (None, None),
    ],
)
def test_parse_retry_after_table(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_offset_now() -> None:
    zurich_now = NOW.astimezone(timezone(timedelta(hours=1)))
    value = http_date(NOW + timedelta(seconds=30))

    assert parse_retry_after(value, zurich_now) == 30.0


def test_parse_retry_after_naive_now() -> None:
    with pytest.raises(ValueError):
        parse_retry_after("120", datetime(2025, 3, 14, 9, 30))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+41791234512", "+4179*****12"),
        ("+12125551234", "+121******34"),
        ("+4915112345678", "+4915*******78"),
        ("+4233456789", "+42334***89"),
        ("+79161234567", "+791******67"),
    ],
)
def test_mask_phone_e164(number: str, expected: str) -> None:
    assert mask_phone(number) == expected


@pytest.mark.parametrize("typed", ["079 123 45 12", "0791234512", "+41 79 123 45 12"])
def test_mask_phone_typed_number(typed: str) -> None:
    masked = mask_phone(typed)

    assert masked.endswith("12")
    assert "1234" not in masked
    assert "79" not in masked


def test_mask_phone_short_garbage() -> None:
    assert mask_phone("12") == "***"
    assert mask_phone("") == "***"


def test_is_e164() -> None:
    assert is_e164("+41791234512")
    assert is_e164("+12345678")
    assert not is_e164("+1234567")
    assert not is_e164("+1234567890123456")
    assert not is_e164("0041791234512")
    assert not is_e164("+041791234512")
    assert not is_e164("+41 79 123 45 12")


def test_redact_replaces_each_secret() -> None:
    text = "token abc123 and key xyz, again abc123"

    assert redact(text, ["abc123", "xyz"]) == "token *** and key ***, again ***"


def test_redact_longer_secret_first() -> None:
    assert redact("secret-token", ["secret", "secret-token"]) == "***"


def test_redact_ignores_empty_secret() -> None:
    assert redact("nothing to hide", ["", "absent"]) == "nothing to hide"
