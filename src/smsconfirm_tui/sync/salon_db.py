"""Read a salon database in the SQLite shape the product expects."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from smsconfirm_tui.sync.errors import SyncError
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS

__all__ = ["SOURCE_COLUMNS", "SqliteSource"]


class SqliteSource:
    """A salon database in a SQLite file, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SyncError(f"salon database {self.path} not found: check the source path in the config")
        try:
            self.connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._check_columns()
        except sqlite3.DatabaseError as error:
            raise SyncError(
                f"salon database {self.path} cannot be read: {error}: check that it is a SQLite file"
            ) from error

    def _check_columns(self) -> None:
        for table, columns in SOURCE_COLUMNS.items():
            present = {row[1] for row in self.connection.execute(f"PRAGMA table_info({table})")}
            if not present:
                raise SyncError(
                    f"salon database {self.path}: table {table!r} is missing: "
                    "point the config at a database in the salon database shape, or use kind = \"sql\" with queries"
                )
            missing = [column for column in columns if column not in present]
            if missing:
                raise SyncError(
                    f"salon database {self.path}: table {table!r} lacks column(s) "
                    f"{', '.join(missing)}: add them, or use kind = \"sql\" with a query that returns them"
                )

    def describe(self) -> str:
        return f"salon database {self.path}"

    def count(self, table: str) -> int | None:
        return self.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def rows(self, table: str) -> Iterator[dict[str, object]]:
        columns = SOURCE_COLUMNS[table]
        cursor = self.connection.execute(f"SELECT {', '.join(columns)} FROM {table}")
        try:
            for values in cursor:
                yield dict(zip(columns, values))
        except sqlite3.DatabaseError as error:
            raise SyncError(f"salon database {self.path}: reading table {table!r} failed: {error}") from error

    def close(self) -> None:
        self.connection.close()
