"""Phone numbers for the demo salon, written the way salon staff type them.

Every generator takes a ``random.Random`` and returns the text as it would sit
in the salon database. The valid cases use number ranges that the
``phonenumbers`` library (metadata 9.0) accepts as valid, which the tests
check. The numbers are random, so some may belong to real people: the demo
must only ever send to the loopback demo gateway.
"""

from __future__ import annotations

import random

SWISS_MOBILE_PREFIXES = ["079", "079", "079", "078", "078", "077", "076", "075"]
SWISS_LANDLINE_PREFIXES = ["044", "043", "052", "031", "061", "041", "071", "021", "022", "026", "091"]
SWISS_BUSINESS_PREFIX = "058"

GERMAN_MOBILE_PREFIXES = ["151", "152", "157", "159", "170", "171", "176", "178"]
FRENCH_MOBILE_PREFIXES = ["60", "61", "62", "64", "65", "66", "67", "68", "75", "77", "78"]
ITALIAN_MOBILE_PREFIXES = ["320", "328", "333", "338", "340", "347", "348", "349", "351", "366", "388", "392"]

# Words staff write next to a number. The first group goes before it, the
# second after it.
NOTES_BEFORE = ["Natel: ", "Natel ", "Handy: ", "mobil "]
NOTES_AFTER = [" (Mama)", " (Tochter)", " (Ehemann)", " nur abends", " ab 17 Uhr", " Geschäft", " privat", " (neu)"]

INVALID_TYPED = ["---", "unbekannt", "keine", "?", "0", "n/a", "folgt"]


def _subscriber(rng: random.Random, length: int) -> str:
    """Return ``length`` random digits that do not start with 0."""
    first = str(rng.randint(1, 9))
    rest = "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
    return first + rest


def swiss_mobile_digits(rng: random.Random) -> str:
    """Return a Swiss mobile number in national form, e.g. ``0791234567``."""
    return rng.choice(SWISS_MOBILE_PREFIXES) + _subscriber(rng, 7)


def swiss_landline_digits(rng: random.Random) -> str:
    """Return a Swiss fixed-line number in national form, e.g. ``0441234567``."""
    return rng.choice(SWISS_LANDLINE_PREFIXES) + _subscriber(rng, 7)


def swiss_business_digits(rng: random.Random) -> str:
    """Return a Swiss company number (058, a universal access number)."""
    return SWISS_BUSINESS_PREFIX + _subscriber(rng, 7)


def format_swiss(national: str, style: str) -> str:
    """Write a 10-digit Swiss national number (``0XXYYYYYYY``) in one typing style."""
    area, a, b, c = national[:3], national[3:6], national[6:8], national[8:10]
    area_without_zero = area[1:]
    styles = {
        "spaced": f"{area} {a} {b} {c}",
        "compact": national,
        "international": f"+41 {area_without_zero} {a} {b} {c}",
        "international_compact": f"+41{national[1:]}",
        "double_zero": f"0041 {area_without_zero} {a} {b} {c}",
        "slash_dots": f"{area}/{a}.{b}.{c}",
        "apostrophes": f"{area}'{a}'{b}'{c}",
        "bracketed_zero": f"+41 (0){area_without_zero} {a} {b} {c}",
        "slash_spaced": f"{area}/{a} {b} {c}",
        "dashes": f"{area}-{a}-{b}-{c}",
        "grouped_four": f"{area} {a} {b}{c}",
    }
    return styles[style]


# Weights for how often each typing style turns up. The tidy form is the
# most common, as in a real salon database.
SWISS_STYLE_WEIGHTS = {
    "spaced": 30,
    "compact": 14,
    "international": 10,
    "international_compact": 4,
    "double_zero": 6,
    "slash_dots": 6,
    "apostrophes": 4,
    "bracketed_zero": 4,
    "slash_spaced": 6,
    "dashes": 3,
    "grouped_four": 5,
}


def type_swiss(rng: random.Random, national: str) -> str:
    """Write a Swiss number in a randomly chosen typing style."""
    styles = list(SWISS_STYLE_WEIGHTS)
    weights = list(SWISS_STYLE_WEIGHTS.values())
    style = rng.choices(styles, weights=weights)[0]
    return format_swiss(national, style)


def add_note(rng: random.Random, typed: str) -> str:
    """Put a short remark before or after a typed number."""
    if rng.random() < 0.4:
        return rng.choice(NOTES_BEFORE) + typed
    return typed + rng.choice(NOTES_AFTER)


def typed_swiss_mobile(rng: random.Random, note_probability: float = 0.12) -> str:
    """Return a valid Swiss mobile number as typed, sometimes with a remark."""
    typed = type_swiss(rng, swiss_mobile_digits(rng))
    if rng.random() < note_probability:
        typed = add_note(rng, typed)
    return typed


def typed_swiss_landline(rng: random.Random) -> str:
    return type_swiss(rng, swiss_landline_digits(rng))


def typed_swiss_business(rng: random.Random) -> str:
    return type_swiss(rng, swiss_business_digits(rng))


def typed_foreign_mobile(rng: random.Random) -> str:
    """Return a German, French or Italian mobile number in international form."""
    country = rng.choice(["DE", "FR", "IT"])
    if country == "DE":
        digits = _subscriber(rng, 8)
        return f"+49 {rng.choice(GERMAN_MOBILE_PREFIXES)} {digits}"
    if country == "FR":
        national = rng.choice(FRENCH_MOBILE_PREFIXES) + _subscriber(rng, 7)
        return f"+33 {national[0]} {national[1:3]} {national[3:5]} {national[5:7]} {national[7:9]}"
    digits = _subscriber(rng, 7)
    return f"+39 {rng.choice(ITALIAN_MOBILE_PREFIXES)} {digits[:3]} {digits[3:]}"


def typed_invalid(rng: random.Random) -> str:
    """Return text in a phone field that is not a valid number."""
    kind = rng.choice(["too_short", "too_long", "letter_inside", "word"])
    national = swiss_mobile_digits(rng)
    if kind == "too_short":
        return format_swiss(national, "spaced")[:-3]
    if kind == "too_long":
        return format_swiss(national, "spaced") + str(rng.randint(0, 9))
    if kind == "letter_inside":
        # A letter in place of one subscriber digit, as in "079 12A 45 67" or
        # the letter O typed for a zero.
        spaced = format_swiss(national, "spaced")
        digit_positions = [i for i, char in enumerate(spaced) if char.isdigit() and i >= 4]
        position = rng.choice(digit_positions)
        letter = rng.choice("AOIlSB")
        return spaced[:position] + letter + spaced[position + 1 :]
    return rng.choice(INVALID_TYPED)
