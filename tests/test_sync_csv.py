"""CSV exports as Swiss Windows salon systems write them, and the ways they break."""

from __future__ import annotations

from datetime import date

import pytest

from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.csv_source import CsvSource
from smsconfirm_tui.sync.errors import SyncError
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.shape import normalise_time
from sync_support import NOW, mirror_snapshot

SALONS = "Filiale;Name;Telefon;Kanton;Absender\nS1;Coiffure Anna;044 212 34 56;ZH;Coiff Anna\n"
CLIENTS = (
    "KundenNr;Vorname;Nachname;Natel;Telefon privat;Sprache;SMS;Tage vorher;Geändert\n"
    "K1;Zoë;Müller;079 123 45 67;;de;ja;2;01.11.2026 10:00\n"
    "K2;François;Grünig;078 222 33 44;044 111 22 33;fr;nein;;2026-11-02\n"
)
APPOINTMENTS = (
    "TerminNr;KundenNr;Filiale;Datum;Von;Bis;Leistung;Mitarbeiterin;Status;Geändert\n"
    "A1;K1;S1;07.12.2026;10:00;10:45;Färben;Anna;booked;01.11.2026 10:00:00\n"
    "A2;K2;S1;2026-12-08;14:00:00;14:30:00;Schneiden;Jasmin;booked;2026-11-01 10:00\n"
)
MAPPING = {
    "salons": {"id": "Filiale", "name": "Name", "phone": "Telefon", "canton": "Kanton", "sender": "Absender"},
    "clients": {
        "id": "KundenNr", "first_name": "Vorname", "last_name": "Nachname", "mobile_phone": "Natel",
        "home_phone": "Telefon privat", "work_phone": "", "language": "Sprache", "confirm_sms": "SMS",
        "confirm_days": "Tage vorher", "updated_at": "Geändert",
    },
    "appointments": {
        "id": "TerminNr", "client_id": "KundenNr", "salon_id": "Filiale", "starts_at": ("Datum", "Von"),
        "ends_at": ("Datum", "Bis"), "service": "Leistung", "staff": "Mitarbeiterin", "status": "Status",
        "updated_at": "Geändert",
    },
}


def write_exports(folder, *, encoding="utf-8", delimiter=";", bom=False, newline="\r\n", texts=None):
    texts = texts or {"salons": SALONS, "clients": CLIENTS, "appointments": APPOINTMENTS}
    files = {}
    for table, text in texts.items():
        path = folder / f"{table}.csv"
        content = text.replace(";", delimiter).replace("\n", newline)
        data = content.encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        path.write_bytes(data)
        files[table] = path
    return files


@pytest.fixture
def mirror(tmp_path):
    mirror = Mirror(tmp_path / "mirror.sqlite")
    yield mirror
    mirror.close()


def sync_csv(mirror, files, **options):
    return merge_source(mirror, CsvSource(files, MAPPING, **options), now=NOW)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ";", False), ("utf-8", ";", True), ("cp1252", ";", False), ("cp1252", ",", False), ("utf-8", "\t", True)],
    ids=["utf8-semicolon", "utf8-bom", "cp1252-semicolon", "cp1252-comma", "utf8-tab"],
)
def test_swiss_exports_import_alike(mirror, tmp_path, encoding, delimiter, bom):
    files = write_exports(tmp_path, encoding=encoding, delimiter=delimiter, bom=bom)
    summary = sync_csv(mirror, files)
    assert summary.skipped == []
    assert summary.new == 5
    first = mirror.client("K1")
    assert (first.first_name, first.last_name) == ("Zoë", "Müller")
    assert first.sms_on is True
    assert first.lead_days == 2
    assert mirror.client("K2").sms_on is False
    assert mirror.client("K2").lead_days is None
    lines = mirror.appointment_lines(date(2026, 12, 7), date(2026, 12, 8))
    assert [(line.id, str(line.starts_at), str(line.ends_at)) for line in lines] == [
        ("A1", "2026-12-07 10:00:00", "2026-12-07 10:45:00"),
        ("A2", "2026-12-08 14:00:00", "2026-12-08 14:30:00"),
    ]
    assert lines[0].service == "Färben"
    updated = dict(mirror.connection.execute("SELECT id, updated_at FROM clients"))
    assert updated == {"K1": "2026-11-01 10:00", "K2": "2026-11-02 00:00:00"}


def test_resync_of_same_export_changes_nothing(mirror, tmp_path):
    files = write_exports(tmp_path, encoding="cp1252")
    sync_csv(mirror, files)
    again = sync_csv(mirror, files)
    assert (again.new, again.changed, again.removed) == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("04.12.2026 09:30", "2026-12-04 09:30"),
        ("4.1.2026 9:05", "2026-01-04 09:05"),
        ("04.12.2026 09:30:15", "2026-12-04 09:30:15"),
        ("2026-12-04 09:30", "2026-12-04 09:30"),
        ("2026-12-04T09:30:00", "2026-12-04 09:30:00"),
        (" 2026-12-04  09:30 ", "2026-12-04 09:30"),
        ("31.02.2026 10:00", "2026-02-31 10:00"),
        ("04.12.2026", "04.12.2026"),
        ("morgen", "morgen"),
        ("ab.cd.efgh ij:kl", "ab.cd.efgh ij:kl"),
    ],
)
def test_normalise_time(text, expected):
    assert normalise_time(text, time_required=True) == expected


def test_normalise_date_without_time():
    assert normalise_time("04.12.2026", time_required=False) == "2026-12-04 00:00:00"


def test_bad_lines_skipped_with_line(mirror, tmp_path):
    appointments = APPOINTMENTS + (
        "A3;K1;S1;31.02.2026;10:00;10:30;Schneiden;Anna;booked;01.11.2026\n"
        "A4;K1;S1;07.12.2026;10:00;10:30;Schneiden;Anna;booked;01.11.2026;extra\n"
        "\n"
        "A5;K7;S1;07.12.2026;11:00;11:30;Schneiden;Anna;booked;01.11.2026\n"
    )
    files = write_exports(tmp_path, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})
    summary = sync_csv(mirror, files)
    skipped = {row.row_id: (row.line, row.reason) for row in summary.skipped}
    assert skipped["A3"][0] == 4
    assert skipped["A3"][1].startswith("start time '2026-02-31 10:00' is not a valid date")
    assert skipped["A4"][0] == 5
    assert skipped["A4"][1].startswith("line 5 has 11 fields but the header has 10")
    assert skipped["A5"] == (7, "unknown client 'K7'")
    assert summary.tables["appointments"].new == 2


MORE_APPOINTMENTS = (
    "A3;K1;S1;09.12.2026;10:00;10:45;Färben;Anna;booked;01.11.2026 10:00:00\n"
    "A4;K2;S1;10.12.2026;11:00;11:30;Schneiden;Anna;booked;01.11.2026 10:00:00\n"
    "A5;K1;S1;11.12.2026;12:00;12:30;Schneiden;Anna;booked;01.11.2026 10:00:00\n"
)


@pytest.mark.parametrize(
    ("broken_line", "message"),
    [
        # The quote opens a field and the file ends before it closes.
        ('A3;K1;S1;09.12.2026;10:00;10:45;"Färben;Anna;booked;01.11.2026 10:00:00\n',
         r"line 4 opens a quoted field with a quote \(\"\) that is never closed"),
        # A second stray quote closes it two lines later.
        ('A3;K1;S1;09.12.2026;10:00;10:45;"Färben;Anna;booked;01.11.2026 10:00:00\n'
         'A4;K2;S1;10.12.2026;11:00;11:30;Schneiden;Anna;booked;01.11.2026 10:00:00\n'
         'A5;K1;S1;11.12.2026;12:00;12:30;Schneiden";Anna;booked;01.11.2026 10:00:00\n',
         r"lines 4 to 6 read as one line, because a quote"),
    ],
    ids=["never-closed", "closed-lines-later"],
)
@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
def test_stray_quote_fails_sync(mirror, tmp_path, broken_line, message, first_load):
    if not first_load:
        good = tmp_path / "good"
        good.mkdir()
        sync_csv(mirror, write_exports(good, texts={"salons": SALONS, "clients": CLIENTS,
                                                     "appointments": APPOINTMENTS + MORE_APPOINTMENTS}))
    before = mirror_snapshot(mirror)
    appointments = APPOINTMENTS + broken_line + ("" if broken_line.count("\n") > 1 else MORE_APPOINTMENTS[
        MORE_APPOINTMENTS.index("A4"):])
    files = write_exports(tmp_path, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    with pytest.raises(SyncError, match=message):
        sync_csv(mirror, files)
    assert mirror_snapshot(mirror) == before


@pytest.mark.parametrize("table", ["salons", "clients", "appointments"])
def test_export_without_rows_fails_sync(mirror, tmp_path, table):
    sync_csv(mirror, write_exports(tmp_path))
    before = mirror_snapshot(mirror)
    cut = tmp_path / "cut"
    cut.mkdir()
    texts = {"salons": SALONS, "clients": CLIENTS, "appointments": APPOINTMENTS}
    texts[table] = texts[table].split("\n", 1)[0] + "\n"  # the header only, as a cut-off export

    rows = 1 if table == "salons" else 2
    with pytest.raises(SyncError, match=f"the source has no usable {table} rows .* would mark all {rows} {table}"):
        sync_csv(mirror, write_exports(cut, texts=texts))
    assert mirror_snapshot(mirror) == before


@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
def test_split_columns_with_empty_time(mirror, tmp_path, first_load):
    if not first_load:
        sync_csv(mirror, write_exports(tmp_path))
    appointments = APPOINTMENTS + (
        "A3;K1;S1;09.12.2026;10:00;;Färben;Anna;booked;01.11.2026 10:00:00\n"
        "A4;K2;S1;10.12.2026;;11:30;Schneiden;Anna;booked;01.11.2026 10:00:00\n"
    )
    folder = tmp_path / "empty-times"
    folder.mkdir()
    files = write_exports(folder, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    summary = sync_csv(mirror, files)

    row = mirror.connection.execute("SELECT starts_at, ends_at FROM appointments WHERE id = 'A3'").fetchone()
    assert tuple(row) == ("2026-12-09 10:00", "")
    assert [(skip.row_id, skip.line) for skip in summary.skipped] == [("A4", 5)]
    assert summary.skipped[0].reason.startswith("start time '' is not a valid date and time")


GERMAN_STATUSES = {"gebucht": "booked", "storniert": "cancelled", "erledigt": "done", "nicht erschienen": "no_show"}


@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
@pytest.mark.parametrize("repeated_id", [False, True], ids=["unique", "repeated-id"])
def test_status_words_of_export_mapped(mirror, tmp_path, first_load, repeated_id):
    if not first_load:
        sync_csv(mirror, write_exports(tmp_path))
    appointments = APPOINTMENTS.replace(";booked;", ";Gebucht;", 1) + (
        "A3;K1;S1;09.12.2026;10:00;10:45;Färben;Anna; storniert ;01.11.2026 10:00:00\n"
        "A4;K2;S1;10.12.2026;11:00;11:30;Schneiden;Anna;Nicht erschienen;01.11.2026 10:00:00\n"
        "A5;K2;S1;10.12.2026;12:00;12:30;Schneiden;Anna;verschoben;01.11.2026 10:00:00\n"
    )
    if repeated_id:  # merged by the streaming path
        appointments += "A3;K1;S1;09.12.2026;10:00;10:45;Färben;Anna;erledigt;01.11.2026 10:00:00\n"
    folder = tmp_path / "statuses"
    folder.mkdir()
    files = write_exports(folder, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    summary = sync_csv(mirror, files, statuses=GERMAN_STATUSES)

    states = dict(mirror.connection.execute("SELECT id, status FROM appointments").fetchall())
    assert states["A1"] == "booked"
    assert states["A3"] == "cancelled"
    assert states["A4"] == "no_show"
    assert "A5" not in states
    reasons = {row.row_id: row.reason for row in summary.skipped}
    assert reasons["A5"].startswith("status 'verschoben' is not one of")


def test_text_after_closing_quote_fails_sync(mirror, tmp_path):
    appointments = APPOINTMENTS + 'A3;K1;S1;09.12.2026;10:00;10:45;"Färben"kurz;Anna;booked;01.11.2026\n'
    files = write_exports(tmp_path, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    with pytest.raises(SyncError, match=r"appointments.csv: line 4 is not valid CSV: ';' expected after '\"'"):
        sync_csv(mirror, files)


def test_short_line_with_line_break_fails(mirror, tmp_path):
    # A short line with a quoted line break: perhaps a stray quote that swallowed the next line.
    appointments = APPOINTMENTS + '"A3\nA4";K1;S1\n' + MORE_APPOINTMENTS[MORE_APPOINTMENTS.index("A5"):]
    files = write_exports(tmp_path, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    with pytest.raises(SyncError, match="lines 4 to 5 read as one line"):
        sync_csv(mirror, files)


def test_quoted_line_break_in_value_imports(mirror, tmp_path):
    appointments = APPOINTMENTS + 'A3;K1;S1;09.12.2026;10:00;10:45;"Färben\nund Föhnen; kurz";Anna;booked;01.11.2026\n'
    files = write_exports(tmp_path, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    summary = sync_csv(mirror, files)

    assert summary.skipped == []
    service = mirror.connection.execute("SELECT service FROM appointments WHERE id = 'A3'").fetchone()[0]
    assert service == "Färben\r\nund Föhnen; kurz"


@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
def test_valid_line_wins_over_skipped_id(mirror, tmp_path, first_load):
    if not first_load:
        sync_csv(mirror, write_exports(tmp_path))
    appointments = APPOINTMENTS + (
        "A9;K7;S1;09.12.2026;10:00;10:45;Färben;Anna;booked;01.11.2026\n"  # unknown client
        "A9;K1;S1;09.12.2026;11:00;11:45;Färben;Anna;booked;01.11.2026\n"
        "A2;K1;S1;09.12.2026;12:00;12:45;Färben;Anna;booked;01.11.2026\n"  # repeats a valid line
    )
    folder = tmp_path / "repeated"
    folder.mkdir()
    files = write_exports(folder, texts={"salons": SALONS, "clients": CLIENTS, "appointments": appointments})

    summary = sync_csv(mirror, files)

    assert [(row.row_id, row.line, row.reason) for row in summary.skipped] == [
        ("A9", 4, "unknown client 'K7'"),
        ("A2", 6, "repeats an id that an earlier row has"),
    ]
    starts = dict(mirror.connection.execute("SELECT id, starts_at FROM appointments WHERE removed = 0").fetchall())
    assert starts == {"A1": "2026-12-07 10:00", "A2": "2026-12-08 14:00", "A9": "2026-12-09 11:00"}


def test_missing_header_names_file_and_column(mirror, tmp_path):
    sync_csv(mirror, write_exports(tmp_path))
    before = mirror_snapshot(mirror)
    broken = tmp_path / "broken"
    broken.mkdir()
    texts = {"salons": SALONS, "clients": CLIENTS.replace("Natel", "Handy"), "appointments": APPOINTMENTS}
    files = write_exports(broken, texts=texts)
    with pytest.raises(SyncError) as raised:
        CsvSource(files, MAPPING)
    message = str(raised.value)
    assert str(files["clients"]) in message
    assert "no column 'Natel' for clients.mobile_phone" in message
    assert "source.columns.clients.mobile_phone" in message
    assert mirror_snapshot(mirror) == before


def test_unmapped_columns_use_their_own_names(mirror, tmp_path):
    texts = {
        "salons": "id,name,phone,canton,sender\nS1,Coiffure Anna,044 212 34 56,ZH,Anna\n",
        "clients": "id,first_name,last_name,mobile_phone,home_phone,work_phone,language,confirm_sms,"
        "confirm_days,updated_at\nK1,Anna,Muster,079 123 45 67,,,de,1,2,2026-11-01 10:00:00\n",
        "appointments": "id,client_id,salon_id,starts_at,ends_at,service,staff,status,updated_at\n"
        'A1,K1,S1,2026-12-07 10:00,2026-12-07 10:30,"Schneiden, Föhnen",Anna,booked,2026-11-01 10:00\n',
    }
    files = write_exports(tmp_path, texts=texts, delimiter=",")
    summary = merge_source(mirror, CsvSource(files), now=NOW)
    assert summary.new == 3
    assert mirror.appointment_lines(date(2026, 12, 7), date(2026, 12, 7))[0].service == "Schneiden, Föhnen"


def test_wrong_encoding_names_the_line(tmp_path):
    files = write_exports(tmp_path)
    # 0x81 is undefined in Windows-1252 and invalid alone in UTF-8.
    files["appointments"].write_bytes(APPOINTMENTS.encode("utf-8") + b"A9;K1;S1;07.12.2026;10:00;;F\x81rben;A;booked;\r\n")
    with pytest.raises(SyncError, match=r"appointments.csv: line 4 has the byte 0x81"):
        CsvSource(files, MAPPING)


def test_wrong_encoding_names_first_undefined_byte(tmp_path):
    files = write_exports(tmp_path)
    lines = b"A8;K1;S1;07.12.2026;10:00;;F\x9drben;A;booked;\r\nA9;K1;S1;07.12.2026;11:00;;F\x81rben;A;booked;\r\n"
    files["appointments"].write_bytes(APPOINTMENTS.encode("cp1252") + lines)
    with pytest.raises(SyncError, match=r"appointments.csv: line 4 has the byte 0x9D"):
        CsvSource(files, MAPPING)


def test_configured_utf8_rejects_cp1252(tmp_path):
    files = write_exports(tmp_path, encoding="cp1252")
    with pytest.raises(SyncError, match=r'clients.csv: line 1 is not valid UTF-8.*source.encoding = "cp1252"'):
        CsvSource(files, MAPPING, encoding="utf-8")


def test_utf16_export_rejected(tmp_path):
    files = write_exports(tmp_path)
    files["salons"].write_bytes(SALONS.encode("utf-16"))
    with pytest.raises(SyncError, match="salons.csv: the file is UTF-16 or UTF-32 encoded"):
        CsvSource(files, MAPPING)
    files["salons"].write_bytes(SALONS.encode("utf-16-le"))
    with pytest.raises(SyncError, match="salons.csv: line 1 contains NUL bytes"):
        CsvSource(files, MAPPING)


def test_missing_file_and_separator(tmp_path):
    files = write_exports(tmp_path)
    files["clients"].unlink()
    with pytest.raises(SyncError, match="clients.csv: export file not found"):
        CsvSource(files, MAPPING)
    files = write_exports(tmp_path)
    files["salons"].write_text("Filiale Name Telefon\n", encoding="utf-8")
    with pytest.raises(SyncError, match="salons.csv: the header \\(line 1\\) has no ';', ',' or tab"):
        CsvSource(files, MAPPING)


def test_progress_counts_csv_lines(mirror, tmp_path):
    seen = []
    merge_source(mirror, CsvSource(write_exports(tmp_path), MAPPING), now=NOW, progress=seen.append)
    read = [(step.table, step.done, step.total) for step in seen if step.step == "read"]
    assert ("appointments", 0, None) in read
    assert read[-1] == ("appointments", 2, 2)


def test_server_values_become_text():
    from datetime import datetime, timezone
    from decimal import Decimal

    from smsconfirm_tui.sync.shape import to_text

    assert to_text(datetime(2026, 12, 4, 8, 30, tzinfo=timezone.utc)) == "2026-12-04 09:30:00"
    assert to_text(datetime(2026, 7, 4, 8, 30, tzinfo=timezone.utc)) == "2026-07-04 10:30:00"
    assert to_text(datetime(2026, 12, 4, 9, 30)) == "2026-12-04 09:30:00"
    assert to_text(Decimal("3")) == 3
    assert to_text(None) is None
