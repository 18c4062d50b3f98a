"""Merge the appointment lines while they stream from the source.

Appointments are by far the largest table, so they skip the staging table
that salons and clients use: each batch of source rows is checked in
Python and written straight into the mirror, inside the sync's
transaction. On the first sync (an empty table) the rows are plainly
inserted and the indexes built once at the end. On later syncs an upsert
writes a row only when it is new or a value differs, and a temporary
trigger counts the new ones. The ids seen go to a temporary table, which
finds repeated ids and the lines gone from the source without keeping any
id in Python's memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from operator import itemgetter

from smsconfirm_tui.sync.batches import (
    BATCH_ROWS,
    ProgressCallback,
    SyncProgress,
    check_cancelled,
    drop_secondary_indexes,
)
from smsconfirm_tui.sync.errors import MAX_SKIPPED_DETAILS, SkippedRow, SyncError, SyncSummary, TableSummary
from smsconfirm_tui.sync.shape import LINE_KEY, PROBLEM_KEY, SOURCE_COLUMNS, Source, is_mirror_time, quote_text

APPOINTMENT_STATES = frozenset({"booked", "cancelled", "done", "no_show"})
COLUMNS = SOURCE_COLUMNS["appointments"]
TIME_HINT = "is not a valid date and time (YYYY-MM-DD HH:MM or dd.mm.yyyy HH:MM, seconds allowed)"

# A valid line claims its id. The claim changes 0 rows when an earlier valid line has claimed the id.
_CLAIM = (
    "INSERT INTO temp.seen_appointments (id, claimed) VALUES (?, 1) "
    "ON CONFLICT (id) DO UPDATE SET claimed = 1 WHERE claimed = 0"
)

_INSERT = (
    f"INSERT INTO main.appointments ({', '.join(COLUMNS)}, removed) VALUES ({', '.join('?' * len(COLUMNS))}, 0) "
    "ON CONFLICT (id) DO NOTHING"
)
# Writes a row only when it is new or one of its values differs, so that
# SQLite compares the rows in C and the rowcount is the rows written.
_UPSERT = (
    f"INSERT INTO main.appointments ({', '.join(COLUMNS)}, removed) VALUES ({', '.join('?' * len(COLUMNS))}, 0) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{column} = excluded.{column}' for column in COLUMNS[1:])}, "
    f"removed = 0 WHERE ({', '.join(f'appointments.{column}' for column in COLUMNS[1:])}, appointments.removed) "
    f"IS NOT ({', '.join(f'excluded.{column}' for column in COLUMNS[1:])}, 0)"
)
_VALUES = itemgetter(*COLUMNS)


def merge_appointments(
    connection: sqlite3.Connection,
    source: Source,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
) -> TableSummary:
    """Merge the source's appointments into the mirror; call inside the sync's transaction."""
    clients = {row[0] for row in connection.execute("SELECT id FROM main.clients WHERE removed = 0")}
    salons = {row[0] for row in connection.execute("SELECT id FROM main.salons WHERE removed = 0")}
    first_load = connection.execute("SELECT 1 FROM main.appointments LIMIT 1").fetchone() is None
    merger = _Merger(connection, summary, clients, salons, first_load)
    total = source.count("appointments")
    if progress:
        progress(SyncProgress("read", "appointments", 0, total))
    count = 0
    for count, batch in _batches(source):
        merger.merge_batch(batch)
        check_cancelled(is_cancelled)
        if progress:
            progress(SyncProgress("read", "appointments", count, total))
    if progress and total is None:
        # Now the count is known: report the table as read to the end.
        progress(SyncProgress("read", "appointments", count, count))
    merger.finish()
    if progress:
        progress(SyncProgress("merge", "appointments", 2, 3))
    return merger.counts


def _batches(source: Source) -> Iterator[tuple[int, list[dict[str, object]]]]:
    """Yield (rows read so far, batch) pairs and close the source's iterator at the end."""
    rows = source.rows("appointments")
    batch: list[dict[str, object]] = []
    count = 0
    try:
        for count, row in enumerate(rows, start=1):
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                yield count, batch
                batch = []
        if batch:
            yield count, batch
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


class _Merger:
    def __init__(
        self,
        connection: sqlite3.Connection,
        summary: SyncSummary,
        clients: set[str],
        salons: set[str],
        first_load: bool,
    ) -> None:
        self.connection = connection
        self.summary = summary
        self.clients = clients
        self.salons = salons
        self.first_load = first_load
        self.counts = TableSummary()
        self.rebuild: list[str] = []
        if first_load:
            self.rebuild = drop_secondary_indexes(connection, "appointments")
        else:
            connection.execute("DROP TABLE IF EXISTS temp.seen_appointments")
            # Every id of the source, with claimed = 1 once a valid line has it. So a skipped
            # line keeps its old copy, and a later valid line with its id still counts.
            connection.execute(
                "CREATE TEMP TABLE seen_appointments (id TEXT PRIMARY KEY, claimed INTEGER NOT NULL) WITHOUT ROWID"
            )
            # Counts the rows the upsert inserts, to tell new rows from changed ones.
            connection.execute("DROP TABLE IF EXISTS temp.new_appointments")
            connection.execute("CREATE TEMP TABLE new_appointments (count INTEGER NOT NULL)")
            connection.execute("INSERT INTO temp.new_appointments VALUES (0)")
            connection.execute(
                "CREATE TEMP TRIGGER count_new_appointments AFTER INSERT ON main.appointments "
                "BEGIN UPDATE new_appointments SET count = count + 1; END"
            )

    # -- one batch --------------------------------------------------------

    def merge_batch(self, batch: list[dict[str, object]]) -> None:
        good: list[tuple[int | None, tuple[str, ...]]] = []  # (line in a CSV file, values)
        for row in batch:
            values, problem = self._check(row)
            if problem is None:
                good.append((row.get(LINE_KEY), values))
            else:
                self._skip(values[0], problem, row.get(LINE_KEY))
        if self.first_load:
            self._insert(good)
        else:
            self._upsert(good)

    def _check(self, row: dict[str, object]) -> tuple[tuple[str, ...], str | None]:
        """Return the row's values as the mirror stores them, and the reason to skip it (None: keep it)."""
        try:
            values = _VALUES(row)
        except KeyError as error:
            raise SyncError(f"an appointment row from the source has no column {error.args[0]!r}") from error
        if not _all_text(values):
            values = tuple(map(_text, values))
        row_id, client_id, salon_id, starts_at, ends_at, _, _, status, _ = values
        problem = row.get(PROBLEM_KEY)
        if problem is not None:
            return values, str(problem)
        if not row_id:
            return values, "empty id"
        if client_id not in self.clients:
            return values, f"unknown client {quote_text(client_id)}"
        if salon_id not in self.salons:
            return values, f"unknown salon {quote_text(salon_id)}"
        if not is_mirror_time(starts_at):
            return values, f"start time {quote_text(starts_at)} {TIME_HINT}"
        if ends_at and not is_mirror_time(ends_at):
            return values, f"end time {quote_text(ends_at)} {TIME_HINT}"
        if status not in APPOINTMENT_STATES:
            return values, f"status {quote_text(status)} is not one of {', '.join(sorted(APPOINTMENT_STATES))}"
        # The mirror keeps times to the minute.
        return (row_id, client_id, salon_id, starts_at[:16], ends_at[:16], *values[5:]), None

    def _skip(self, row_id: str, reason: str, line: object) -> None:
        self.counts.skipped += 1
        if self.counts.skipped <= MAX_SKIPPED_DETAILS:
            self.summary.skipped.append(SkippedRow("appointments", row_id, reason, _line(line)))
        if row_id and not self.first_load:
            # A skipped line keeps its old mirror copy: it is not gone from the source.
            self.connection.execute("INSERT OR IGNORE INTO temp.seen_appointments (id, claimed) VALUES (?, 0)", (row_id,))

    def _insert(self, good: list[tuple[int | None, tuple[str, ...]]]) -> None:
        connection = self.connection
        connection.execute("SAVEPOINT appointment_batch")
        cursor = connection.executemany(_INSERT, [values for _, values in good])
        if cursor.rowcount == len(good):
            connection.execute("RELEASE appointment_batch")
            self.counts.new += len(good)
            return
        # Some id repeats an earlier one: insert the batch again row by row to find them.
        connection.execute("ROLLBACK TO appointment_batch")
        for line, values in good:
            if connection.execute(_INSERT, values).rowcount:
                self.counts.new += 1
            else:
                self._skip(values[0], "repeats an id that an earlier row has", line)
        connection.execute("RELEASE appointment_batch")

    def _upsert(self, good: list[tuple[int | None, tuple[str, ...]]]) -> None:
        connection = self.connection
        connection.execute("SAVEPOINT appointment_batch")
        cursor = connection.executemany(_CLAIM, [(values[0],) for _, values in good])
        if cursor.rowcount != len(good):
            connection.execute("ROLLBACK TO appointment_batch")
            first_seen = []
            for line, values in good:
                if connection.execute(_CLAIM, (values[0],)).rowcount:
                    first_seen.append((line, values))
                else:
                    self._skip(values[0], "repeats an id that an earlier row has", line)
            good = first_seen
        if good:
            new_before = self._new_count()
            written = connection.executemany(_UPSERT, [values for _, values in good]).rowcount
            new = self._new_count() - new_before
            self.counts.new += new
            self.counts.changed += written - new
            self.counts.unchanged += len(good) - written
        connection.execute("RELEASE appointment_batch")

    def _new_count(self) -> int:
        return self.connection.execute("SELECT count FROM temp.new_appointments").fetchone()[0]

    # -- after the last batch ---------------------------------------------

    def finish(self) -> None:
        for statement in self.rebuild:
            self.connection.execute(statement)
        if not self.first_load:
            self.connection.execute("DROP TRIGGER temp.count_new_appointments")
            cursor = self.connection.execute(
                "UPDATE main.appointments SET removed = 1 WHERE removed = 0 AND NOT EXISTS "
                "(SELECT 1 FROM temp.seen_appointments AS seen WHERE seen.id = appointments.id)"
            )
            self.counts.removed = cursor.rowcount


def _all_text(values: tuple[object, ...]) -> bool:
    for value in values:
        if value.__class__ is not str:
            return False
    return True


def _text(value: object) -> str:
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    return "" if value is None else str(value)


def _line(value: object) -> int | None:
    return value if isinstance(value, int) else None
