"""Read a salon database in the SQLite shape the product expects."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from smsconfirm_tui.sync.errors import SyncError

SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "salons": ("id", "name", "phone", "canton", "sender"),
    "clients": (
        "id",
        "first_name",
        "last_name",
        "mobile_phone",
        "home_phone",
        "work_phone",
        "language",
        "confirm_sms",
        "confirm_days",
        "updated_at",
    ),
    "appointments": (
        "id",
        "client_id",
        "salon_id",
        "starts_at",
        "ends_at",
        "service",
        "staff",
        "status",
        "updated_at",
    ),
}


class SqliteSource:
    """A salon database in a SQLite file, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SyncError(f"salon database {self.path} not found: check the source path in the config")
        try:
            self.connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._check_columns()
        except sqlite3.DatabaseError as error:
            raise SyncError(f"salon database {self.path} cannot be read: {error}") from error

    def _check_columns(self) -> None:
        for table, columns in SOURCE_COLUMNS.items():
            present = {row[1] for row in self.connection.execute(f"PRAGMA table_info({table})")}
            if not present:
                raise SyncError(f"salon database {self.path}: table {table!r} is missing")
            missing = [column for column in columns if column not in present]
            if missing:
                raise SyncError(
                    f"salon database {self.path}: table {table!r} lacks column(s) "
                    f"{', '.join(missing)}"
                )

    def rows(self, table: str) -> Iterator[dict[str, object]]:
        columns = SOURCE_COLUMNS[table]
        cursor = self.connection.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"
        )
        for values in cursor:
            yield dict(zip(columns, values, strict=True))

    def close(self) -> None:
        self.connection.close()
