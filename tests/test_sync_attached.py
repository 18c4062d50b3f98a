"""The SQL merge of an attached SQLite salon database gives what the streaming merge gives."""

from __future__ import annotations

import pytest

from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync import merge
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
