"""The SQL merge of an attached SQLite salon database gives what the streaming merge gives."""

from __future__ import annotations

import pytest

from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync import merge
from smsconfirm_tui.sync.csv_source import CsvSource
from smsconfirm_tui.sync.errors import SyncCancelled, SyncSummary
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.salon_db import SqliteSource
from sync_support import NOW, SalonData, appointment, client, mirror_snapshot


class StreamedSource:
    """A SQLite salon database that the merge cannot attach, so it streams the rows."""

    def __init__(self, inner: SqliteSource) -> None:
        self.inner = inner

    def describe(self) -> str:
        return self.inner.describe()

    def count(self, table: str) -> int | None:
        return self.inner.count(table)

    def rows(self, table: str):
        return self.inner.rows(table)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def mirrors(tmp_path):
    """Two empty mirrors: one for the SQL merge, one for the streaming merge."""
    pair = (Mirror(tmp_path / "attached.sqlite"), Mirror(tmp_path / "streamed.sqlite"))
    yield pair
    for mirror in pair:
        mirror.close()


def _not_called(*args, **kwargs):
    raise AssertionError("the SQL merge fell back to streaming the appointments")


def sync_both(
    mirrors: tuple[Mirror, Mirror], data: SalonData, tmp_path, monkeypatch, *, expect_sql: bool = True
) -> tuple[SyncSummary, SyncSummary]:
    path = data.write_sqlite(tmp_path / "salon.sqlite", appointment_key=True)
    attached_mirror, streamed_mirror = mirrors
    source = SqliteSource(path)
    try:
        with monkeypatch.context() as patch:
            if expect_sql:
                patch.setattr(merge, "merge_appointments", _not_called)
            attached = merge_source(attached_mirror, source, now=NOW)
    finally:
        source.close()
    source = StreamedSource(SqliteSource(path))
    try:
        streamed = merge_source(streamed_mirror, source, now=NOW)
    finally:
        source.close()
    return attached, streamed


def assert_same(mirrors: tuple[Mirror, Mirror], attached: SyncSummary, streamed: SyncSummary) -> None:
    assert attached.tables == streamed.tables
    assert sorted(map(repr, attached.skipped)) == sorted(map(repr, streamed.skipped))
    assert mirror_snapshot(mirrors[0]) == mirror_snapshot(mirrors[1])


BAD_LINES = [
    appointment("B1", "K1", starts_at="2026-02-31 10:00"),
    appointment("B2", "K9"),
    appointment("B3", "K1", salon_id="S9"),
    appointment("B4", "K1", status="vielleicht"),
    appointment("B5", "K1", ends_at="2026-12-07 25:00"),
    appointment("B6", "K1", starts_at="07.12.2026"),
    appointment("B7", "K1", starts_at="2026-12-07T10:00"),
    appointment("B8", "K1", starts_at="2026-12-07 24:00"),
    appointment("B9", "K1", starts_at="2026-12-07 10:00:60"),
    appointment("", "K1"),
]

GOOD_LINES = [
    appointment("G1", "K1", starts_at="2026-12-07 10:00:30", ends_at=""),
    appointment("G2", "K2", starts_at="2028-02-29 09:00", status="no_show"),
    appointment("G3", "K2", staff=None, service=7),
]


def test_first_sync_matches_streaming(mirrors, tmp_path, monkeypatch):
    data = SalonData()
    data.appointments += BAD_LINES + GOOD_LINES
    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch)
    assert_same(mirrors, attached, streamed)
    assert attached.tables["appointments"].new == 6
    assert attached.tables["appointments"].skipped == len(BAD_LINES)


def test_resync_matches_streaming(mirrors, tmp_path, monkeypatch):
    data = SalonData()
    data.clients.append(client("K3", mobile_phone="076 333 44 55"))
    data.appointments += GOOD_LINES + [appointment("C1", "K3"), appointment("C2", "K3", salon_id="S2")]
    data.salons.append({**data.salons[0], "id": "S2"})
    sync_both(mirrors, data, tmp_path, monkeypatch)

    # Change, remove, add and break lines; drop a client and a salon whose lines stay.
    data.appointments[0]["service"] = "Färben"
    removed = data.appointments.pop(1)
    data.appointments[1]["status"] = "vielleicht"  # A3 keeps its old copy
    data.appointments += [appointment("N1", "K2"), appointment("N2", "K2", starts_at="2026-13-01 10:00")]
    data.clients = [row for row in data.clients if row["id"] != "K3"]
    data.salons = [row for row in data.salons if row["id"] != "S2"]
    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch)
    assert_same(mirrors, attached, streamed)
    counts = attached.tables["appointments"]
    assert (counts.new, counts.changed, counts.removed) == (1, 1, 1)
    assert counts.skipped == 4  # A3, N2 and the two lines of the removed client K3

    # The removed line comes back unchanged, and nothing else changes.
    data.appointments.append(removed)
    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch)
    assert_same(mirrors, attached, streamed)
    assert attached.tables["appointments"].changed == 1

    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch)
    assert_same(mirrors, attached, streamed)
    assert attached.tables["appointments"].changed == 0
    assert attached.tables["appointments"].new == 0


def test_ids_equal_as_text_fall_back(mirrors, tmp_path, monkeypatch):
    # Without a declared type, 7 and '7' are two keys to SQLite but one id to the mirror.
    data = SalonData()
    data.appointments += [appointment(7, "K1"), appointment("7", "K2")]
    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch, expect_sql=False)
    assert_same(mirrors, attached, streamed)
    reasons = {row.row_id: row.reason for row in attached.skipped}
    assert reasons["7"] == "repeats an id that an earlier row has"


def test_cancel_stops_the_sql_merge(tmp_path):
    data = SalonData()
    data.appointments += [appointment(f"X{number:05d}", "K1") for number in range(6000)]
    path = data.write_sqlite(tmp_path / "salon.sqlite", appointment_key=True)
    mirror = Mirror(tmp_path / "mirror.sqlite")
    cancelled = False

    def on_progress(step) -> None:
        nonlocal cancelled
        # Cancel once the appointment statement is about to run.
        cancelled = cancelled or (step.table == "appointments" and step.step == "read")

    source = SqliteSource(path)
    try:
        with pytest.raises(SyncCancelled):
            merge_source(mirror, source, now=NOW, progress=on_progress, is_cancelled=lambda: cancelled)
        assert mirror.connection.execute("SELECT count(*) FROM appointments").fetchone()[0] == 0
        assert mirror.connection.execute("SELECT count(*) FROM clients").fetchone()[0] == 0
        databases = [row[1] for row in mirror.connection.execute("PRAGMA database_list")]
        assert databases == ["main"] or databases == ["main", "temp"]
    finally:
        source.close()
        mirror.close()


# -- CSV exports: staged in SQL or streamed ------------------------------------

CSV_SALONS = "Filiale;Name;Telefon;Kanton;Absender\nS1;Coiffure Anna;044 212 34 56;ZH;Coiff Anna\n"
CSV_CLIENTS = (
    "KundenNr;Vorname;Nachname;Natel;Telefon privat;Sprache;SMS;Tage vorher;Geändert\n"
    "K1;Zoë;Müller;079 123 45 67;;de;ja;2;01.11.2026 10:00\n"
    "K2;François;Grünig;+41 (0)78 222 33 44;044 111 22 33;fr;nein;;2026-11-02\n"
    "K3; Jürg\u00a0;Keller\u2009;0041 76 555 66 77;Natel: 079 000 00 12;;x;3;2.11.2026\n"
)
CSV_APPOINTMENTS_HEADER = "TerminNr;KundenNr;Filiale;Datum;Von;Bis;Leistung;Mitarbeiterin;Status;Geändert\n"
CSV_APPOINTMENTS = [
    "A1;K1;S1;07.12.2026;10:00;10:45;Färben;Anna;booked;01.11.2026 10:00:00",
    "A2;K2;S1;2026-12-08;14:00:00;14:30:00;Schneiden;Jasmin;booked;2026-11-01 10:00",
    "A3;K1;S1;7.2.2027;9:05;9:45;Föhnen;Luca;done;1.11.2026 9:00",
    "A4;K1;S1;2026-12-08;14:00;;Bart;Luca;booked;2026-11-01",
    " A5 ;\u00a0K2 ;S1; 08.12.2026 ; 14:00 ;14:30;Schneiden ;Anna;cancelled;01.11.2026",
    "A6;K1;S1;31.02.2026;10:00;10:30;Schneiden;Anna;booked;01.11.2026",
    "A7;K1;S1;2026-12-09T10:00;;;Schneiden;Anna;booked;01.11.2026T10:00",
    "A8;K1;S1;07.12.2026;10:00;10:45;Schneiden;Anna;booked;01.11.2026;zu viel",
    "",
    "A9;K9;S1;07.12.2026;10:00;10:45;Schneiden;Anna;booked;01.11.2026",
    "A10;K3;S1;07.12.2026;24:00;;Schneiden;Anna;no_show;01.11.2026",
    "A11;K3;S1;07.12.2026;;;Schneiden;Anna;booked;01.11.2026",
    "A12;K3;S1;07.12.2026;10:00;10:45;Schneiden;Anna;vielleicht;",
]
CSV_MAPPING = {
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
    "salons": {"id": "Filiale", "name": "Name", "phone": "Telefon", "canton": "Kanton", "sender": "Absender"},
}


def write_csv(folder, lines: list[str]) -> dict[str, object]:
    texts = {
        "salons": CSV_SALONS,
        "clients": CSV_CLIENTS,
        "appointments": CSV_APPOINTMENTS_HEADER + "\r\n".join(lines) + "\r\n",
    }
    files = {}
    for table, text in texts.items():
        files[table] = folder / f"{table}.csv"
        files[table].write_text(text, encoding="utf-8", newline="")
    return files


def sync_csv_both(mirrors, files, monkeypatch, *, expect_sql: bool = True) -> tuple[SyncSummary, SyncSummary]:
    with monkeypatch.context() as patch:
        if expect_sql:
            patch.setattr(merge, "merge_appointments", _not_called)
        staged = merge_source(mirrors[0], CsvSource(files, CSV_MAPPING), now=NOW)
    streamed = merge_source(mirrors[1], StreamedSource(CsvSource(files, CSV_MAPPING)), now=NOW)
    return staged, streamed


def test_csv_first_import_matches_streaming(mirrors, tmp_path, monkeypatch):
    staged, streamed = sync_csv_both(mirrors, write_csv(tmp_path, CSV_APPOINTMENTS), monkeypatch)
    assert_same(mirrors, staged, streamed)
    assert staged.tables["appointments"].new == 5
    lines = {row.row_id: row.line for row in staged.skipped}
    assert lines["A8"] == 9
    assert lines["A9"] == 11


def test_csv_resync_matches_streaming(mirrors, tmp_path, monkeypatch):
    sync_csv_both(mirrors, write_csv(tmp_path, CSV_APPOINTMENTS), monkeypatch)
    changed = [line.replace("Färben", "Strähnen") for line in CSV_APPOINTMENTS if not line.startswith("A2;")]
    changed.append("A20;K2;S1;09.12.2026;08:00;08:30;Schneiden;Anna;booked;02.11.2026 08:00")
    staged, streamed = sync_csv_both(mirrors, write_csv(tmp_path, changed), monkeypatch)
    assert_same(mirrors, staged, streamed)
    counts = staged.tables["appointments"]
    assert (counts.new, counts.changed, counts.removed) == (1, 1, 1)


def test_csv_repeated_id_falls_back(mirrors, tmp_path, monkeypatch):
    lines = [*CSV_APPOINTMENTS, "A1;K2;S1;07.12.2026;11:00;11:45;Schneiden;Anna;booked;01.11.2026"]
    files = write_csv(tmp_path, lines)
    staged, streamed = sync_csv_both(mirrors, files, monkeypatch, expect_sql=False)
    assert_same(mirrors, staged, streamed)
    assert {row.row_id: row.reason for row in staged.skipped}["A1"] == "repeats an id that an earlier row has"
    staged, streamed = sync_csv_both(mirrors, files, monkeypatch, expect_sql=False)
    assert_same(mirrors, staged, streamed)


@pytest.mark.parametrize("time_columns", ["split", "single"])
def test_csv_time_cache_matches_streaming(mirrors, tmp_path, monkeypatch, time_columns):
    # A cache of two entries is cleared many times, and every text repeats with other ids.
    from smsconfirm_tui.sync import csv_source

    monkeypatch.setattr(csv_source, "TIME_CACHE_ENTRIES", 2)
    lines = [f"R{round_number}{line}" for round_number in range(3) for line in CSV_APPOINTMENTS if line]
    mapping = dict(CSV_MAPPING)
    if time_columns == "single":
        mapping["appointments"] = {**CSV_MAPPING["appointments"], "starts_at": "Geändert", "ends_at": ""}
    files = write_csv(tmp_path, lines)
    with monkeypatch.context() as patch:
        patch.setattr(merge, "merge_appointments", _not_called)
        staged = merge_source(mirrors[0], CsvSource(files, mapping), now=NOW)
    streamed = merge_source(mirrors[1], StreamedSource(CsvSource(files, mapping)), now=NOW)
    assert_same(mirrors, staged, streamed)
    assert staged.tables["appointments"].new > 0
    assert staged.tables["appointments"].skipped > 0


def test_resync_moves_start_and_client(mirrors, tmp_path, monkeypatch):
    # A changed start or client is written by another statement than other changes.
    data = SalonData()
    data.appointments += GOOD_LINES
    sync_both(mirrors, data, tmp_path, monkeypatch)
    data.appointments[0]["starts_at"] = "2026-12-09 11:00"
    data.appointments[1]["client_id"] = "K2"
    data.appointments[2]["service"] = "Dauerwelle"
    data.appointments[3]["client_id"] = "K2"
    data.appointments[3]["status"] = "cancelled"
    attached, streamed = sync_both(mirrors, data, tmp_path, monkeypatch)
    assert_same(mirrors, attached, streamed)
    counts = attached.tables["appointments"]
    assert (counts.new, counts.changed, counts.skipped) == (0, 4, 0)
    assert counts.unchanged == len(data.appointments) - 4
    stored = mirrors[0].connection.execute(
        "SELECT starts_at FROM appointments WHERE id = ?", (data.appointments[0]["id"],)
    ).fetchone()
    assert stored[0] == "2026-12-09 11:00"
