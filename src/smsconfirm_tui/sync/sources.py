"""Open the source that the config names."""

from __future__ import annotations

from smsconfirm_tui.config import SourceConfig
from smsconfirm_tui.sync.errors import SyncError
from smsconfirm_tui.sync.shape import Source


def open_source(config: SourceConfig) -> Source:
    """Open the salon database for reading; raises SyncError when it cannot be opened or lacks columns."""
    if config.kind == "sqlite":
        from smsconfirm_tui.sync.salon_db import SqliteSource

        if config.path is None:
            raise SyncError("no salon database file given: set source.path in the config")
        return SqliteSource(config.path)
    if config.kind == "sql":
        from smsconfirm_tui.sync.sql_source import SqlSource

        return SqlSource(config.url, config.queries)
    if config.kind == "csv":
        from smsconfirm_tui.sync.csv_source import CsvSource

        return CsvSource(
            config.files,
            config.columns,
            delimiter=config.delimiter,
            encoding=config.encoding,
            statuses=config.statuses,
        )
    raise SyncError(f"source kind {config.kind!r} is not supported: use sqlite, sql or csv")
