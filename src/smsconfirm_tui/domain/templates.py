"""Text of the confirmation SMS, in the client's language, and the SMS sender name."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo
from smsconfirm_tui.domain.text import sms_safe

SALON_TIME_ZONE = ZoneInfo("Europe/Zurich")
DEFAULT_LANGUAGE = "de"

PLACEHOLDERS = ("first_name", "salon", "weekday", "date", "time", "salon_phone")

# Each text names the reply words that `replies.classify_reply` reads as yes
# and no, and stays within 2 GSM-7 segments for a typical name and salon.
# The German text is Swiss Standard German, which writes "ss" for "ß".
# NOTE: a name with a character outside GSM-7, such as the "ç" of "François",
# makes the whole message UCS-2, and then each default text needs 3 segments.
DEFAULT_TEMPLATES: dict[str, str] = {
    "de": (
        "Hallo {first_name}, bitte bestätigen Sie Ihren Termin am {weekday} {date} "
        "um {time} bei {salon} mit J (Ja) oder N (Nein). Bei Fragen: {salon_phone}"
    ),
    "fr": (
        "Bonjour {first_name}, merci de confirmer votre rendez-vous du {weekday} {date} "
        "à {time} chez {salon} en répondant OUI ou NON. Questions: {salon_phone}"
    ),
    "it": (
        "Buongiorno {first_name}, la preghiamo di confermare l'appuntamento del "
        "{weekday} {date} alle {time} da {salon} rispondendo Sì o No. "
        "Domande: {salon_phone}"
    ),
    "en": (
        "Hello {first_name}, please confirm your appointment on {weekday} {date} "
        "at {time} with {salon} by replying YES or NO. Questions: {salon_phone}"
    ),
}

# The one SMS sent in response to a client's STOP reply. It names the salon, so
# that the client knows which sender they left, and its phone, because
# appointments are confirmed by phone from then on. Swiss Standard German.
STOP_ACK_TEMPLATES: dict[str, str] = {
    "de": (
        "{salon}: Sie erhalten keine SMS mehr von uns. Ihre Termine bleiben bestehen. "
        "Fragen: {salon_phone}"
    ),
    "fr": (
        "{salon}: vous ne recevrez plus de SMS de notre part. Vos rendez-vous restent "
        "valables. Questions: {salon_phone}"
    ),
    "it": (
        "{salon}: non riceverà più SMS da parte nostra. I suoi appuntamenti restano "
        "validi. Domande: {salon_phone}"
    ),
    "en": (
        "{salon}: you will get no more SMS from us. Your appointments stay booked. "
        "Questions: {salon_phone}"
    ),
}

# Abbreviated weekday names from Monday to Sunday.
WEEKDAY_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "it": ("lun", "mar", "mer", "gio", "ven", "sab", "dom"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

# The SMS originator address field takes at most 11 alphanumeric characters.
# Only ASCII letters, digits and spaces are allowed, so that the name reads
# the same on every phone.
MAX_SENDER_LENGTH = 11
SENDER_CHARS = frozenset(string.ascii_letters + string.digits + " ")


@dataclass(frozen=True)
class MessageFields:
    """Values that fill the placeholders of a confirmation template."""

    first_name: str
    salon: str
    starts_at: datetime
    """Start of the visit. An aware value is converted to Swiss time, a naive one is taken as Swiss time."""
    salon_phone: str
    language: str
    """Client language such as "fr" or "fr-CH". Empty or unknown means German."""


def resolve_language(language: str, available: Mapping[str, str] = DEFAULT_TEMPLATES) -> str:
    """Return the template language for a client language, falling back to German."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in available else DEFAULT_LANGUAGE


def render_message(fields: MessageFields, templates: Mapping[str, str] | None = None) -> str:
    """Fill the template for the client's language with `fields`.

    `templates` overrides the defaults per language, and a language it does
    not contain keeps its default text. Field values are inserted as they
    are, so a first name such as "{salon}" is not read as a placeholder.
    Control characters in them are dropped.
    Raises ValueError when the chosen template is invalid.
    """
    merged = {**DEFAULT_TEMPLATES, **(templates or {})}
    language = resolve_language(fields.language, merged)
    template = merged[language]
    validate_template(template)

    starts_at = fields.starts_at
    if starts_at.tzinfo is not None:
        starts_at = starts_at.astimezone(SALON_TIME_ZONE)
    weekdays = WEEKDAY_ABBREVIATIONS.get(language, WEEKDAY_ABBREVIATIONS[DEFAULT_LANGUAGE])

    # str.format substitutes each value once and never parses it again.
    return template.format_map(
        {
            "first_name": sms_safe(fields.first_name).strip(),
            "salon": sms_safe(fields.salon).strip(),
            "weekday": weekdays[starts_at.weekday()],
            "date": starts_at.strftime("%d.%m."),
            "time": starts_at.strftime("%H:%M"),
            "salon_phone": sms_safe(fields.salon_phone).strip(),
        }
    )


def render_stop_ack(salon: str, salon_phone: str, language: str) -> str:
    """Fill the opt-out acknowledgement for the client's language, German by default."""
    template = STOP_ACK_TEMPLATES[resolve_language(language, STOP_ACK_TEMPLATES)]
    return template.format_map({"salon": salon.strip(), "salon_phone": salon_phone.strip()})


def validate_template(template: str) -> None:
    """Raise ValueError unless every placeholder of `template` is a plain allowed name.

    Only ``{name}`` is accepted: no positional ``{}`` or ``{0}``, attribute or
    index access, conversion or format spec. ``{{`` and ``}}`` write literal
    braces.
    """
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(
            f"invalid template: {error}. Write {{{{ and }}}} for literal braces; "
            f"allowed placeholders: {allowed}"
        ) from error

    for _literal, field_name, format_spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in PLACEHOLDERS:
            raise ValueError(
                f"unknown placeholder {{{field_name}}} in template; allowed placeholders: {allowed}"
            )
        if format_spec or conversion:
            raise ValueError(
                f"placeholder {{{field_name}}} has a conversion or format spec, "
                f"which templates do not support; write it as {{{field_name}}}"
            )


def validate_sender(sender: str) -> str:
    """Check an SMS sender name and return it without surrounding spaces.

    Raises ValueError naming the value and the rule it breaks, and never
    shortens a name that is too long.
    """
    name = sender.strip()
    if not name:
        raise ValueError("missing SMS sender: enter a name of 1 to 11 ASCII letters, digits or spaces")
    if len(name) > MAX_SENDER_LENGTH:
        raise ValueError(
            f"invalid SMS sender {name!r}: it has {len(name)} characters, "
            f"at most {MAX_SENDER_LENGTH} are allowed"
        )
    invalid = [char for char in name if char not in SENDER_CHARS]
    if invalid:
        raise ValueError(
            f"invalid SMS sender {name!r}: {invalid[0]!r} is not allowed; "
            "use only ASCII letters, digits and spaces"
        )
    if not any(char.isalpha() for char in name):
        raise ValueError(
            f"invalid SMS sender {name!r}: it needs at least one letter, "
            "because an all-digit sender is read as a phone number"
        )
    return name
