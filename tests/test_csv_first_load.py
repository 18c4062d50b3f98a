"""A first CSV import loaded straight into the mirror gives what staging and merging it in SQL gives.

Each comparison syncs the same export twice into fresh mirrors: once by
the direct load (csv_first_load.py), and once with the direct load turned
off, so that the lines are staged and merged by attached.py as before.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import datetime
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync import csv_source, merge
from smsconfirm_tui.sync.batches import BATCH_ROWS
from smsconfirm_tui.sync.csv_source import CsvSource, _ColumnPlan, _TimeRewrites, mirror_time
from smsconfirm_tui.sync.shape import is_mirror_time
from smsconfirm_tui.sync.errors import MAX_SKIPPED_DETAILS, SyncCancelled, SyncError
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.shape import INVALID_TIME_MARK, normalise_time
from sync_support import NOW, mirror_snapshot

SALONS = (
    "Filiale;Name;Telefon;Kanton;Absender\r\n"
    "S1;Coiffure Anna;044 212 34 56;ZH;Coiff Anna\r\n"
    "S2;Haarwerk;031 333 44 55;BE;Haarwerk\r\n"
    "S'3;Salon d'Été;022 700 80 90;GE;Salon Ete\r\n"
)
CLIENTS = (
    "KundenNr;Vorname;Nachname;Natel;Telefon privat;Sprache;SMS;Tage vorher;Geändert\r\n"
    "K1;Zoë;Müller;079 123 45 67;;de;ja;2;01.11.2026 10:00\r\n"
    "K2;François;Grünig;078 222 33 44;044 111 22 33;fr;nein;;2026-11-02\r\n"
    "O'Brien;Siobhán;O'Brien;076 555 66 77;;en;yes;1;02.11.2026\r\n"
    "K4;Jürg;Keller;079 000 00 12;;de;vielleicht;1;02.11.2026\r\n"
)
APPOINTMENTS_HEADER = ["TerminNr", "KundenNr", "Filiale", "Beginn", "Ende", "Datum", "Von", "Bis",
                       "Leistung", "Mitarbeiterin", "Status", "Geändert"]
WIDTH = len(APPOINTMENTS_HEADER)

CLIENT_MAPPING = {
    "id": "KundenNr", "first_name": "Vorname", "last_name": "Nachname", "mobile_phone": "Natel",
    "home_phone": "Telefon privat", "work_phone": "", "language": "Sprache", "confirm_sms": "SMS",
    "confirm_days": "Tage vorher", "updated_at": "Geändert",
}
SALON_MAPPING = {"id": "Filiale", "name": "Name", "phone": "Telefon", "canton": "Kanton", "sender": "Absender"}
# Start and end from a date column and a time column each.
SPLIT_MAPPING = {
    "salons": SALON_MAPPING,
    "clients": CLIENT_MAPPING,
    "appointments": {
        "id": "TerminNr", "client_id": "KundenNr", "salon_id": "Filiale", "starts_at": ("Datum", "Von"),
        "ends_at": ("Datum", "Bis"), "service": "Leistung", "staff": "Mitarbeiterin", "status": "Status",
        "updated_at": "Geändert",
    },
}
# Start and end from one column each, and no staff column at all.
SINGLE_MAPPING = {
    "salons": SALON_MAPPING,
    "clients": CLIENT_MAPPING,
    "appointments": {
        "id": "TerminNr", "client_id": "KundenNr", "salon_id": "Filiale", "starts_at": "Beginn",
        "ends_at": "Ende", "service": "Leistung", "staff": "", "status": "Status", "updated_at": "Geändert",
    },
}
MAPPINGS = {"split": SPLIT_MAPPING, "single": SINGLE_MAPPING}

# The codecs each export is written with. "utf-8-sig" writes a byte order mark.
ENCODINGS = ("cp1252", "utf-8-sig")


def visit(
    id: str,
    client: str = "K1",
    salon: str = "S1",
    start: str = "07.12.2026 10:00",
    end: str = "07.12.2026 10:45",
    *,
    service: str = "Schneiden",
    staff: str = "Anna",
    status: str = "booked",
    updated: str = "01.11.2026 10:00",
) -> list[str]:
    """Return the fields of one appointment line, its start and end in single and in split columns."""
    date, _, start_time = start.partition(" ")
    end_time = end.partition(" ")[2] if " " in end else end
    return [id, client, salon, start, end, date, start_time, end_time, service, staff, status, updated]


# Lines that every export contains. Each has its own id, so that skipped lines can be distinguished.
COMMON_LINES: list[list[str] | str] = [
    visit("G1"),
    visit("G2", start="07.12.2026 10:00:30", end="07.12.2026 10:45:59"),
    visit("G3", start="2026-12-07 11:00", end="2026-12-07 11:30:00"),
    visit("G4", start="2026-12-07T12:00", end="", status="done"),
    visit("G5", start="4.12.2026 9:30", end="4.12.2026 9:45", status="no_show"),
    "",
    visit("G6", "O'Brien", "S'3", "29.02.2028 09:00", "29.02.2028 09:30", service="Färben\nund Föhnen",
          staff='"Jo" Müller'),
    visit("B1", "K9"),
    visit("G7", start="29.02.2000 09:00", end="29.02.2000 09:30", status="cancelled", updated=""),
    visit("G8", start="01.01.0000 00:00", end="01.01.0000 00:30", updated="gestern"),
    visit(" G9 ", "\u00a0K2 ", " S2", "07.12.2026 23:59:59 ", "08.12.2026 00:00", updated=" 01.11.2026"),
    "   ",
    visit("", "K1"),
    visit("   ", "K1"),
    visit("B2", "O'Neil"),
    visit("B3", "K\n9"),
    visit("B4", "K\t9"),
    visit("B5", "K4"),  # K4 is skipped in clients.csv, so it is unknown here
    visit("B6", salon="S9"),
    visit("B7", salon="S'9"),
    visit("B8", start="31.02.2026 10:00", end="31.02.2026 10:30"),
    visit("B9", start="07.12.2026 24:00", end="08.12.2026 00:30"),
    visit("B10", start="07.12.2026 10:60"),
    visit("B11", start="07.12.2026 10:00:60"),
    visit("B12", start="", end=""),
    visit("B13", start="07.12.2026"),
    visit("B14", start="morgen früh"),
    visit("B15", start="29.02.2026 10:00", end="29.02.2026 10:30"),
    visit("B16", start="29.02.2100 10:00", end="29.02.2100 10:30"),
    visit("B17", start="0².12.2026 10:00"),
    visit("B18", start="2026-12-07 10:00 Uhr"),
    visit("B19", start="07.12.2026 10:00:00.5"),
    visit("B20", start="2026-12-07 9:30"),  # valid: ISO with a single-digit hour
    visit("B21", end="07.12.2026 25:00"),
    visit("B22", start="30.04.2026 10:00", end="31.04.2026 10:00"),
    visit("B23", end="bald"),
    visit("B24", status="vielleicht"),
    visit("B25", status="Booked"),
    visit("B26", status="O'K"),
    "W1;K1;S1",
    "W2;K1;S1;07.12.2026 10:00;07.12.2026 10:45;07.12.2026;10:00;10:45;Schneiden;Anna;booked;01.11.2026;zu viel",
    ';;;',
    visit("B27", "K9", service="Zeile 1\r\nZeile 2\r\nZeile 3"),
    visit("B28", "K9"),
]
# Days on which SQLite 3.40.1 disagrees with the calendar: it keeps 0300-02-29 and changes 0300-03-01.
# The streaming merge follows the calendar, so a re-sync that falls back to it counts them differently.
EARLY_DATE_LINES: list[list[str] | str] = [
    visit("Y1", start="01.03.0300 10:00", end="01.03.0300 10:30"),
    visit("Y2", start="29.02.0300 10:00", end="29.02.0300 10:30"),
]
# Lines whose digits Windows-1252 cannot encode.
UTF8_ONLY_LINES: list[list[str] | str] = [
    visit("U1", start="٠٤.١٢.٢٠٢٦ 09:30"),
    visit("U2", start="０４.１２.２０２６ ０９:３０"),
    visit("U3", start="04.12.2026 ٠٩:٣٠"),
    visit("U4", start="٠٤.١٢.٢٠٢٦ 09:30:00"),
    visit("U5", start="04.12.2026 09:30", end="04.12.2026 ０９:４５"),
    visit("U6", "K✂", service="Schneiden ✂"),
    visit("G10", service="Schneiden ✂ 💇"),
]


def lines_for(encoding: str) -> list[list[str] | str]:
    return COMMON_LINES + EARLY_DATE_LINES + (UTF8_ONLY_LINES if encoding != "cp1252" else [])


def appointments_text(lines: list[list[str] | str]) -> str:
    """Write the appointment lines as an export: CRLF line ends, fields quoted only where needed."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(APPOINTMENTS_HEADER)
    for line in lines:
        if isinstance(line, str):
            buffer.write(line + "\r\n")
        else:
            writer.writerow(line)
    return buffer.getvalue()


def write_export(folder, lines, *, encoding="utf-8-sig", clients=CLIENTS):
    folder.mkdir(parents=True, exist_ok=True)
    texts = {"salons": SALONS, "clients": clients, "appointments": appointments_text(lines)}
    files = {}
    for table, text in texts.items():
        files[table] = folder / f"{table}.csv"
        files[table].write_bytes(text.encode(encoding))
    return files


def _streaming_not_expected(*args, **kwargs):
    raise AssertionError("the CSV merge fell back to streaming the appointments")


def run_sync(mirror, source, *, direct: bool, first: bool = True, falls_back: bool = False, **options):
    """Sync ``source`` into ``mirror`` and check that the expected merge ran.

    With ``direct`` false the direct load is turned off, so the lines are
    staged. ``first`` means that the mirror has no appointments yet, and
    ``falls_back`` that ids repeat, so the streaming merge must take over.
    """
    results = []
    load_first_appointments = merge.load_first_appointments

    def recording_load(*args, **kwargs):
        result = load_first_appointments(*args, **kwargs)
        results.append(result)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merge, "load_first_appointments", recording_load)
        if not direct:
            patch.setattr(merge, "_has_no_appointments", lambda connection: False)
        if not falls_back:
            patch.setattr(merge, "merge_appointments", _streaming_not_expected)
        summary = merge_source(mirror, source, now=NOW, **options)

    if direct and first:
        assert len(results) == 1, "the direct load did not run"
        assert (results[0] is None) == falls_back
    else:
        assert results == [], "the direct load ran on a re-sync or although it was turned off"
    return summary


def sync(mirror, files, mapping, **options):
    return run_sync(mirror, CsvSource(files, mapping), **options)


@pytest.fixture
def mirrors(tmp_path):
    """Two empty mirrors: one for the direct load, one for the staged merge."""
    pair = (Mirror(tmp_path / "direct.sqlite"), Mirror(tmp_path / "staged.sqlite"))
    yield pair
    for mirror in pair:
        mirror.close()


def sync_both(mirrors, files, mapping, *, falls_back: bool = False):
    direct = sync(mirrors[0], files, mapping, direct=True, falls_back=falls_back)
    staged = sync(mirrors[1], files, mapping, direct=False, falls_back=falls_back)
    return direct, staged


def assert_same(mirrors, direct, staged) -> None:
    assert direct.tables == staged.tables
    assert direct.skipped == staged.skipped
    assert mirror_snapshot(mirrors[0]) == mirror_snapshot(mirrors[1])
    assert schema(mirrors[0]) == schema(mirrors[1])


def schema(mirror: Mirror) -> list[tuple]:
    return [tuple(row) for row in mirror.connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")]


def appointment_skips(summary) -> dict[str, tuple[int, str]]:
    return {row.row_id: (row.line, row.reason) for row in summary.skipped if row.table == "appointments"}


# -- the same mirror, counts and skipped lines ---------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("columns", sorted(MAPPINGS))
def test_hostile_export_matches_staged(mirrors, tmp_path, encoding, columns):
    lines = lines_for(encoding)
    files = write_export(tmp_path / "export", lines, encoding=encoding)
    direct, staged = sync_both(mirrors, files, MAPPINGS[columns])
    assert_same(mirrors, direct, staged)

    counts = direct.tables["appointments"]
    assert counts.new > 0
    assert counts.skipped == len([row for row in direct.skipped if row.table == "appointments"])
    assert [row.table for row in direct.skipped].count("clients") == 1  # K4
    skips = appointment_skips(direct)
    # Visits that are valid in both column layouts are loaded.
    stored = {row[0] for row in mirrors[0].connection.execute("SELECT id FROM appointments")}
    assert {"G1", "G2", "G3", "G5", "G6", "G7", "G8", "G9", "B20"} <= stored
    assert stored.isdisjoint(skips)


@pytest.mark.parametrize("columns", sorted(MAPPINGS))
def test_skip_reasons_and_lines(mirrors, tmp_path, columns):
    lines = lines_for("utf-8-sig")
    files = write_export(tmp_path / "export", lines)
    direct, staged = sync_both(mirrors, files, MAPPINGS[columns])
    assert_same(mirrors, direct, staged)
    skips = appointment_skips(direct)
    hint = "is not a valid date and time (YYYY-MM-DD HH:MM or dd.mm.yyyy HH:MM, seconds allowed)"

    empty_ids = [row.reason for row in direct.skipped if row.table == "appointments" and row.row_id == ""]
    assert empty_ids[:2] == ["empty id", "empty id"]
    assert empty_ids[2].endswith(f"has 4 fields but the header has {WIDTH}: check for a separator inside an unquoted value")
    assert skips["B1"][1] == "unknown client 'K9'"
    assert skips["B2"][1] == "unknown client 'O''Neil'"
    assert skips["B3"][1] == "unknown client 'K\n9'"
    assert skips["B5"][1] == "unknown client 'K4'"
    assert skips["B7"][1] == "unknown salon 'S''9'"
    assert skips["B8"][1] == f"start time '2026-02-31 10:00' {hint}"
    assert skips["B9"][1] == f"start time '2026-12-07 24:00' {hint}"
    assert skips["B11"][1] == f"start time '2026-12-07 10:00:60' {hint}"
    assert skips["B14"][1].startswith("start time 'morgen")
    assert skips["B15"][1] == f"start time '2026-02-29 10:00' {hint}"
    assert skips["B16"][1] == f"start time '2100-02-29 10:00' {hint}"
    assert skips["B17"][1] == f"start time '2026-12-0² 10:00' {hint}"
    assert skips["U1"][1] == f"start time '٢٠٢٦-١٢-٠٤ 09:30' {hint}"
    assert skips["U4"][1] == f"start time '٢٠٢٦-12-04 09:30:00' {hint}"
    assert skips["B21"][1] == f"end time '2026-12-07 25:00' {hint}"
    assert skips["B26"][1] == "status 'O''K' is not one of booked, cancelled, done, no_show"
    assert skips["W1"][1] == (
        f"line {skips['W1'][0]} has 3 fields but the header has {WIDTH}: check for a separator inside an unquoted value"
    )
    assert skips["W2"][1].startswith(f"line {skips['W2'][0]} has {WIDTH + 1} fields")
    if columns == "single":
        assert skips["B12"][1] == f"start time '' {hint}"
        assert skips["B13"][1] == f"start time '07.12.2026' {hint}"
        assert skips["B23"][1] == f"end time 'bald' {hint}"
        assert skips["B22"][1] == f"end time '2026-04-31 10:00' {hint}"

    # Each line number is that of the record's last physical line in the file.
    physical = 1  # the header
    expected_lines = {}
    for line in lines:
        text = line if isinstance(line, str) else ";".join(line)
        physical += 1 + text.count("\n")
        if not isinstance(line, str):
            expected_lines[line[0].strip()] = physical
    assert skips["B28"][0] == expected_lines["B28"]
    assert skips["B27"][0] == expected_lines["B27"]
    assert skips["B1"][0] == expected_lines["B1"]
    assert skips["B28"][0] > lines.index(visit("B28", "K9")) + 2  # more lines than rows before it


def test_service_with_line_breaks_kept(mirrors, tmp_path):
    files = write_export(tmp_path / "export", lines_for("utf-8-sig"))
    direct, staged = sync_both(mirrors, files, SINGLE_MAPPING)
    assert_same(mirrors, direct, staged)
    row = mirrors[0].connection.execute(
        "SELECT client_id, salon_id, starts_at, ends_at, service, staff FROM appointments WHERE id = 'G6'"
    ).fetchone()
    assert tuple(row) == ("O'Brien", "S'3", "2028-02-29 09:00", "2028-02-29 09:30", "Färben\nund Föhnen", "")
    row = mirrors[0].connection.execute("SELECT starts_at, ends_at FROM appointments WHERE id = 'G9'").fetchone()
    assert tuple(row) == ("2026-12-07 23:59", "2026-12-08 00:00")


def test_repeated_id_falls_back(mirrors, tmp_path):
    lines = [*COMMON_LINES, visit("G3", "K2", start="09.12.2026 08:00", end="09.12.2026 08:30")]
    files = write_export(tmp_path / "export", lines)
    direct, staged = sync_both(mirrors, files, SPLIT_MAPPING, falls_back=True)
    assert_same(mirrors, direct, staged)
    repeated = [row for row in direct.skipped if row.reason == "repeats an id that an earlier row has"]
    assert [(row.row_id, row.line) for row in repeated] == [("G3", appointments_text(lines).count("\n"))]
    stored = mirrors[0].connection.execute("SELECT client_id FROM appointments WHERE id = 'G3'").fetchone()
    assert stored[0] == "K1"  # the first line with the id wins


def skipped_line_kind(number: int) -> str:
    """Return how line ``number`` of the long export breaks: good, client, width or start."""
    if number < 6000:
        return "width" if number % 10 == 5 else "good"
    return ("good", "client", "width", "start")[number % 4]


def test_skipped_details_first_by_line(mirrors, tmp_path):
    # Width problems are recorded while a batch is read and check problems after
    # it, the first MAX_SKIPPED_DETAILS lines span both batches, and more than
    # twice MAX_SKIPPED_DETAILS skipped lines make the list compact itself.
    lines: list[list[str] | str] = []
    for number in range(8000):
        kind = skipped_line_kind(number)
        if kind == "good":
            lines.append(visit(f"M{number}"))
        elif kind == "client":
            lines.append(visit(f"M{number}", "K9"))
        elif kind == "width":
            lines.append(f"M{number};K1;S1;zu wenig")
        else:
            lines.append(visit(f"M{number}", start="07.12.2026 25:00"))
    files = write_export(tmp_path / "export", lines)
    direct, staged = sync_both(mirrors, files, SINGLE_MAPPING)
    assert_same(mirrors, direct, staged)

    bad = [number for number in range(len(lines)) if skipped_line_kind(number) != "good"]
    counts = direct.tables["appointments"]
    assert counts.skipped == len(bad)
    assert counts.skipped > 2 * MAX_SKIPPED_DETAILS
    assert counts.new == len(lines) - len(bad)
    details = [row for row in direct.skipped if row.table == "appointments"]
    assert len(details) == MAX_SKIPPED_DETAILS
    assert [row.row_id for row in details] == [f"M{number}" for number in bad[:MAX_SKIPPED_DETAILS]]
    assert [row.line for row in details] == [number + 2 for number in bad[:MAX_SKIPPED_DETAILS]]
    # Lines with too few fields never reach a batch, so the first batch ends at its BATCH_ROWS-th other line.
    batched = [number for number in range(len(lines)) if skipped_line_kind(number) != "width"]
    assert bad[MAX_SKIPPED_DETAILS - 1] > batched[BATCH_ROWS - 1]


# -- time rewrites and the SQLite check ----------------------------------------

# Values at and past the limits of the calendar and the clock, one of which replaces a field of a real time.
LIMITS = {
    "year": ["0000", "0004", "1900", "2000", "2100", "9999"],
    "month": ["00", "02", "12", "13", "2"],
    "day": ["00", "28", "29", "30", "31", "32", "4"],
    "hour": ["00", "23", "24", "9"],
    "minute": ["00", "59", "60", "5"],
    "second": ["59", "60", "5"],
}
LEAP_YEARS = ["0000", "1900", "2000", "2024", "2026", "2100"]  # for 29 February
# Before 0400-03-01, SQLite's conversion from a Julian day number back to a date is off on some days.
EARLY_YEARS = ["0000", "0100", "0200", "0300", "0399", "0400"]
# Characters that a mutation puts into a time: separators, ASCII, Arabic-Indic and fullwidth digits, a superscript.
ALPHABET = "0123456789.: -T٣０²"


@st.composite
def _time_fields(draw) -> dict[str, str]:
    """The fields of a real time, often with one pushed to a limit or set to 29 February."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
    fields = {
        "year": f"{moment.year:04d}",
        "month": f"{moment.month:02d}",
        "day": f"{moment.day:02d}",
        "hour": f"{moment.hour:02d}",
        "minute": f"{moment.minute:02d}",
        "second": f"{moment.second:02d}" if draw(st.booleans()) else "",
    }
    change = draw(st.sampled_from(["none", "none", "leap", "early", *LIMITS]))
    if change == "leap":
        fields.update(year=draw(st.sampled_from(LEAP_YEARS)), month="02", day="29")
    elif change == "early":
        fields.update(year=draw(st.sampled_from(EARLY_YEARS)), month=draw(st.sampled_from(["02", "03"])),
                      day=draw(st.sampled_from(["01", "28", "29"])))
    elif change != "none":
        fields[change] = draw(st.sampled_from(LIMITS[change]))
    return fields


@st.composite
def _mutated(draw, text: str) -> str:
    """Replace, insert or delete up to two characters of ``text``, though most texts stay as they are."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        position = draw(st.integers(0, max(len(text) - 1, 0)))
        change = draw(st.sampled_from(["replace", "insert", "delete"]))
        character = draw(st.sampled_from(ALPHABET))
        if change == "replace":
            text = text[:position] + character + text[position + 1:]
        elif change == "insert":
            text = text[:position] + character + text[position:]
        else:
            text = text[:position] + text[position + 1:]
    return text


@st.composite
def swiss_times(draw) -> str:
    """Texts in or near the form ``dd.mm.yyyy HH:MM[:SS]``."""
    fields = draw(_time_fields())
    text = f"{fields['day']}.{fields['month']}.{fields['year']} {fields['hour']}:{fields['minute']}"
    if fields["second"]:
        text += ":" + fields["second"]
    return draw(_mutated(text))


@st.composite
def iso_times(draw) -> str:
    """Texts in or near the form ``yyyy-mm-dd HH:MM[:SS]``."""
    fields = draw(_time_fields())
    text = f"{fields['year']}-{fields['month']}-{fields['day']} {fields['hour']}:{fields['minute']}"
    if fields["second"]:
        text += ":" + fields["second"]
    return draw(_mutated(text))


TIME_TEXTS = (
    swiss_times()
    | iso_times()
    | st.text(ALPHABET, min_size=15, max_size=20)
    | st.text(ALPHABET, max_size=22)
)


def expected_rewrite(text: str, time_required: bool, for_mirror: bool) -> str:
    value = normalise_time(text, time_required=time_required)
    return mirror_time(value) if for_mirror else value


@settings(max_examples=400, deadline=None)
@given(
    keys=st.lists(TIME_TEXTS, min_size=1, max_size=12),
    time_required=st.booleans(),
    for_mirror=st.booleans(),
    cache_entries=st.sampled_from([3, csv_source.TIME_CACHE_ENTRIES]),
)
@example(keys=["04.12.2026 24:00", "04.12.2026 23:00"], time_required=True, for_mirror=True,
         cache_entries=csv_source.TIME_CACHE_ENTRIES)
@example(keys=["٠٤.١٢.٢٠٢٦ 09:30", "٠٤.١٢.٢٠٢٦ 09:30:00"], time_required=True, for_mirror=True,
         cache_entries=csv_source.TIME_CACHE_ENTRIES)
def test_time_rewrites_match_normalise(keys, time_required, for_mirror, cache_entries):
    plan = _ColumnPlan("starts_at", 0, None, time_required)
    with mock.patch.object(csv_source, "TIME_CACHE_ENTRIES", cache_entries):
        # One cache rewrites every key in turn, so later keys reuse earlier day and clock parts.
        shared = _TimeRewrites(plan, for_mirror)
        for text in keys:
            expected = expected_rewrite(text, time_required, for_mirror)
            assert shared[text] == expected
            assert shared[text] == expected  # a second look-up comes from the cache
            assert _TimeRewrites(plan, for_mirror)[text] == expected


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.text(ALPHABET, max_size=11) | swiss_times().map(lambda text: text[:10]),
                             st.text(ALPHABET, max_size=9)), min_size=1, max_size=8),
    for_mirror=st.booleans(),
)
def test_split_time_rewrites_match_normalise(pairs, for_mirror):
    plan = _ColumnPlan("starts_at", 0, 1, True)
    shared = _TimeRewrites(plan, for_mirror)
    for date, time in pairs:
        # The start time is required, so an empty time field gives an empty value.
        text = f"{date} {time}" if time else ""
        assert shared[date, time] == expected_rewrite(text, True, for_mirror)


_sqlite = sqlite3.connect(":memory:")
_SQLITE_VERDICT = (
    "SELECT CASE length(?1) WHEN 16 THEN datetime(?1, '+0 seconds') IS ?1 || ':00' "
    "WHEN 19 THEN datetime(?1, '+0 seconds') IS ?1 ELSE 0 END"
)


def sqlite_accepts(text: str) -> bool:
    return bool(_sqlite.execute(_SQLITE_VERDICT, (text,)).fetchone()[0])


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-12-07 10:00", True),
        ("2026-12-07 10:00:59", True),
        ("0000-02-29 10:00", True),
        ("2000-02-29 10:00", True),
        ("2024-02-29 10:00", True),
        ("2026-02-29 10:00", False),
        ("1900-02-29 10:00", False),
        ("2100-02-29 10:00", False),
        ("2026-12-07 23:59", True),
        ("2026-12-07 24:00", False),
        ("2026-12-07 10:60", False),
        ("2026-12-07 10:00:60", False),
        ("2026-12-07T10:00", False),
        ("2026-04-31 10:00", False),
        ("2026-12-07 10:00Z", False),
        ("٢٠٢٦-12-07 10:00", False),
        ("9999-12-31 23:59:59", True),
    ],
)
def test_sqlite_time_cases(text, valid):
    assert sqlite_accepts(text) is valid
    assert is_mirror_time(text) is valid


@pytest.mark.parametrize("year", EARLY_YEARS)
def test_sqlite_time_early_years(year):
    # Every day, and the day numbers past each month's end, of years where SQLite's date arithmetic is suspect.
    for month in range(1, 13):
        for day in range(1, 32):
            text = f"{year}-{month:02d}-{day:02d} 10:00"
            assert is_mirror_time(text) == sqlite_accepts(text), text


@settings(max_examples=600, deadline=None)
@given(text=iso_times() | st.text("0123456789-: T.Z+٣０", min_size=15, max_size=20) | st.just(""))
def test_sqlite_time_matches_sqlite(text):
    assert is_mirror_time(text) == sqlite_accepts(text)


# -- a failed load leaves the mirror as it was ---------------------------------


def many_lines(count: int) -> list[list[str] | str]:
    return [visit(f"L{number:05d}", "K1" if number % 2 else "K2") for number in range(count)]


class LoadProbe:
    """A progress callback that counts the mirror's appointments after each batch of the load."""

    def __init__(self, mirror: Mirror, *, cancel_after: int | None = None) -> None:
        self.mirror = mirror
        self.cancel_after = cancel_after
        self.loaded: list[int] = []

    def __call__(self, step) -> None:
        if step.step == "read" and step.table == "appointments" and step.done > 0:
            self.loaded.append(self.mirror.connection.execute("SELECT count(*) FROM appointments").fetchone()[0])

    def is_cancelled(self) -> bool:
        return self.cancel_after is not None and bool(self.loaded) and self.loaded[-1] >= self.cancel_after


def assert_untouched(mirror: Mirror, before_rows, before_schema) -> None:
    assert mirror.connection.execute("SELECT count(*) FROM appointments").fetchone()[0] == 0
    assert mirror.connection.execute("SELECT count(*) FROM clients").fetchone()[0] == 0
    assert mirror.get_meta("last_sync_at") is None
    assert mirror_snapshot(mirror) == before_rows
    assert schema(mirror) == before_schema
    assert not mirror.connection.in_transaction


def test_cancelled_load_changes_nothing(mirrors, tmp_path):
    mirror = mirrors[0]
    files = write_export(tmp_path / "export", many_lines(BATCH_ROWS + 1000))
    before_rows, before_schema = mirror_snapshot(mirror), schema(mirror)
    probe = LoadProbe(mirror, cancel_after=BATCH_ROWS)

    with pytest.raises(SyncCancelled):
        sync(mirror, files, SINGLE_MAPPING, direct=True, progress=probe, is_cancelled=probe.is_cancelled)
    assert probe.loaded == [BATCH_ROWS]  # the cancel came after the second batch was inserted
    assert_untouched(mirror, before_rows, before_schema)

    summary = sync(mirror, files, SINGLE_MAPPING, direct=True)
    assert summary.tables["appointments"].new == BATCH_ROWS + 1000
    assert mirror.get_meta("last_sync_at") is not None
    assert schema(mirror) == schema(mirrors[1])  # the indexes dropped for the load are back


def test_late_csv_error_changes_nothing(mirrors, tmp_path):
    mirror = mirrors[0]
    lines = many_lines(BATCH_ROWS + 4000)
    # A stray quote opens a field that runs to the end of the file, past csv's field size limit.
    stray = BATCH_ROWS + 500
    lines[stray] = '"' + ";".join(lines[stray])
    text = appointments_text(lines)
    assert len(text) - text.index('"L') > csv.field_size_limit()
    files = write_export(tmp_path / "broken", lines)
    before_rows, before_schema = mirror_snapshot(mirror), schema(mirror)
    probe = LoadProbe(mirror)

    with pytest.raises(SyncError, match=r"appointments\.csv: line \d+ is not valid CSV: field larger than field limit"):
        sync(mirror, files, SINGLE_MAPPING, direct=True, progress=probe)
    assert probe.loaded == [BATCH_ROWS]
    assert_untouched(mirror, before_rows, before_schema)

    files = write_export(tmp_path / "fixed", many_lines(BATCH_ROWS + 4000))
    summary = sync(mirror, files, SINGLE_MAPPING, direct=True)
    assert summary.tables["appointments"].new == BATCH_ROWS + 4000


def test_late_invalid_byte_changes_nothing(mirrors, tmp_path):
    mirror = mirrors[0]
    files = write_export(tmp_path / "export", many_lines(BATCH_ROWS + 1000), encoding="utf-8")
    source = CsvSource(files, SINGLE_MAPPING)
    # The export is rewritten after the encoding scan, as a salon system may do while a sync runs.
    good = files["appointments"].read_bytes()
    cut = good.index(b"L05900")
    files["appointments"].write_bytes(good[:cut] + b"L\xff" + good[cut + 1:])
    before_rows, before_schema = mirror_snapshot(mirror), schema(mirror)
    probe = LoadProbe(mirror)

    with pytest.raises(SyncError, match=r"appointments\.csv: line \d+ cannot be read as utf-8-sig"):
        run_sync(mirror, source, direct=True, progress=probe)
    assert probe.loaded == [BATCH_ROWS]
    assert_untouched(mirror, before_rows, before_schema)

    files["appointments"].write_bytes(good)
    summary = sync(mirror, files, SINGLE_MAPPING, direct=True)
    assert summary.tables["appointments"].new == BATCH_ROWS + 1000


# -- a re-sync after the first load --------------------------------------------


# Lines whose ids are all different: the empty id of "   " and ";;;" repeats the one of visit("").
UNIQUE_ID_LINES = [line for line in COMMON_LINES if line not in (visit("   ", "K1"), ";;;")]


@pytest.mark.parametrize("columns", sorted(MAPPINGS))
@pytest.mark.parametrize("resync", ["sql", "streaming"])
def test_resync_after_direct_load_matches_staged(mirrors, tmp_path, columns, resync):
    # A re-sync merges in SQL only when the export's ids are unique, empty ones included.
    mapping = MAPPINGS[columns]
    lines = UNIQUE_ID_LINES if resync == "sql" else COMMON_LINES
    falls_back = resync == "streaming"
    direct, staged = sync_both(mirrors, write_export(tmp_path / "first", lines), mapping)
    assert_same(mirrors, direct, staged)

    # Change one line, remove one, add one.
    changed = [line for line in lines if isinstance(line, str) or line[0] != "G2"]
    changed[changed.index(visit("G1"))] = visit("G1", service="Strähnen")
    changed.append(visit("N1", "K2", start="09.12.2026 08:00", end="09.12.2026 08:30"))
    files = write_export(tmp_path / "second", changed)
    direct = sync(mirrors[0], files, mapping, direct=True, first=False, falls_back=falls_back)
    staged = sync(mirrors[1], files, mapping, direct=False, first=False, falls_back=falls_back)
    assert_same(mirrors, direct, staged)
    counts = direct.tables["appointments"]
    assert (counts.new, counts.changed, counts.removed) == (1, 1, 1)

    # Drop client K2: its visits stay in the export and are reported as skipped.
    clients = "".join(line for line in CLIENTS.splitlines(keepends=True) if not line.startswith("K2;"))
    files = write_export(tmp_path / "third", changed, clients=clients)
    direct = sync(mirrors[0], files, mapping, direct=True, first=False, falls_back=falls_back)
    staged = sync(mirrors[1], files, mapping, direct=False, first=False, falls_back=falls_back)
    assert_same(mirrors, direct, staged)
    assert "N1" in appointment_skips(direct)
    assert mirrors[0].connection.execute("SELECT removed FROM appointments WHERE id = 'N1'").fetchone()[0] == 0
