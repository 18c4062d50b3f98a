"""Hand-made clients at the start of the demo salon database.

The first clients each show one case of the confirmation routine, and most
have a visit on the next open day, so that a demo of "tomorrow" shows every
status at once. After them come a few clients whose text is hostile to a
terminal UI (Rich markup, an ANSI escape, a very long name, an emoji), because
the product must show salon data literally. None of these clients get random
visits, so their appointments stay exactly as listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from smsconfirm_tui.demo.clients import client_id, timestamp
from smsconfirm_tui.demo.model import Appointment, Client

SUNDAY = 6


@dataclass(frozen=True)
class Line:
    start: str  # "HH:MM"
    minutes: int
    service: str
    staff: str
    status: str = "booked"


@dataclass(frozen=True)
class Visit:
    days_ahead: int  # calendar days after today, moved to Monday if it is a Sunday
    salon_id: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ShowcaseClient:
    client: Client
    visits: tuple[Visit, ...]


def _client(
    first_name: str,
    last_name: str,
    language: str,
    confirm_sms: int,
    *,
    mobile: str = "",
    home: str = "",
    work: str = "",
    days: int | None = None,
    salon: str = "S1",
    gender: str = "f",
) -> Client:
    # showcase_clients() sets the id and updated_at, because they depend on
    # the position in SHOWCASE and on today.
    return Client(
        id="",
        first_name=first_name,
        last_name=last_name,
        mobile_phone=mobile,
        home_phone=home,
        work_phone=work,
        language=language,
        confirm_sms=confirm_sms,
        confirm_days=days,
        home_salon_id=salon,
        gender=gender,
        in_random_visits=False,
    )


def _next_open(*lines: Line, salon: str = "S1") -> Visit:
    return Visit(days_ahead=1, salon_id=salon, lines=lines)


# The expected status in the product is noted for each client. "Red" means
# SMS on and a valid mobile, so the client gets an SMS in this send.
SHOWCASE: tuple[ShowcaseClient, ...] = (
    # Red, the tidy case.
    ShowcaseClient(
        _client("Sandra", "Müller", "de", 1, mobile="079 412 33 18"),
        (_next_open(Line("09:00", 45, "Schneiden", "Anna")),),
    ),
    # Red, two service lines with two staff: one visit, so one SMS.
    ShowcaseClient(
        _client("Béatrice", "Favre", "fr", 1, mobile="+41 78 655 21 09", days=1),
        (_next_open(Line("09:00", 90, "Färben", "Jasmin"), Line("10:30", 45, "Schneiden", "Anna")),),
    ),
    # Red, in the Lugano salon, number with the 0041 prefix.
    ShowcaseClient(
        _client("Niccolò", "Bernasconi", "it", 1, mobile="0041 76 318 44 90", salon="S2", gender="m"),
        (_next_open(Line("10:00", 30, "Herrenschnitt", "Marco"), Line("10:30", 15, "Bart", "Marco"), salon="S2"),),
    ),
    # Needs setup: a mobile number, but SMS confirmation is off.
    ShowcaseClient(
        _client("Jérôme", "Rochat", "fr", 0, mobile="079/283.17.65", gender="m"),
        (_next_open(Line("11:00", 30, "Herrenschnitt", "Luca")),),
    ),
    # Needs setup, with a word in front of the number and a landline at home.
    ShowcaseClient(
        _client("Ursula", "Gächter", "de", 0, mobile="Natel: 078 640 12 55", home="044 271 90 34"),
        (_next_open(Line("13:30", 120, "Strähnen", "Tamara")),),
    ),
    # No mobile: a Zürich landline typed into the mobile field.
    ShowcaseClient(
        _client("Reto", "Zürcher", "de", 1, mobile="044 381 22 10", gender="m"),
        (_next_open(Line("08:00", 30, "Herrenschnitt", "Luca")),),
    ),
    # No mobile: only a Lausanne landline at home.
    ShowcaseClient(
        _client("Hélène", "Dufour", "fr", 0, home="021/653 12 40"),
        (_next_open(Line("14:00", 30, "Föhnen", "Sevgi")),),
    ),
    # Invalid number: a letter among the digits, SMS on.
    ShowcaseClient(
        _client("Chiara", "Fontana", "it", 1, mobile="079 12A 45 67", salon="S2"),
        (_next_open(Line("09:00", 90, "Färben", "Giada"), Line("10:30", 30, "Föhnen", "Elena"), salon="S2"),),
    ),
    # Invalid number: a word in the mobile field, a landline at home.
    ShowcaseClient(
        _client("Jürg", "Brändli", "de", 0, mobile="unbekannt", home="052 212 40 11", gender="m"),
        (_next_open(Line("15:00", 30, "Herrenschnitt", "Luca")),),
    ),
    # SMS on, a German mobile number.
    ShowcaseClient(
        _client("Lena", "Hoffmann", "de", 1, mobile="+49 151 23456789"),
        (_next_open(Line("16:00", 45, "Maniküre", "Sevgi")),),
    ),
    # Red, English, typed with the (0) that some people keep after +41.
    ShowcaseClient(
        _client("Emily", "Taylor", "en", 1, mobile="+41 (0)79 807 14 52", days=1),
        (_next_open(Line("17:00", 45, "Schneiden", "Jasmin")),),
    ),
    # SMS on, and the only mobile number is in the work field.
    ShowcaseClient(
        _client("Gaëlle", "Perrin", "fr", 1, work="079'356'71'08"),
        (_next_open(Line("12:00", 45, "Schneiden", "Anna")),),
    ),
    # Cancelled: every line of the visit was cancelled in the salon system.
    ShowcaseClient(
        _client("Markus", "Keller", "de", 1, mobile="076 530 88 21 nur abends", gender="m"),
        (
            _next_open(
                Line("10:00", 30, "Herrenschnitt", "Luca", "cancelled"),
                Line("10:30", 15, "Bart", "Luca", "cancelled"),
            ),
        ),
    ),
    # Two visits on the same day in two salons, so two SMS.
    ShowcaseClient(
        _client("Francesca", "Crivelli", "it", 1, mobile="0793348812", salon="S2"),
        (
            _next_open(Line("09:30", 45, "Schneiden", "Sofia"), salon="S2"),
            _next_open(Line("17:30", 30, "Föhnen", "Tamara")),
        ),
    ),
    # Confirm in advance: lead time 3 days and a visit in 3 days.
    ShowcaseClient(
        _client("Monika", "Baumann", "de", 1, mobile="079 621 40 97 (Tochter)", days=3),
        (Visit(3, "S1", (Line("10:00", 90, "Färben", "Jasmin"),)),),
    ),
    # Confirm in advance: lead time 4 days and a visit in 4 days.
    ShowcaseClient(
        _client("Corinne", "Bühler", "de", 1, mobile="078 215 63 04", days=4),
        (Visit(4, "S1", (Line("14:30", 120, "Dauerwelle", "Tamara"),)),),
    ),
    # SMS on, an Italian mobile number.
    ShowcaseClient(
        _client("Giulia", "Pedrazzini", "it", 1, mobile="+39 347 123 4567", salon="S2"),
        (_next_open(Line("14:00", 45, "Schneiden", "Giada"), salon="S2"),),
    ),
    # Confirm in advance with the default lead time of 2 days.
    ShowcaseClient(
        _client("Thomas", "Wüthrich", "de", 1, mobile="077 384 21 66", gender="m"),
        (Visit(2, "S1", (Line("08:30", 30, "Herrenschnitt", "Luca"),)),),
    ),
    # Needs setup, a French mobile number.
    ShowcaseClient(
        _client("Sébastien", "Genoud", "fr", 0, mobile="+33 6 12 34 56 78", gender="m"),
        (_next_open(Line("15:30", 30, "Herrenschnitt", "Luca")),),
    ),
    # No mobile: every phone field is empty.
    ShowcaseClient(
        _client("Anaïs", "Délèze", "fr", 0),
        (_next_open(Line("16:30", 60, "Hochsteckfrisur", "Anna")),),
    ),
    # Hostile text from here on.
    ShowcaseClient(
        _client("Hans", "[bold red]Meier[/]", "de", 1, mobile="079 530 12 74", gender="m"),
        (_next_open(Line("08:30", 30, "Herrenschnitt", "Luca")),),
    ),
    ShowcaseClient(
        _client("[@click=app.quit]x[/]", "Graf", "de", 0, mobile="078 904 55 31"),
        (_next_open(Line("11:30", 45, "Schneiden", "Jasmin")),),
    ),
    ShowcaseClient(
        _client("Doris", "\x1b[31mSteiner\x1b[0m", "de", 1, mobile="079 288 64 03"),
        (_next_open(Line("12:45", 45, "Schneiden", "Tamara")),),
    ),
    ShowcaseClient(
        _client(
            "Maria Antonietta Giuseppina",
            "Dell'Acqua-Pellandini von Wattenwyl-Schönenberger de Riedmatten-Bernasconi-Lurati",
            "it",
            1,
            mobile="076 402 18 93",
            salon="S2",
        ),
        (_next_open(Line("11:00", 45, "Schneiden", "Sofia"), salon="S2"),),
    ),
    ShowcaseClient(
        _client("Zoé 💇\u200d♀️", "Chevalley", "fr", 1, mobile="078 377 90 26"),
        (_next_open(Line("13:00", 30, "Föhnen", "Sevgi")),),
    ),
    # A backslash before a bracket escapes Rich markup, and a trailing one can
    # swallow the next tag.
    ShowcaseClient(
        _client("Paolo", "Bianchi \\[VIP]\\", "it", 1, mobile="079 615 23 48", salon="S2", gender="m"),
        (_next_open(Line("15:00", 30, "Herrenschnitt", "Marco"), salon="S2"),),
    ),
)


def open_day_on_or_after(day: date) -> date:
    """Return ``day``, or the Monday after it when it is a Sunday."""
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def showcase_clients(today: date) -> list[Client]:
    """Return copies of the showcase clients with ids K00001, K00002, … and timestamps."""
    result = []
    for number, entry in enumerate(SHOWCASE, start=1):
        client = Client(**{**entry.client.__dict__, "id": client_id(number)})
        edited = datetime.combine(today - timedelta(days=20 + 3 * number), time(10, 15))
        client.updated_at = timestamp(edited)
        result.append(client)
    return result


def showcase_appointments(today: date) -> list[Appointment]:
    """Return the appointment lines of the showcase clients, without ids."""
    result = []
    for number, entry in enumerate(SHOWCASE, start=1):
        booked_at = datetime.combine(today - timedelta(days=4 + number % 9), time(9, 30))
        cancelled_at = datetime.combine(today - timedelta(days=1), time(16, 45))
        for visit in entry.visits:
            day = open_day_on_or_after(today + timedelta(days=visit.days_ahead))
            for line in visit.lines:
                starts = datetime.combine(day, time.fromisoformat(line.start))
                ends = starts + timedelta(minutes=line.minutes)
                updated = cancelled_at if line.status == "cancelled" else booked_at
                result.append(
                    Appointment(
                        client_id=client_id(number),
                        salon_id=visit.salon_id,
                        starts_at=starts.strftime("%Y-%m-%d %H:%M"),
                        ends_at=ends.strftime("%Y-%m-%d %H:%M"),
                        service=line.service,
                        staff=line.staff,
                        status=line.status,
                        updated_at=timestamp(updated),
                    )
                )
    return result
