"""Tests for the demo salon database generator."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import NumberParseException, PhoneNumberType

from smsconfirm_tui.demo.salon import DemoSummary, generate_salon_db

TODAY = date(2025, 3, 12)  # a Wednesday
SATURDAY = date(2025, 3, 15)

EXPECTED_COLUMNS = {
    "salons": ["id", "name", "phone", "canton", "sender"],
    "clients": [
        "id", "first_name", "last_name", "mobile_phone", "home_phone", "work_phone",
        "language", "confirm_sms", "confirm_days", "updated_at",
    ],
    "appointments": [
        "id", "client_id", "salon_id", "starts_at", "ends_at", "service", "staff", "status", "updated_at",
    ],
}

# A run of characters that staff use when typing a phone number, at least 8 long.
NUMBER_RUN = re.compile(r"[+0-9][0-9 ()/.'\-]{6,}[0-9]")
# Digits shaped like a Swiss mobile number. The range starts at 072 because
# 071 is the St. Gallen landline area code.
SWISS_MOBILE_DIGITS = re.compile(r"^(?:\+41|0)7[2-9]\d{7}$")
LETTER = re.compile(r"[^\W\d_]")


def dump(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def rows(path: Path, sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def candidate_numbers(text: str) -> Iterator[tuple[str, phonenumbers.PhoneNumber | None]]:
    """Yield each number-like run in ``text`` as normalized digits and its parse (None if unparsable)."""
    for run in NUMBER_RUN.findall(text):
        digits = re.sub(r"[^\d+]", "", run.replace("(0)", ""))
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        try:
            parsed = phonenumbers.parse(digits, "CH")
        except NumberParseException:
            parsed = None
        yield digits, parsed


def field_kinds(text: str) -> set[str]:
    """Classify one phone field independently of the generator."""
    if not text.strip():
        return {"empty"}
    kinds = set()
    for _, parsed in candidate_numbers(text):
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            continue
        region = phonenumbers.region_code_for_number(parsed)
        number_type = phonenumbers.number_type(parsed)
        if region == "CH" and number_type == PhoneNumberType.MOBILE:
            kinds.add("swiss_mobile")
        elif region != "CH" and number_type in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
            kinds.add("foreign_mobile")
        elif number_type == PhoneNumberType.FIXED_LINE:
            kinds.add("landline")
        else:
            kinds.add("other_valid")
    if not kinds:
        return {"invalid"}
    if LETTER.search(text):
        kinds.add("note")
    return kinds


def client_kinds(client: sqlite3.Row) -> set[str]:
    kinds: set[str] = set()
    for column in ("mobile_phone", "home_phone", "work_phone"):
        kinds |= field_kinds(client[column])
    return kinds


def is_hostile(name: str) -> bool:
    return "[" in name or "\x1b" in name or len(name) >= 60 or any(ord(char) > 0xFFFF for char in name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "salon.db"
    summary = generate_salon_db(path, TODAY)
    return path, summary


@pytest.fixture(scope="module")
def clients(demo: tuple[Path, DemoSummary]) -> dict[str, sqlite3.Row]:
    return {row["id"]: row for row in rows(demo[0], "SELECT * FROM clients")}


@pytest.fixture(scope="module")
def appointments(demo: tuple[Path, DemoSummary]) -> list[sqlite3.Row]:
    return rows(demo[0], "SELECT * FROM appointments")


@pytest.fixture(scope="module")
def visits(appointments: list[sqlite3.Row]) -> dict[tuple[str, str, str], list[sqlite3.Row]]:
    """Group appointment lines by (client id, salon id, day)."""
    grouped: dict[tuple[str, str, str], list[sqlite3.Row]] = defaultdict(list)
    for line in appointments:
        grouped[(line["client_id"], line["salon_id"], line["starts_at"][:10])].append(line)
    return dict(grouped)


# Determinism


def test_same_inputs_identical_tables(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    second = tmp_path / "second.db"
    generate_salon_db(first, TODAY, seed=11)
    generate_salon_db(second, TODAY, seed=11)
    assert dump(first) == dump(second)


def test_other_seed_differs(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    second = tmp_path / "second.db"
    generate_salon_db(first, TODAY, seed=11)
    generate_salon_db(second, TODAY, seed=12)
    assert dump(first) != dump(second)


def test_timestamps_follow_today(tmp_path: Path) -> None:
    later = tmp_path / "later.db"
    generate_salon_db(later, TODAY + timedelta(days=7))
    first_client = rows(later, "SELECT updated_at FROM clients WHERE id = 'K00001'")[0]
    expected = datetime(2025, 3, 19, 10, 15) - timedelta(days=23)
    assert first_client["updated_at"] == expected.strftime("%Y-%m-%d %H:%M:%S")


# File handling


def test_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "salon.db"
    path.write_text("not a database")
    generate_salon_db(path, TODAY, clients=50)
    assert rows(path, "SELECT count(*) AS n FROM clients")[0]["n"] == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salon.db"]


def test_failed_write_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a-folder"
    target.mkdir()
    (target / "inside").write_text("keeps os.replace from replacing the folder")
    with pytest.raises(OSError):
        generate_salon_db(target, TODAY, clients=50)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]


def test_too_few_clients_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="clients must be between"):
        generate_salon_db(tmp_path / "salon.db", TODAY, clients=5)


# Shape


@pytest.mark.parametrize("table", sorted(EXPECTED_COLUMNS))
def test_table_columns_exact(demo: tuple[Path, DemoSummary], table: str) -> None:
    columns = rows(demo[0], f"PRAGMA table_info({table})")
    assert [column["name"] for column in columns] == EXPECTED_COLUMNS[table]
    primary_keys = [column["name"] for column in columns if column["pk"]]
    assert primary_keys == ["id"]


def test_no_extra_tables(demo: tuple[Path, DemoSummary]) -> None:
    tables = rows(demo[0], "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    assert [table["name"] for table in tables] == ["appointments", "clients", "salons"]


def test_index_on_starts_at(demo: tuple[Path, DemoSummary]) -> None:
    indexed_columns = set()
    for index in rows(demo[0], "PRAGMA index_list(appointments)"):
        for column in rows(demo[0], f"PRAGMA index_info({index['name']})"):
            indexed_columns.add(column["name"])
    assert "starts_at" in indexed_columns


def test_id_formats(clients: dict[str, sqlite3.Row], appointments: list[sqlite3.Row]) -> None:
    assert all(re.fullmatch(r"K\d{5}", client_id) for client_id in clients)
    assert all(re.fullmatch(r"A\d{6}", line["id"]) for line in appointments)
    assert all(line["client_id"] in clients for line in appointments)


def test_salons_fields(demo: tuple[Path, DemoSummary]) -> None:
    salons = rows(demo[0], "SELECT * FROM salons ORDER BY id")
    assert [salon["id"] for salon in salons] == ["S1", "S2"]
    for salon in salons:
        assert re.fullmatch(r"[A-Z]{2}", salon["canton"])
        assert re.fullmatch(r"[A-Za-z0-9 ]{1,11}", salon["sender"])
        assert any(phonenumbers.is_valid_number(parsed) for _, parsed in candidate_numbers(salon["phone"]) if parsed)


def test_client_profile_values(clients: dict[str, sqlite3.Row]) -> None:
    for client in clients.values():
        assert client["language"] in {"de", "fr", "it", "en", ""}
        assert client["confirm_sms"] in {0, 1}
        assert client["confirm_days"] in {None, 1, 2, 3, 4}
        assert client["updated_at"] < TODAY.isoformat()
        datetime.strptime(client["updated_at"], "%Y-%m-%d %H:%M:%S")


def test_appointment_time_format(appointments: list[sqlite3.Row]) -> None:
    for line in appointments:
        starts = datetime.strptime(line["starts_at"], "%Y-%m-%d %H:%M")
        ends = datetime.strptime(line["ends_at"], "%Y-%m-%d %H:%M")
        datetime.strptime(line["updated_at"], "%Y-%m-%d %H:%M:%S")
        assert starts < ends
        assert starts.date() == ends.date()
        assert starts.minute % 15 == 0
        assert ends.minute % 15 == 0
        assert starts.strftime("%H:%M") >= "08:00"
        assert ends.strftime("%H:%M") <= "18:30"
        assert line["updated_at"] < TODAY.isoformat()


# Counts


def test_summary_matches_file(demo: tuple[Path, DemoSummary], appointments: list[sqlite3.Row]) -> None:
    path, summary = demo
    days = sorted(line["starts_at"][:10] for line in appointments)
    assert summary.salons == 2
    assert summary.clients == 400
    assert summary.appointments == len(appointments)
    assert summary.first_day == date.fromisoformat(days[0])
    assert summary.last_day == date.fromisoformat(days[-1])
    assert rows(path, "SELECT count(*) AS n FROM clients")[0]["n"] == 400


def test_appointments_in_window_only(appointments: list[sqlite3.Row]) -> None:
    first, last = TODAY - timedelta(days=7), TODAY + timedelta(days=14)
    for line in appointments:
        day = date.fromisoformat(line["starts_at"][:10])
        assert first <= day <= last
        assert day.weekday() != 6, f"{line['id']} is on a Sunday"


def test_visits_per_salon_day(visits: dict[tuple[str, str, str], list[sqlite3.Row]]) -> None:
    per_salon_day: dict[tuple[str, str], int] = defaultdict(int)
    for _, salon_id, day in visits:
        per_salon_day[(salon_id, day)] += 1
    open_days = [TODAY + timedelta(days=offset) for offset in range(-7, 15)]
    open_days = [day for day in open_days if day.weekday() != 6]
    for day in open_days:
        for salon_id in ("S1", "S2"):
            count = per_salon_day[(salon_id, day.isoformat())]
            assert 25 <= count <= 45, f"{salon_id} on {day}: {count} visits"


def test_status_by_day(appointments: list[sqlite3.Row]) -> None:
    for line in appointments:
        day = line["starts_at"][:10]
        if day < TODAY.isoformat():
            assert line["status"] in {"done", "no_show", "cancelled"}, line["id"]
        else:
            assert line["status"] in {"booked", "cancelled"}, line["id"]


def test_status_shares(appointments: list[sqlite3.Row]) -> None:
    past = [line for line in appointments if line["starts_at"][:10] < TODAY.isoformat()]
    cancelled = sum(1 for line in appointments if line["status"] == "cancelled")
    done = sum(1 for line in past if line["status"] == "done")
    no_show = sum(1 for line in past if line["status"] == "no_show")
    assert 0.02 <= cancelled / len(appointments) <= 0.09
    assert done / len(past) >= 0.85
    assert no_show >= 1


def test_confirm_sms_share(clients: dict[str, sqlite3.Row]) -> None:
    share = sum(client["confirm_sms"] for client in clients.values()) / len(clients)
    assert 0.45 <= share <= 0.65


# Variety


def _has_several_lines(visits: dict, clients: dict) -> bool:
    return any(len(lines) > 1 for lines in visits.values())


def _has_all_cancelled(visits: dict, clients: dict) -> bool:
    return any(all(line["status"] == "cancelled" for line in lines) for lines in visits.values())


def _has_kind(predicate):
    def check(visits: dict, clients: dict) -> bool:
        return any(predicate(client_kinds(client), client) for client in clients.values())

    return check


VARIETY = {
    "landline only": _has_kind(lambda kinds, _: "landline" in kinds and not kinds & {"swiss_mobile", "foreign_mobile"}),
    "foreign mobile": _has_kind(lambda kinds, _: "foreign_mobile" in kinds),
    "invalid": _has_kind(lambda kinds, _: "invalid" in kinds),
    "all phones empty": _has_kind(lambda kinds, _: kinds == {"empty"}),
    "note beside number": _has_kind(lambda kinds, _: "note" in kinds),
    "mobile only in work field": _has_kind(
        lambda _, client: "swiss_mobile" in field_kinds(client["work_phone"]) and not client["mobile_phone"]
    ),
    "sms off with swiss mobile": _has_kind(lambda kinds, client: "swiss_mobile" in kinds and client["confirm_sms"] == 0),
    "hostile markup name": _has_kind(lambda _, client: "[/]" in client["last_name"]),
    "click action name": _has_kind(lambda _, client: "[@click=" in client["first_name"]),
    "ansi escape name": _has_kind(lambda _, client: "\x1b[" in client["last_name"]),
    "very long name": _has_kind(lambda _, client: len(client["last_name"]) >= 80),
    "emoji name": _has_kind(lambda _, client: any(ord(char) > 0xFFFF for char in client["first_name"])),
    "umlaut name": _has_kind(lambda _, client: "ü" in client["last_name"]),
    "accented name": _has_kind(lambda _, client: "é" in client["first_name"]),
    "several lines one day": _has_several_lines,
    "all lines cancelled": _has_all_cancelled,
}


@pytest.mark.parametrize("case", sorted(VARIETY))
def test_variety_case_present(case: str, visits: dict, clients: dict) -> None:
    assert VARIETY[case](visits, clients)


def test_every_phone_style_present(clients: dict[str, sqlite3.Row]) -> None:
    texts = [client[column] for client in clients.values() for column in ("mobile_phone", "home_phone", "work_phone")]
    patterns = {
        "spaced": r"^0\d\d \d{3} \d\d \d\d$",
        "compact": r"^0\d{9}$",
        "international": r"^\+41 \d\d \d{3} \d\d \d\d$",
        "double zero": r"^0041 ",
        "slash and dots": r"^0\d\d/\d{3}\.\d\d\.\d\d$",
        "apostrophes": r"^0\d\d'\d{3}'\d\d'\d\d$",
        "bracketed zero": r"^\+41 \(0\)",
        "landline 044": r"^044",
        "business 058": r"^058",
        "german mobile": r"^\+49 1[57]",
        "french mobile": r"^\+33 [67] ",
        "italian mobile": r"^\+39 3",
    }
    for style, pattern in patterns.items():
        assert any(re.search(pattern, text) for text in texts), f"no phone typed as {style}"


def test_swiss_mobiles_are_valid(clients: dict[str, sqlite3.Row]) -> None:
    checked = 0
    for client in clients.values():
        for column in ("mobile_phone", "home_phone", "work_phone"):
            for digits, parsed in candidate_numbers(client[column]):
                if not SWISS_MOBILE_DIGITS.match(digits):
                    continue
                checked += 1
                assert parsed is not None, f"{client['id']} {column}: {client[column]!r}"
                assert phonenumbers.is_valid_number(parsed), f"{client['id']} {column}: {client[column]!r}"
                assert phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE, client[column]
    assert checked >= 250


def test_foreign_numbers_are_valid(clients: dict[str, sqlite3.Row]) -> None:
    foreign = [client["mobile_phone"] for client in clients.values() if client["mobile_phone"].startswith(("+49", "+33", "+39"))]
    assert foreign
    for text in foreign:
        parsed = phonenumbers.parse(text)
        assert phonenumbers.is_valid_number(parsed), text


def test_every_language_present(clients: dict[str, sqlite3.Row]) -> None:
    languages = [client["language"] for client in clients.values()]
    for language in ("de", "fr", "it", "en", ""):
        assert language in languages


def test_few_hostile_names(clients: dict[str, sqlite3.Row]) -> None:
    hostile = [client["id"] for client in clients.values() if is_hostile(client["first_name"] + client["last_name"])]
    assert 1 <= len(hostile) <= 6


# The next open day, as shown in a demo of "tomorrow"


def _statuses_on(day: date, visits: dict, clients: dict) -> set[str]:
    statuses = set()
    for (client_id, _, visit_day), lines in visits.items():
        if visit_day != day.isoformat() or all(line["status"] == "cancelled" for line in lines):
            continue
        client = clients[client_id]
        mobile_kinds = field_kinds(client["mobile_phone"])
        kinds = client_kinds(client)
        if "invalid" in mobile_kinds:
            statuses.add("invalid number")
        elif "swiss_mobile" in mobile_kinds:
            statuses.add("to send" if client["confirm_sms"] else "needs setup")
        elif not kinds & {"swiss_mobile", "foreign_mobile"}:
            statuses.add("no mobile")
    return statuses


def test_tomorrow_shows_every_status(visits: dict, clients: dict) -> None:
    statuses = _statuses_on(TODAY + timedelta(days=1), visits, clients)
    assert statuses == {"to send", "needs setup", "invalid number", "no mobile"}


def test_saturday_showcase_moves_to_monday(tmp_path: Path) -> None:
    path = tmp_path / "salon.db"
    generate_salon_db(path, SATURDAY, clients=100)
    sunday = (SATURDAY + timedelta(days=1)).isoformat()
    monday = (SATURDAY + timedelta(days=2)).isoformat()
    on_sunday = rows(path, f"SELECT count(*) AS n FROM appointments WHERE starts_at LIKE '{sunday}%'")
    showcase_on_monday = rows(
        path, f"SELECT count(*) AS n FROM appointments WHERE client_id = 'K00001' AND starts_at LIKE '{monday}%'"
    )
    assert on_sunday[0]["n"] == 0
    assert showcase_on_monday[0]["n"] == 1
