"""The merge: incremental writes, removed rows, local state, conflicts, skipped rows, one transaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smsconfirm_tui.sending import outbox
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.store.profiles import save_profile
from smsconfirm_tui.sync.errors import SyncCancelled, SyncError
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.salon_db import SqliteSource
from sync_support import NOW, SalonData, appointment, client, mirror_snapshot


def sync(mirror: Mirror, data: SalonData, tmp_path, **options):
    source = SqliteSource(data.write_sqlite(tmp_path / "salon.sqlite"))
    try:
        return merge_source(mirror, source, now=options.pop("now", NOW), **options)
    finally:
        source.close()


@pytest.fixture
def mirror(tmp_path):
    mirror = Mirror(tmp_path / "mirror.sqlite")
    yield mirror
    mirror.close()


def test_first_sync_counts_every_row(mirror, tmp_path):
    summary = sync(mirror, SalonData(), tmp_path)
    assert (summary.new, summary.changed, summary.removed, summary.skipped_total) == (6, 0, 0, 0)
    assert summary.tables["appointments"].new == 3
    assert mirror.get_meta("last_sync_at") == "2026-12-04T09:00:00+01:00"
    assert mirror.client("K1").phone_e164 == "+41791234567"


def test_resync_writes_only_changes(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    again = sync(mirror, data, tmp_path)
    assert (again.new, again.changed, again.removed) == (0, 0, 0)
    assert again.unchanged == 6

    data.appointments[0]["starts_at"] = "2026-12-07 11:00"
    data.clients[1]["last_name"] = "Neu"
    data.appointments.append(appointment("A4", "K2", starts_at="2026-12-09 09:00"))
    changed = sync(mirror, data, tmp_path)
    assert changed.tables["appointments"].changed == 1
    assert changed.tables["appointments"].new == 1
    assert changed.tables["clients"].changed == 1
    assert changed.unchanged == 4
    lines = mirror.appointment_lines(date(2026, 12, 7), date(2026, 12, 7))
    assert [line.starts_at.hour for line in lines] == [10, 11]


def test_removed_lines_cancel_the_visit(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    data.appointments = [row for row in data.appointments if row["client_id"] != "K2"]
    summary = sync(mirror, data, tmp_path)
    assert summary.tables["appointments"].removed == 1
    removed = mirror.connection.execute("SELECT removed FROM appointments WHERE id = 'A3'").fetchone()
    assert removed[0] == 1
    from smsconfirm_tui.domain.visits import group_visits

    visits = group_visits(mirror.appointment_lines(date(2026, 12, 8), date(2026, 12, 8)))
    assert len(visits) == 1
    assert visits[0].cancelled

    # The line comes back when the source has it again.
    data.appointments.append(appointment("A3", "K2", starts_at="2026-12-08 14:00", ends_at="2026-12-08 14:30"))
    back = sync(mirror, data, tmp_path)
    assert back.tables["appointments"].changed == 1
    assert mirror.connection.execute("SELECT removed FROM appointments WHERE id = 'A3'").fetchone()[0] == 0


def test_removed_client_keeps_history(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    data.clients = [row for row in data.clients if row["id"] != "K2"]
    summary = sync(mirror, data, tmp_path)
    assert summary.tables["clients"].removed == 1
    assert mirror.client("K2").removed
    # Its appointment line now names an unknown client: skipped, and its old copy stays.
    assert [(row.row_id, row.reason) for row in summary.skipped] == [("A3", "unknown client 'K2'")]
    assert mirror.connection.execute("SELECT removed FROM appointments WHERE id = 'A3'").fetchone()[0] == 0


def test_local_state_survives_resync(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K2", sms_on=False, lead_days=3, language="fr", actor="anna", now=NOW)
    item = outbox.OutboxItem(
        visit_key="S1|K1|2026-12-07",
        visit_starts_at=NOW.replace(tzinfo=None) + timedelta(days=3, hours=1),
        client_id="K1",
        salon_id="S1",
        to_e164="+41791234567",
        text="Termin morgen",
        sender="Coiff Anna",
    )
    outbox.enqueue(mirror, [item], actor="anna", now=NOW, provider="demo")
    mirror.connection.execute(
        "INSERT INTO replies (provider, provider_id, from_e164, text, received_at, reply_class) "
        "VALUES ('demo', 'r1', '+41791234567', 'Ja gerne', '2026-12-04T08:00:00Z', 'yes')"
    )
    before = mirror_snapshot(mirror)

    data.appointments[0]["service"] = "Schneiden und Föhnen"
    data.clients[0]["first_name"] = "Anne"
    sync(mirror, data, tmp_path)
    after = mirror_snapshot(mirror)
    for table in ("messages", "replies", "profile_edits"):
        assert after[table] == before[table], table
    assert after["audit_log"][: len(before["audit_log"])] == before["audit_log"]
    profile = mirror.client("K2")
    assert (profile.sms_on, profile.lead_days, profile.language) == (False, 3, "fr")


def test_local_edit_newer_than_source_wins(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K1", sms_on=False, lead_days=4, language="de", actor="anna", now=NOW)
    data.clients[0].update(confirm_days=5, updated_at="2026-12-03 18:00:00")  # before the edit
    sync(mirror, data, tmp_path)
    profile = mirror.client("K1")
    assert (profile.sms_on, profile.lead_days) == (False, 4)
    entry = mirror.audit_entries("K1")[-1]
    assert entry["action"] == "sync_profile_kept"
    assert entry["old_value"] == "source (1, 5, 'de')"
    assert entry["new_value"] == "local (0, 4, 'de')"


@pytest.mark.parametrize("updated_at", ["kein Datum", "05.12.26 10:00", "2026-12-32 10:00:00", ""])
def test_invalid_source_change_time_keeps_edit(mirror, tmp_path, updated_at):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K1", sms_on=False, lead_days=4, language="de", actor="anna", now=NOW)
    data.clients[0].update(confirm_days=5, updated_at=updated_at)
    sync(mirror, data, tmp_path, now=NOW + timedelta(hours=1))

    profile = mirror.client("K1")
    assert (profile.sms_on, profile.lead_days) == (False, 4)
    entry = mirror.audit_entries("K1")[-1]
    assert entry["action"] == "sync_profile_kept"
    assert "is not a valid date and time" in entry["detail"]


def test_later_source_date_beats_edit(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K1", sms_on=False, lead_days=4, language="de", actor="anna", now=NOW)
    data.clients[0].update(confirm_days=5, updated_at="2026-12-05")  # a date column, after the edit
    sync(mirror, data, tmp_path, now=NOW + timedelta(days=1))

    assert mirror.client("K1").lead_days == 5
    assert mirror.audit_entries("K1")[-1]["action"] == "sync_profile_replaced"


def test_source_change_after_edit_wins(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K1", sms_on=False, lead_days=4, language="de", actor="anna", now=NOW)
    data.clients[0].update(confirm_days=5, updated_at="2026-12-04 09:30:00")  # after the edit
    sync(mirror, data, tmp_path, now=NOW + timedelta(hours=1))
    profile = mirror.client("K1")
    assert (profile.sms_on, profile.lead_days) == (True, 5)
    assert profile.edited_at is None
    entry = mirror.audit_entries("K1")[-1]
    assert entry["action"] == "sync_profile_replaced"
    assert entry["old_value"] == "local (0, 4, 'de')"
    assert entry["new_value"] == "source (1, 5, 'de')"


def test_source_change_elsewhere_keeps_edit(mirror, tmp_path):
    data = SalonData()
    sync(mirror, data, tmp_path)
    save_profile(mirror, "K1", sms_on=False, lead_days=4, language="de", actor="anna", now=NOW)
    entries = len(mirror.audit_entries("K1"))
    data.clients[0].update(last_name="Neu", updated_at="2026-12-04 10:00:00")
    sync(mirror, data, tmp_path)
    assert mirror.client("K1").lead_days == 4
    assert mirror.client("K1").last_name == "Neu"
    assert len(mirror.audit_entries("K1")) == entries


BAD_APPOINTMENTS = [
    (appointment("B1", "K1", starts_at="2026-02-31 10:00"), "start time '2026-02-31 10:00' is not a valid"),
    (appointment("B2", "K9"), "unknown client 'K9'"),
    (appointment("B3", "K1", salon_id="S9"), "unknown salon 'S9'"),
    (appointment("B4", "K1", status="vielleicht"), "status 'vielleicht' is not one of"),
    (appointment("B5", "K1", ends_at="2026-12-07 25:00"), "end time '2026-12-07 25:00' is not a valid"),
    (appointment("B6", "K1", starts_at="07.12.2026"), "start time '07.12.2026' is not a valid"),
    (appointment("", "K1"), "empty id"),
    # Quoted as SQLite's quote() does, as the SQL merge words it.
    (appointment("B7", "K'9"), "unknown client 'K''9'"),
    # A UTC offset: Python's fromisoformat would take it, SQLite's datetime() does not.
    (appointment("B8", "K1", starts_at="2026-12-07 10:00+01"), "start time '2026-12-07 10:00+01' is not a valid"),
]


@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
def test_bad_rows_skipped_with_reason(mirror, tmp_path, first_load):
    data = SalonData()
    if not first_load:
        sync(mirror, data, tmp_path)
    data.appointments += [row for row, _ in BAD_APPOINTMENTS]
    data.appointments.append(appointment("A1", "K2", service="doppelt"))
    data.clients.append(client("K3", confirm_sms="vielleicht"))
    data.clients.append(client("K4", confirm_days="zwei"))
    summary = sync(mirror, data, tmp_path)

    reasons = {(row.table, row.row_id): row.reason for row in summary.skipped}
    for row, reason in BAD_APPOINTMENTS:
        assert reasons[("appointments", row["id"])].startswith(reason)
    assert reasons[("appointments", "A1")] == "repeats an id that an earlier row has"
    assert reasons[("clients", "K3")].startswith("confirm_sms 'vielleicht' is not one of")
    assert reasons[("clients", "K4")] == "confirm_days 'zwei' is not a whole number of days"
    assert summary.skipped_total == len(BAD_APPOINTMENTS) + 3
    assert all(row.line is None for row in summary.skipped)
    ids = {row[0] for row in mirror.connection.execute("SELECT id FROM appointments")}
    assert ids == {"A1", "A2", "A3"}
    assert mirror.connection.execute("SELECT service FROM appointments WHERE id = 'A1'").fetchone()[0] == "Schneiden"


def test_valid_times_pass_the_check(mirror, tmp_path):
    data = SalonData()
    data.appointments = [
        appointment(f"T{minute}", "K1", starts_at=f"2026-12-07 {minute // 60:02d}:{minute % 60:02d}:59", ends_at="")
        for minute in range(0, 24 * 60, 7)
    ]
    summary = sync(mirror, data, tmp_path)
    assert summary.skipped == []
    assert summary.tables["appointments"].new == len(data.appointments)


def test_missing_column_aborts_unchanged(mirror, tmp_path):
    sync(mirror, SalonData(), tmp_path)
    before = mirror_snapshot(mirror)
    path = SalonData().write_sqlite(tmp_path / "broken.sqlite", drop_columns={"appointments": "starts_at"})
    with pytest.raises(SyncError, match=r"broken.sqlite: table 'appointments' lacks column\(s\) starts_at"):
        SqliteSource(path)
    assert mirror_snapshot(mirror) == before


def test_unreadable_database_aborts(tmp_path):
    path = tmp_path / "salon.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SyncError, match="cannot be read"):
        SqliteSource(path)
    with pytest.raises(SyncError, match="not found"):
        SqliteSource(tmp_path / "missing.sqlite")


class FailingSource:
    """A source that breaks after some appointment lines, as a dropped connection would."""

    def __init__(self, inner: SqliteSource, fail_after: int) -> None:
        self.inner = inner
        self.fail_after = fail_after

    def describe(self) -> str:
        return "failing source"

    def count(self, table: str) -> int | None:
        return None

    def rows(self, table: str):
        for number, row in enumerate(self.inner.rows(table)):
            if table == "appointments" and number == self.fail_after:
                raise SyncError("the connection to the server was lost")
            yield row

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("first_load", [True, False], ids=["first-sync", "resync"])
def test_failure_midway_changes_nothing(mirror, tmp_path, first_load):
    data = SalonData()
    data.appointments += [appointment(f"X{number}", "K1") for number in range(12000)]
    if not first_load:
        sync(mirror, SalonData(), tmp_path)
    before = mirror_snapshot(mirror)
    data.clients[0]["first_name"] = "Geändert"
    source = FailingSource(SqliteSource(data.write_sqlite(tmp_path / "salon.sqlite")), fail_after=11000)
    with pytest.raises(SyncError, match="connection to the server was lost"):
        merge_source(mirror, source, now=NOW)
    assert mirror_snapshot(mirror) == before
    indexes = {row[0] for row in mirror.connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"appointments_starts_at", "appointments_client", "clients_phone_e164"} <= indexes


def test_cancelled_sync_changes_nothing(mirror, tmp_path):
    data = SalonData()
    data.appointments += [appointment(f"X{number}", "K1") for number in range(6000)]
    source = SqliteSource(data.write_sqlite(tmp_path / "salon.sqlite"))
    with pytest.raises(SyncCancelled):
        merge_source(mirror, source, now=NOW, is_cancelled=lambda: True)
    assert mirror.connection.execute("SELECT count(*) FROM appointments").fetchone()[0] == 0
    assert mirror.get_meta("last_sync_at") is None


def test_progress_reports_each_table(mirror, tmp_path):
    seen = []
    sync(mirror, SalonData(), tmp_path, progress=seen.append)
    read = [(step.table, step.done, step.total) for step in seen if step.step == "read"]
    assert ("salons", 1, 1) in read
    assert ("clients", 2, 2) in read
    assert ("appointments", 3, 3) in read
    assert [step.table for step in seen if step.step == "merge"] == ["salons", "clients", "appointments"]
