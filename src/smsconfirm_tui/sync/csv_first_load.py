"""Load a CSV export's appointment lines straight into a mirror that has none yet.

A first sync from CSV would otherwise write every line twice: once into a
staging table and once into the mirror. Here the lines go from csv.reader
into ``main.appointments`` in one executemany per batch, each under the
rowid of its line in the file. The lines that fail a check are left out
and reported under their line, with the checks, their order and the
reasons of the staged merge (attached.problem_sql). The reader has
checked the times already and marked the invalid ones
(csv_source.mirror_time).

A repeated id stops the load: everything it wrote is rolled back, and the
caller stages the export, whose merge names every repeated line.

The load reads the file inside the sync's transaction, so it holds the
mirror's write lock for the whole read (about 10 s for 1,000,000 lines on
2 cores). A mirror without appointments has nothing to send, so no sender
in another terminal waits for it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from smsconfirm_tui.sync.appointments import APPOINTMENT_STATES, COLUMNS, TIME_HINT
from smsconfirm_tui.sync.batches import ProgressCallback, SyncProgress, check_cancelled, drop_secondary_indexes
from smsconfirm_tui.sync.csv_source import CsvSource, SkippedLines
from smsconfirm_tui.sync.errors import SkippedRow, SyncSummary, TableSummary
from smsconfirm_tui.sync.shape import INVALID_TIME_MARK, quote_text

log = logging.getLogger(__name__)

_INSERT = (
    f"INSERT INTO main.appointments (rowid, {', '.join(COLUMNS)}, removed) "
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))}, 0)"
)
_STATES = ", ".join(sorted(APPOINTMENT_STATES))


def load_first_appointments(
    connection: sqlite3.Connection,
    source: CsvSource,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
) -> TableSummary | None:
    """Load the export's appointment lines into the empty mirror; call inside the sync's transaction.

    Returns None, with the mirror as it was, when the mirror already has
    appointments or an id repeats.
    """
    if connection.execute("SELECT 1 FROM main.appointments LIMIT 1").fetchone() is not None:
        return None
    counts = TableSummary()
    skipped = SkippedLines()
    connection.execute("SAVEPOINT csv_first_load")
    try:
        rebuild = drop_secondary_indexes(connection, "appointments")
        loaded = _insert_lines(connection, source, skipped, progress, is_cancelled)
        for statement in rebuild:
            connection.execute(statement)
    except sqlite3.IntegrityError as error:
        connection.execute("ROLLBACK TO csv_first_load")
        connection.execute("RELEASE csv_first_load")
        log.info("appointment ids of %s repeat (%s); staging the lines instead", source.describe(), error)
        return None
    except BaseException:
        connection.execute("ROLLBACK TO csv_first_load")
        connection.execute("RELEASE csv_first_load")
        raise
    connection.execute("RELEASE csv_first_load")

    counts.new = loaded
    counts.skipped = skipped.count
    summary.skipped.extend(SkippedRow("appointments", row_id, reason, line) for line, row_id, reason in skipped.first())
    if progress:
        progress(SyncProgress("read", "appointments", loaded + skipped.count, loaded + skipped.count))
        progress(SyncProgress("merge", "appointments", 2, 3))
    return counts


def _insert_lines(
    connection: sqlite3.Connection,
    source: CsvSource,
    skipped: SkippedLines,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
) -> int:
    """Insert every line that passes the checks, record the others in ``skipped``, and return how many went in."""
    clients = _active_ids(connection, "clients")
    salons = _active_ids(connection, "salons")
    loaded = 0
    if progress:
        progress(SyncProgress("read", "appointments", 0, None))
    for batch in source.row_batches("appointments", skipped=skipped):
        if _all_pass(batch, clients, salons):
            good = batch
        else:
            good = []
            for row in batch:
                reason = _problem(row, clients, salons)
                if reason is None:
                    good.append(row)
                else:
                    skipped.add(row[0], row[1], reason)
        connection.executemany(_INSERT, good)
        loaded += len(good)
        check_cancelled(is_cancelled)
        if progress:
            progress(SyncProgress("read", "appointments", loaded + skipped.count, None))
    return loaded


def _all_pass(batch: list[tuple[object, ...]], clients: set[str], salons: set[str]) -> bool:
    """Tell whether every line of the batch passes the checks, testing column by column in C loops."""
    # Tuples (line, id, client_id, salon_id, starts_at, ends_at, service, staff, status, updated_at).
    _, ids, client_ids, salon_ids, starts, ends, _, _, states, _ = zip(*batch)
    return (
        all(ids)
        and all(map(clients.__contains__, client_ids))
        and all(map(salons.__contains__, salon_ids))
        and all(starts)
        # A start or end time that is not valid ends with the mark, and a valid one has none.
        and INVALID_TIME_MARK not in "".join(starts)
        and INVALID_TIME_MARK not in "".join(ends)
        and all(map(APPOINTMENT_STATES.__contains__, states))
    )


def _active_ids(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row_id for (row_id,) in connection.execute(f"SELECT id FROM main.{table} WHERE removed = 0")}


def _problem(row: tuple[object, ...], clients: set[str], salons: set[str]) -> str | None:
    """Return the reason to skip a line, as attached.problem_sql words it, or None to keep it."""
    _, row_id, client_id, salon_id, starts_at, ends_at, _, _, status, _ = row
    if not row_id:
        return "empty id"
    if client_id not in clients:
        return f"unknown client {quote_text(client_id)}"
    if salon_id not in salons:
        return f"unknown salon {quote_text(salon_id)}"
    if not starts_at or starts_at[-1] == INVALID_TIME_MARK:
        return f"start time {quote_text(_unmarked(starts_at))} {TIME_HINT}"
    if ends_at[-1:] == INVALID_TIME_MARK:
        return f"end time {quote_text(_unmarked(ends_at))} {TIME_HINT}"
    if status not in APPOINTMENT_STATES:
        return f"status {quote_text(status)} is not one of {_STATES}"
    return None


def _unmarked(text: str) -> str:
    return text[:-1] if text[-1:] == INVALID_TIME_MARK else text
