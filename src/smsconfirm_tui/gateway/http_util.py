"""HTTP helpers shared by the gateway adapters: Retry-After, masking, redaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# E.164 country codes are prefix-free: 1 and 7 are the only one-digit codes,
# the codes below are the two-digit ones, and every other code has three digits.
_TWO_DIGIT_COUNTRY_CODES = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58"
    " 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split()
)

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_DELAY_SECONDS = re.compile(r"[0-9]+")


def is_e164(number: str) -> bool:
    """Return whether ``number`` is ``+`` followed by 8 to 15 digits, the first not 0."""
    return _E164.fullmatch(number) is not None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Convert a Retry-After header value to the number of seconds to wait.

    The header contains either a number of seconds or an HTTP date (RFC 9110,
    section 10.2.3). A date in the past gives 0. A missing, negative or
    unreadable value gives None, so the caller falls back to its own backoff.
    ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if value is None:
        return None

    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(int(text))

    try:
        retry_at = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if retry_at is None:
        return None
    if retry_at.tzinfo is None:
        # HTTP dates are in GMT (RFC 9110). The parser returns a naive value for "-0000".
        retry_at = retry_at.replace(tzinfo=timezone.utc)
    return max(0.0, (retry_at - now).total_seconds())


def mask_phone(e164: str) -> str:
    """Mask a phone number for logs, e.g. ``+41791234512`` to ``+4179*****12``.

    The country code, the first 2 and the last 2 digits of the national
    number stay visible. A value that is not E.164 keeps only its last 2
    digits, because it may be anything a person typed.
    """
    number = e164.strip()
    if not is_e164(number):
        digits = re.sub(r"[^0-9]", "", number)
        if len(digits) <= 4:
            return "***"
        return "*" * (len(digits) - 2) + digits[-2:]

    digits = number[1:]
    if digits[0] in "17":
        code_length = 1
    elif digits[:2] in _TWO_DIGIT_COUNTRY_CODES:
        code_length = 2
    else:
        code_length = 3
    country_code = digits[:code_length]
    national = digits[code_length:]
    hidden = "*" * max(len(national) - 4, 1)
    return f"+{country_code}{national[:2]}{hidden}{national[-2:]}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` with ``***``."""
    # Replace longer secrets first, so a secret that contains a shorter one is hidden whole.
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
