"""Phone numbers as staff type them: parse, classify and pick the one for SMS.

Staff type numbers in every style (``079 123 45 67``, ``+41 (0)79 …``,
``0041 79 …``, ``079/123.45.67``, ``079'123'45'67``) and often add a word
beside them (``Natel: 079 …``, ``079 … (Mama)``). ``parse_phone`` takes the
number out of such text, keeps the words apart as a note, and uses
phonenumbers to validate the number and look up its type.

Only the digits are passed to phonenumbers. Letters never reach it, because
its parser would read them as keypad digits (``ABC`` as ``222``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import ValidationResult

SWISS_COUNTRY_CODE = 41

# Swiss business network numbers (058 …) belong to companies' private
# networks; phonenumbers 9.0 classifies them as UAN.
SWISS_BUSINESS_PREFIX = "+4158"

# Separators accepted between digit groups. Swiss staff write the apostrophe
# both as ASCII and as the typographic right single quote.
SEPARATORS = frozenset(" \t\u00a0\u202f/.-'’")

# A parenthesised group of digits: the trunk "(0)" after a country code or
# an area code such as "(044)".
PARENTHESISED_DIGITS = re.compile(r"\(\s*(\d{1,4})\s*\)")

# A number has at most 15 digits (ITU-T E.164), plus an international
# prefix such as "00". Longer digit runs are rejected without parsing them.
MAX_DIGITS = 18

# The common case of a Swiss number typed with no words around it: after
# the separators are removed (and a trunk "(0)" after +41), the text is 0,
# +41 or 0041 and a national number of 9 digits. The fast path reads such a
# number itself when the installed CH metadata makes it a mobile number
# (07[5-9] plus 7 digits) or a fixed-line number and nothing else.
_SWISS_MOBILE_PREFIXES = "56789"
_SWISS_NATIONAL = re.compile(r"(?:0|\+41|0041)([1-9][0-9]{8})")
_SWISS_MOBILE = re.compile(r"7[5-9][0-9]{7}")
_SWISS_TRUNK = re.compile(r"\+41[ \t\u00a0\u202f]*\(0\)")
_DROP_SEPARATORS = str.maketrans("", "", "".join(SEPARATORS))

# Only the first few digit runs of a text are tried, so that pasted text of
# any length costs bounded time.
MAX_CANDIDATES = 10

# Characters trimmed from both ends of a note: "Natel:" becomes "Natel",
# "(Mama)" becomes "Mama".
NOTE_TRIM = " \t\n\r:;,-–—/()[]"

# Text made only of these characters (and whitespace) is a placeholder for
# "no number", such as "-", "---", "./." or "?".
PLACEHOLDER_CHARS = SEPARATORS | frozenset(NOTE_TRIM) | frozenset("*_#~?")


class NumberKind(StrEnum):
    """Type of a typed number, as far as SMS is concerned."""

    EMPTY = "empty"
    INVALID = "invalid"
    MOBILE = "mobile"
    FIXED_OR_MOBILE = "fixed_or_mobile"
    FIXED_LINE = "fixed_line"
    BUSINESS = "business"
    TOLL_FREE = "toll_free"
    PREMIUM = "premium"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    OTHER = "other"


_KIND_BY_TYPE: dict[int, NumberKind] = {
    PhoneNumberType.MOBILE: NumberKind.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberKind.FIXED_OR_MOBILE,
    PhoneNumberType.FIXED_LINE: NumberKind.FIXED_LINE,
    PhoneNumberType.UAN: NumberKind.BUSINESS,
    PhoneNumberType.TOLL_FREE: NumberKind.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: NumberKind.PREMIUM,
    PhoneNumberType.SHARED_COST: NumberKind.SHARED_COST,
    PhoneNumberType.VOIP: NumberKind.VOIP,
}


@dataclass(frozen=True)
class PhoneNumber:
    """A phone number as typed by staff, with what the product read from it."""

    typed: str
    e164: str | None
    kind: NumberKind
    note: str
    problem: str | None
    region: str | None = None

    @property
    def is_swiss(self) -> bool:
        return self.e164 is not None and self.e164.startswith(f"+{SWISS_COUNTRY_CODE}")

    @property
    def sms_capable(self) -> bool:
        """Whether an SMS can go to this number.

        Mobile numbers can take an SMS. A foreign number that its country's
        plan does not tell apart from a landline (FIXED_OR_MOBILE, as in the
        USA) is allowed too, and ``unsure`` marks it.
        """
        if self.kind is NumberKind.MOBILE:
            return True
        return self.kind is NumberKind.FIXED_OR_MOBILE and not self.is_swiss

    @property
    def unsure(self) -> bool:
        return self.kind is NumberKind.FIXED_OR_MOBILE

    @property
    def display(self) -> str | None:
        """Readable form: national for Swiss numbers, international otherwise."""
        if self.e164 is None:
            return None
        return format_display(self.e164)


@dataclass(frozen=True)
class _Candidate:
    """One run of digits and separators found in the typed text."""

    start: int
    end: int
    dialable: str
    digit_count: int
    letters_inside: bool


def parse_phone(text: str | None, default_region: str = "CH") -> PhoneNumber:
    """Read a phone number out of free text typed by staff.

    Never raises for any ``text``: unreadable text gives kind INVALID with the
    reason in ``problem``. Raises ValueError only for an unknown
    ``default_region``.
    """
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"unknown region {default_region!r}: use a two-letter ISO country code such as CH or DE"
        )

    typed = "" if text is None else text
    if region == "CH" and _FAST_SWISS_NUMBERS:
        fast = _parse_swiss_number(typed)
        if fast is not None:
            return fast
    if all(char.isspace() or char in PLACEHOLDER_CHARS for char in typed):
        # Blank text and placeholders such as "-", "---" or "?" mean that
        # staff have no number for this field.
        return PhoneNumber(typed=typed, e164=None, kind=NumberKind.EMPTY, note="", problem=None)

    candidates = _find_candidates(typed, region)
    if not candidates:
        return _invalid(typed, "no digits found", note=_clean_note(typed))

    best: _Candidate | None = None
    best_problem = ""
    for candidate in candidates:
        if candidate.letters_inside:
            problem = "letters inside the number"
        else:
            number, problem = _parse_dialable(candidate.dialable, region)
            if number is not None:
                return _valid(typed, candidate, number)
        if best is None or _outranks(candidate, best):
            best, best_problem = candidate, problem

    assert best is not None
    return _invalid(typed, best_problem, note=_note_around(typed, best))


def _parse_swiss_number(typed: str) -> PhoneNumber | None:
    """Read a plain Swiss mobile or fixed-line number without phonenumbers, or return None to leave it to the full parser.

    A sync parses the numbers of every new client, and this takes about
    2 µs per number where phonenumbers takes about 50 µs (measured with
    phonenumbers 9.0). A property test checks that both give the same result.
    """
    if not typed or typed[0] not in "0+" or not "0" <= typed[-1] <= "9":
        # A separator before or after the number would become the note.
        return None
    if "(" in typed:
        trunk = _SWISS_TRUNK.match(typed)
        if trunk is None:
            return None
        typed_number = "+41" + typed[trunk.end() :]
    else:
        typed_number = typed
    match = _SWISS_NATIONAL.fullmatch(typed_number.translate(_DROP_SEPARATORS))
    if match is None:
        return None
    kind = _swiss_kind(match[1])
    if kind is None:
        return None
    return PhoneNumber(typed=typed, e164=f"+41{match[1]}", kind=kind, note="", problem=None, region="CH")


def _swiss_kind(national: str) -> NumberKind | None:
    """Return MOBILE or FIXED_LINE for a 9-digit Swiss national number that the metadata gives only that type."""
    if _SWISS_MOBILE.fullmatch(national):
        return NumberKind.MOBILE
    if not _CH_FIXED_LINE.fullmatch(national) or not _CH_GENERAL.fullmatch(national):
        return None
    if any(pattern.fullmatch(national) for pattern in _CH_OTHER_TYPES):
        return None
    return NumberKind.FIXED_LINE


def _ch_patterns() -> tuple[re.Pattern[str], re.Pattern[str], list[re.Pattern[str]]] | None:
    """Compile the CH metadata patterns: general, fixed line, and every other type; None if a 9-digit fixed line is impossible."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CH")
    if metadata is None or metadata.general_desc is None or metadata.fixed_line is None:
        return None
    if 9 not in (metadata.fixed_line.possible_length or ()):
        return None
    others = [
        re.compile(description.national_number_pattern)
        for description in (
            metadata.mobile,
            metadata.toll_free,
            metadata.premium_rate,
            metadata.shared_cost,
            metadata.personal_number,
            metadata.voip,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        )
        if description is not None and description.national_number_pattern is not None
    ]
    return (
        re.compile(metadata.general_desc.national_number_pattern),
        re.compile(metadata.fixed_line.national_number_pattern),
        others,
    )


def _swiss_mobile_metadata_agrees() -> bool:
    """Check that the installed phonenumbers metadata has 07[5-9] plus 7 digits as Swiss mobile numbers only.

    Only the regular expressions of the metadata are compared, so this costs
    no parsing. A later metadata release that splits these ranges turns the
    fast path off instead of letting it accept numbers the full parser rejects.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CH")
    if metadata is None or metadata.mobile is None or metadata.mobile.national_number_pattern is None:
        return False
    if 9 not in (metadata.mobile.possible_length or ()):
        return False
    for second in _SWISS_MOBILE_PREFIXES:
        for rest in ("0000000", "5555555", "9999999", "1234567"):
            national = f"7{second}{rest}"
            if re.fullmatch(metadata.mobile.national_number_pattern, national) is None:
                return False
            if _CH_FIXED_LINE.fullmatch(national) or not _CH_GENERAL.fullmatch(national):
                return False
            if sum(1 for pattern in _CH_OTHER_TYPES if pattern.fullmatch(national)) != 1:
                return False  # the mobile pattern must be the only one that matches
    return True


_CH_PATTERNS = _ch_patterns()
if _CH_PATTERNS is not None:
    _CH_GENERAL, _CH_FIXED_LINE, _CH_OTHER_TYPES = _CH_PATTERNS
_FAST_SWISS_NUMBERS = _CH_PATTERNS is not None and _swiss_mobile_metadata_agrees()


def format_display(e164: str) -> str:
    """Format a stored E.164 number for the screen.

    Swiss numbers get the national form ``079 000 00 12`` and foreign ones
    the international form. Text that is not a parseable E.164 number is
    returned unchanged.
    """
    if _FAST_SWISS_NUMBERS and len(e164) == 12 and e164.startswith("+41") and e164[3:].isdigit():
        if _swiss_kind(e164[3:]) is not None:
            # Formatted as phonenumbers does, without its cost; a test compares both.
            return f"0{e164[3:5]} {e164[5:8]} {e164[8:10]} {e164[10:12]}"
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if number.country_code == SWISS_COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


class PhoneField(StrEnum):
    """The phone fields of a client in the salon database."""

    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


@dataclass(frozen=True)
class PhoneChoice:
    """The number chosen for SMS from a client's phone fields."""

    number: PhoneNumber | None
    field: PhoneField | None
    invalid_fields: tuple[PhoneField, ...]
    filled_fields: tuple[PhoneField, ...] = ()

    @property
    def has_any_number(self) -> bool:
        return bool(self.filled_fields)


def choose_mobile(mobile: str | None, home: str | None, work: str | None) -> PhoneChoice:
    """Pick the first SMS-capable number, trying mobile, then home, then work.

    Staff often type a mobile number into the home or work field, so every
    field is tried. A field that contains only a placeholder such as "-" counts
    as empty.
    """
    # A sync calls this for every new client, so it is written as a plain loop.
    chosen: PhoneNumber | None = None
    chosen_field: PhoneField | None = None
    invalid: list[PhoneField] = []
    filled: list[PhoneField] = []
    for field, text in ((PhoneField.MOBILE, mobile), (PhoneField.HOME, home), (PhoneField.WORK, work)):
        if not text:
            continue  # empty: the same as parse_phone's EMPTY, without parsing
        number = parse_phone(text)
        if number.kind is NumberKind.EMPTY:
            continue
        filled.append(field)
        if number.kind is NumberKind.INVALID:
            invalid.append(field)
        elif chosen is None and number.sms_capable:
            chosen, chosen_field = number, field
    return PhoneChoice(number=chosen, field=chosen_field, invalid_fields=tuple(invalid), filled_fields=tuple(filled))


def _find_candidates(text: str, region: str) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    position = 0
    while position < len(text) and len(candidates) < MAX_CANDIDATES:
        start = _next_start(text, position)
        if start is None:
            break
        candidate = _scan_candidate(text, start, region)
        candidates.append(candidate)
        position = max(candidate.end, start + 1)
    return candidates


def _next_start(text: str, position: int) -> int | None:
    """Find where the next number may start: a digit, a "+" or a "(" group."""
    for index in range(position, len(text)):
        char = text[index]
        if char.isdecimal():
            return index
        if char == "+" and _digit_follows(text, index + 1):
            return index
        if char == "(" and PARENTHESISED_DIGITS.match(text, index):
            return index
    return None


def _digit_follows(text: str, index: int) -> bool:
    while index < len(text) and text[index] in SEPARATORS:
        index += 1
    return index < len(text) and (text[index].isdecimal() or text[index] == "(")


def _scan_candidate(text: str, start: int, region: str) -> _Candidate:
    """Collect digits from ``start`` until a character that cannot be part of a number.

    The candidate ends after its last digit, so trailing separators belong
    to the note. A letter ends it too, unless the digits so far are no valid
    number and more digits follow the letters. Then the letters are inside
    the number, as in "079 ABC 00 12", and the candidate spans them.
    """
    dialable: list[str] = []
    digit_count = 0
    end = start
    index = start
    if text[index] == "+":
        dialable.append("+")
        index += 1

    while index < len(text):
        char = text[index]
        if char.isdecimal():
            dialable.append(str(int(char)))
            digit_count += 1
            index += 1
            end = index
            if digit_count > MAX_DIGITS:
                break
            continue
        group = PARENTHESISED_DIGITS.match(text, index)
        if group is not None:
            digits = group.group(1)
            dialable.extend(str(int(digit)) for digit in digits)
            digit_count += len(digits)
            index = group.end()
            end = index
            continue
        if char == "/" and _is_list_slash(text, index) and _is_valid("".join(dialable), region):
            # "079 000 00 12 / 044 000 00 12" lists two numbers.
            break
        if char in SEPARATORS:
            index += 1
            continue
        break

    letters_inside = False
    if index < len(text) and text[index].isalpha() and not _is_valid("".join(dialable), region):
        letters_inside = _digit_after_letters(text, index)
        if letters_inside:
            end = _end_of_mixed_run(text, index)
    return _Candidate(start, end, "".join(dialable), digit_count, letters_inside)


def _is_list_slash(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isspace() and after.isspace()


def _digit_after_letters(text: str, index: int) -> bool:
    """Return True if a digit follows the letters at ``index``.

    Only letters and separators may stand between them.
    """
    while index < len(text):
        char = text[index]
        if char.isdecimal():
            return True
        if not (char.isalpha() or char in SEPARATORS):
            return False
        index += 1
    return False


def _end_of_mixed_run(text: str, index: int) -> int:
    """Find the end of a run of letters, digits and separators, such as "ABC 00 12"."""
    end = index
    while index < len(text) and (text[index].isalnum() or text[index] in SEPARATORS):
        if text[index].isalnum():
            end = index + 1
        index += 1
    return end


def _is_valid(dialable: str, region: str) -> bool:
    number, _ = _parse_dialable(dialable, region)
    return number is not None


def _parse_dialable(dialable: str, region: str) -> tuple[phonenumbers.PhoneNumber | None, str]:
    """Parse digits with an optional leading "+".

    Returns the valid number, or None and the reason it is invalid.
    """
    digit_count = len(dialable.lstrip("+"))
    if digit_count > MAX_DIGITS:
        return None, "too long"
    if digit_count < 3:
        return None, "too short"
    try:
        number = phonenumbers.parse(dialable, region)
    except NumberParseException as error:
        return None, _PARSE_ERRORS.get(error.error_type, "not a phone number")
    if phonenumbers.is_valid_number(number):
        return number, ""
    reason = phonenumbers.is_possible_number_with_reason(number)
    return None, _POSSIBILITY_ERRORS.get(reason, "not a valid number in its country")


_PARSE_ERRORS: dict[int, str] = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_POSSIBILITY_ERRORS: dict[int, str] = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "area code missing",
}


def _outranks(candidate: _Candidate, best: _Candidate) -> bool:
    """Return True if an invalid candidate explains the text better than the best so far.

    Letters inside a number are the likeliest mistake, then the longest
    digit run.
    """
    if candidate.letters_inside != best.letters_inside:
        return candidate.letters_inside
    return candidate.digit_count > best.digit_count


def _valid(typed: str, candidate: _Candidate, number: phonenumbers.PhoneNumber) -> PhoneNumber:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if e164.startswith(SWISS_BUSINESS_PREFIX):
        kind = NumberKind.BUSINESS
    else:
        kind = _KIND_BY_TYPE.get(phonenumbers.number_type(number), NumberKind.OTHER)
    return PhoneNumber(
        typed=typed,
        e164=e164,
        kind=kind,
        note=_note_around(typed, candidate),
        problem=None,
        region=phonenumbers.region_code_for_number(number),
    )


def _invalid(typed: str, problem: str, note: str) -> PhoneNumber:
    return PhoneNumber(typed=typed, e164=None, kind=NumberKind.INVALID, note=note, problem=problem)


def _note_around(text: str, candidate: _Candidate) -> str:
    parts = (_clean_note(text[: candidate.start]), _clean_note(text[candidate.end :]))
    return " ".join(part for part in parts if part)


def _clean_note(text: str) -> str:
    return " ".join(text.split()).strip(NOTE_TRIM)
