"""Small salon databases for the sync tests, written row by row so each test can break one thing."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)


def salon(id: str = "S1", **values: object) -> dict[str, object]:
    row = {"id": id, "name": "Coiffure Anna", "phone": "044 212 34 56", "canton": "ZH", "sender": "Coiff Anna"}
    row.update(values)
    return row


def client(id: str, **values: object) -> dict[str, object]:
    row = {
        "id": id,
        "first_name": "Anna",
        "last_name": "Muster",
        "mobile_phone": "079 123 45 67",
        "home_phone": "",
        "work_phone": "",
        "language": "de",
        "confirm_sms": 1,
        "confirm_days": 2,
        "updated_at": "2026-11-01 10:00:00",
    }
    row.update(values)
    return row


def appointment(id: str, client_id: str = "K1", **values: object) -> dict[str, object]:
    row = {
        "id": id,
        "client_id": client_id,
        "salon_id": "S1",
        "starts_at": "2026-12-07 10:00",
        "ends_at": "2026-12-07 10:45",
        "service": "Schneiden",
        "staff": "Anna",
        "status": "booked",
        "updated_at": "2026-11-01 10:00:00",
    }
    row.update(values)
    return row


@dataclass
class SalonData:
    """The rows of a salon database, to write as a SQLite file or load into a server."""

    salons: list[dict[str, object]] = field(default_factory=lambda: [salon()])
    clients: list[dict[str, object]] = field(
        default_factory=lambda: [client("K1"), client("K2", first_name="Beat", mobile_phone="078 222 33 44")]
    )
    appointments: list[dict[str, object]] = field(
        default_factory=lambda: [
            appointment("A1", "K1"),
            appointment("A2", "K1", starts_at="2026-12-07 10:45", ends_at="2026-12-07 11:30", service="Färben"),
            appointment("A3", "K2", starts_at="2026-12-08 14:00", ends_at="2026-12-08 14:30"),
        ]
    )

    def table(self, name: str) -> list[dict[str, object]]:
        return getattr(self, name)

    def write_sqlite(
        self, path: Path, *, drop_columns: dict[str, str] | None = None, appointment_key: bool = False
    ) -> Path:
        """Write the rows as a salon database file, leaving out ``drop_columns`` (table -> column).

        With ``appointment_key`` the appointment ids are a primary key, as
        in a real salon database, so that the sync merges them in SQL.
        """
        path.unlink(missing_ok=True)
        connection = sqlite3.connect(path)
        try:
            for table, columns in SOURCE_COLUMNS.items():
                written = [column for column in columns if (drop_columns or {}).get(table) != column]
                # Appointment ids are no primary key by default, so that a test can repeat one.
                definitions = [
                    column + (" PRIMARY KEY" if column == "id" and (table != "appointments" or appointment_key) else "")
                    for column in written
                ]
                connection.execute(f"CREATE TABLE {table} ({', '.join(definitions)})")
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(written)}) VALUES ({', '.join('?' * len(written))})",
                    [tuple(row[column] for column in written) for row in self.table(table)],
                )
            connection.commit()
        finally:
            connection.close()
        return path


def mirror_rows(mirror: Mirror, table: str) -> list[tuple]:
    """Return every row of a mirror table, for comparing the whole mirror before and after."""
    return [tuple(row) for row in mirror.connection.execute(f"SELECT * FROM {table} ORDER BY 1")]


def mirror_snapshot(mirror: Mirror) -> dict[str, list[tuple]]:
    tables = ("meta", "salons", "clients", "appointments", "profile_edits", "messages", "replies", "audit_log")
    return {table: mirror_rows(mirror, table) for table in tables}
