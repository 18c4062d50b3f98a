"""Pieces every merge step shares: batch size, progress, cancelling and bulk-load indexes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from smsconfirm_tui.sync.errors import SyncCancelled

# Rows per executemany call; also how often progress is reported.
BATCH_ROWS = 5000


@dataclass(frozen=True)
class SyncProgress:
    """The step a running sync is at: reading a table from the source, or merging."""

    step: str  # "read" or "merge"
    table: str
    done: int  # rows read so far (read), tables merged so far (merge)
    total: int | None  # rows in the table when the source can count them; 3 tables when merging


ProgressCallback = Callable[[SyncProgress], None]


def check_cancelled(is_cancelled: Callable[[], bool]) -> None:
    if is_cancelled():
        raise SyncCancelled("the sync was cancelled; the mirror is unchanged")


def drop_secondary_indexes(connection: sqlite3.Connection, table: str) -> list[str]:
    """Drop the table's own indexes and return the statements that make them again.

    Building an index once after a bulk insert is faster than updating it
    for every row. Call it only on an empty table and inside the sync's
    transaction, so that a failed sync rolls the drop back.
    """
    indexes = connection.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX main."{name}"')
    return [sql for _, sql in indexes]
