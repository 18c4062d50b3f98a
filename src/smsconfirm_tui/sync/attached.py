"""Merge appointment lines in SQL, from an attached SQLite salon database or a staged CSV export.

A salon database in a SQLite file is attached read-only to the mirror's
connection, so that staging and merging run as SQL statements inside
SQLite and no row passes through Python. A CSV export is first copied
into a temporary table (csv_source.py) and then merged by the same
statements. Both give the same mirror, counts and skip reasons as the
streaming path in appointments.py, which the SQL server source uses, and
which takes over when ids repeat.

A re-sync compares each source line with its mirror copy and checks only
the lines that are new or differ. A line identical to its mirror copy
passed the checks when it was written, and of the checks only "unknown
client" and "unknown salon" can change later. Those are looked up
separately, from the few clients and salons marked as removed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from smsconfirm_tui.sync.appointments import APPOINTMENT_STATES, TIME_HINT
from smsconfirm_tui.sync.batches import ProgressCallback, SyncProgress, check_cancelled, drop_secondary_indexes
from smsconfirm_tui.sync.errors import MAX_SKIPPED_DETAILS, SkippedRow, SyncCancelled, SyncSummary, TableSummary
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS, quote_text

log = logging.getLogger(__name__)

# The name the salon database is attached under in the mirror's connection.
SCHEMA = "salon_source"

COLUMNS = SOURCE_COLUMNS["appointments"]

# SQLite virtual machine steps between two calls of the cancel check.
CANCEL_CHECK_STEPS = 100_000

# A user-defined SQL function that records a skipped line and returns 0.
SKIP_FUNCTION = "smsconfirm_skip_line"


@contextmanager
def attached_source(connection: sqlite3.Connection, path: Path) -> Iterator[bool]:
    """Attach the salon database read-only for the duration of the block; yields False when it cannot be.

    Call it outside a transaction, because SQLite can neither attach nor
    detach a database inside one.
    """
    if not _uri_filenames_enabled(connection):
        yield False
        return
    resolved = Path(path).resolve()
    try:
        connection.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (f"{resolved.as_uri()}?mode=ro",))
    except sqlite3.DatabaseError as error:
        log.info("attaching %s failed (%s); reading it row by row instead", resolved, error)
        yield False
        return
    try:
        files = {row[1]: row[2] for row in connection.execute("PRAGMA database_list")}
        yield Path(files.get(SCHEMA) or "") == resolved
    finally:
        connection.execute(f"DETACH DATABASE {SCHEMA}")


def _uri_filenames_enabled(connection: sqlite3.Connection) -> bool:
    """Tell whether ATTACH reads ``file:…?mode=ro`` as a URI rather than as a file name.

    SQLite interprets URIs in ATTACH only when the library was built with
    SQLITE_USE_URI (Debian's and Python's own builds are) or the main
    database was opened as a URI, which the mirror is not.
    """
    options = {row[0] for row in connection.execute("PRAGMA compile_options")}
    return "USE_URI" in options or "USE_URI=1" in options


def stage_attached(connection: sqlite3.Connection, table: str, progress: ProgressCallback | None) -> None:
    """Copy ``table`` from the attached salon database into ``temp.stage_<table>`` in one statement."""
    columns = ", ".join(SOURCE_COLUMNS[table])
    total = connection.execute(f"SELECT count(*) FROM {SCHEMA}.{table}").fetchone()[0]
    if progress:
        progress(SyncProgress("read", table, 0, total))
    connection.execute(
        f"INSERT INTO temp.stage_{table} (line, {columns}, problem) SELECT NULL, {columns}, NULL FROM {SCHEMA}.{table}"
    )
    connection.execute(f"CREATE INDEX temp.stage_{table}_id ON stage_{table} (id)")
    if progress:
        progress(SyncProgress("read", table, total, total))


def appointment_ids_unique(connection: sqlite3.Connection) -> bool:
    """Tell whether the attached appointments table has a primary key or unique index on ``id`` alone."""
    table_info = list(connection.execute(f"PRAGMA {SCHEMA}.table_info(appointments)"))
    key_columns = [row[1] for row in table_info if row[5]]
    if key_columns == ["id"] and next(row[2] for row in table_info if row[1] == "id").upper() == "INTEGER":
        return True  # an alias of the rowid
    for index in connection.execute(f"PRAGMA {SCHEMA}.index_list(appointments)"):
        name, unique = index[1], index[2]
        if not unique:
            continue
        indexed = [row[2] for row in connection.execute(f"PRAGMA {SCHEMA}.index_info({_quote(name)})")]
        if indexed == ["id"]:
            return True
    return False


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- the statements -------------------------------------------------------


def _valid_time(column: str) -> str:
    """SQL that is true when ``column`` is an existing time ``YYYY-MM-DD HH:MM``, seconds allowed.

    datetime() returns NULL for text it cannot read. It keeps a day that
    does not exist (31 February) or the hour 24 unless a modifier makes it
    compute the date, so "+0 seconds" turns those into another text.
    """
    return (
        f"CASE length({column}) WHEN 16 THEN datetime({column}, '+0 seconds') IS {column} || ':00' "
        f"WHEN 19 THEN datetime({column}, '+0 seconds') IS {column} ELSE 0 END"
    )


_STATES = ", ".join(f"'{state}'" for state in sorted(APPOINTMENT_STATES))


def problem_sql(problem: str = "n.problem") -> str:
    """SQL for the reason to skip the line ``n`` (NULL: keep it), in the order the streaming path checks them.

    ``problem`` is the reason the source found itself, or NULL.
    csv_first_load.py makes the same checks in Python, in the same order
    and with the same words.
    """
    return (
        f"CASE WHEN {problem} IS NOT NULL THEN {problem} "
        "WHEN n.id = '' THEN 'empty id' "
        "WHEN n.client_id NOT IN (SELECT id FROM main.clients WHERE removed = 0) "
        "THEN 'unknown client ' || quote(n.client_id) "
        "WHEN n.salon_id NOT IN (SELECT id FROM main.salons WHERE removed = 0) "
        "THEN 'unknown salon ' || quote(n.salon_id) "
        f"WHEN NOT ({_valid_time('n.starts_at')}) THEN 'start time ' || quote(n.starts_at) || ' {TIME_HINT}' "
        f"WHEN n.ends_at <> '' AND NOT ({_valid_time('n.ends_at')}) "
        f"THEN 'end time ' || quote(n.ends_at) || ' {TIME_HINT}' "
        f"WHEN n.status NOT IN ({_STATES}) THEN 'status ' || quote(n.status) || ' is not one of "
        f"{', '.join(sorted(APPOINTMENT_STATES))}' END"
    )


_PROBLEM = problem_sql()

# The values the mirror stores; it keeps times to the minute.
_STORED_VALUES = [
    f"substr(n.{column}, 1, 16)" if column in ("starts_at", "ends_at") else f"n.{column}" for column in COLUMNS
]
_STORED = ", ".join(_STORED_VALUES)
_STORED_NAMED = ", ".join(f"{value} AS {column}" for value, column in zip(_STORED_VALUES, COLUMNS, strict=True))

# A line whose problem is not NULL is recorded by the skip function, which returns 0.
_KEEP = f"CASE WHEN ({_PROBLEM}) IS NULL THEN 1 ELSE {SKIP_FUNCTION}(n.id, {_PROBLEM}, n.line) END"

_IDENTICAL = (
    "m.removed = 0 AND ("
    + ", ".join(f"m.{column}" for column in COLUMNS[1:])
    + ") IS ("
    + ", ".join(_STORED_VALUES[1:])
    + ")"
)

# Most lines are stored exactly as the source has them, so the first test
# compares the raw values and spares those lines the conversion to text.
_IDENTICAL_AS_READ = (
    "m.removed = 0 AND ("
    + ", ".join(f"m.{column}" for column in COLUMNS[1:])
    + ") IS ("
    + ", ".join(f"n.raw_{column}" for column in COLUMNS[1:])
    + ")"
)


# The columns that none of the appointments indexes in store/schema.py contains.
_UNINDEXED = [column for column in COLUMNS[1:] if column not in ("client_id", "starts_at")]


@dataclass(frozen=True)
class _Statements:
    first_load: str
    collect_changed: str
    write_changed: str
    move_changed: str
    remove_gone: str


@lru_cache(maxsize=4)
def _statements(relation: str, staged: bool) -> _Statements:
    """Build the statements that merge the appointment lines of ``relation``.

    A staged table has the columns ``line`` and ``problem`` of a CSV
    export; an attached salon database has neither.
    """
    extra = "line, problem" if staged else "NULL AS line, NULL AS problem"
    normalised = (
        "(SELECT "
        + ", ".join(f"coalesce(CAST({column} AS TEXT), '') AS {column}" for column in COLUMNS)
        + ", "
        + ", ".join(f"{column} AS raw_{column}" for column in COLUMNS[1:])
        + f", {extra} FROM {relation})"
    )
    insert = f"INSERT INTO main.appointments ({', '.join(COLUMNS)}, removed) SELECT {_STORED}, 0 "
    return _Statements(
        first_load=f"{insert} FROM {normalised} AS n WHERE {_KEEP} ON CONFLICT (id) DO NOTHING",
        # The new and changed lines go to a temporary table first. Then only
        # lines whose client or start changed get their index entries
        # rewritten, because SQLite rewrites the entries of every indexed
        # column in the SET list even when its value stays the same.
        collect_changed=(
            f"CREATE TEMP TABLE changed_appointments AS SELECT {_STORED_NAMED} FROM {normalised} AS n "
            f"LEFT JOIN main.appointments AS m ON m.id = n.id "
            f"WHERE CASE WHEN m.id IS NULL THEN {_KEEP} WHEN {_IDENTICAL_AS_READ} THEN 0 "
            f"WHEN {_IDENTICAL} THEN 0 ELSE {_KEEP} END"
        ),
        write_changed=(
            f"INSERT INTO main.appointments ({', '.join(COLUMNS)}, removed) SELECT {', '.join(COLUMNS)}, 0 "
            "FROM temp.changed_appointments WHERE 1 "
            f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{column} = excluded.{column}' for column in _UNINDEXED)}, "
            "removed = 0 WHERE (appointments.client_id, appointments.starts_at) IS "
            "(excluded.client_id, excluded.starts_at)"
        ),
        move_changed=(
            f"UPDATE main.appointments SET {', '.join(f'{column} = c.{column}' for column in COLUMNS[1:])}, removed = 0 "
            "FROM temp.changed_appointments AS c WHERE appointments.id = c.id "
            "AND (appointments.client_id, appointments.starts_at) IS NOT (c.client_id, c.starts_at)"
        ),
        # Lines skipped this time keep their old copy: they are still in the source.
        remove_gone=(
            "UPDATE main.appointments SET removed = 1 WHERE removed = 0 AND id NOT IN "
            f"(SELECT coalesce(CAST(id AS TEXT), '') FROM {relation})"
        ),
    )


# -- the merge ------------------------------------------------------------


def merge_attached_appointments(
    connection: sqlite3.Connection,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
    *,
    relation: str = f"{SCHEMA}.appointments",
    staged: bool = False,
) -> TableSummary | None:
    """Merge the appointment lines of ``relation`` into the mirror; call inside the sync's transaction.

    ``relation`` is the attached salon database's table, or with ``staged``
    a temporary table of a CSV export's lines. Returns None, with the
    mirror's appointments as they were, when an id repeats (for an attached
    table: ids that are unique only as stored, such as 1 and '1'). The
    caller then merges the lines with the streaming path, which names each
    repeated line.
    """
    check_cancelled(is_cancelled)
    statements = _statements(relation, staged)
    total = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    if progress:
        progress(SyncProgress("read", "appointments", 0, total))
    first_load = connection.execute("SELECT 1 FROM main.appointments LIMIT 1").fetchone() is None
    if staged and not first_load and not _unique_ids(connection, relation):
        return None
    skipped: list[SkippedRow] = []
    counts = TableSummary()

    def skip_line(row_id: str, reason: str, line: int | None) -> int:
        counts.skipped += 1
        if len(skipped) < MAX_SKIPPED_DETAILS:
            skipped.append(SkippedRow("appointments", row_id, reason, line))
        return 0

    connection.execute("SAVEPOINT attached_appointments")
    connection.create_function(SKIP_FUNCTION, 3, skip_line)
    connection.set_progress_handler(lambda: 1 if is_cancelled() else 0, CANCEL_CHECK_STEPS)
    try:
        if first_load:
            rebuild = drop_secondary_indexes(connection, "appointments")
            counts.new = connection.execute(statements.first_load).rowcount
            for statement in rebuild:
                connection.execute(statement)
            consistent = counts.new + counts.skipped == total
        else:
            consistent = _resync(connection, statements, counts, total, skipped)
    except sqlite3.OperationalError as error:
        if is_cancelled():
            raise SyncCancelled("the sync was cancelled; the mirror is unchanged") from error
        raise
    finally:
        connection.set_progress_handler(None, 0)
        connection.create_function(SKIP_FUNCTION, 3, None)
    if not consistent:
        connection.execute("ROLLBACK TO attached_appointments")
        connection.execute("RELEASE attached_appointments")
        log.info("appointment ids of %s repeat; merging the lines row by row", relation)
        return None
    connection.execute("RELEASE attached_appointments")
    summary.skipped.extend(skipped)
    if progress:
        progress(SyncProgress("read", "appointments", total, total))
        progress(SyncProgress("merge", "appointments", 2, 3))
    return counts


def _resync(
    connection: sqlite3.Connection,
    statements: _Statements,
    counts: TableSummary,
    total: int,
    skipped: list[SkippedRow],
) -> bool:
    """Write the new and changed lines, mark the lines gone from the source, and count them; False if inconsistent."""
    before = _count(connection, "SELECT count(*) FROM main.appointments")
    connection.execute("DROP TABLE IF EXISTS temp.changed_appointments")
    connection.execute(statements.collect_changed)
    try:
        written = connection.execute(statements.write_changed).rowcount
        written += connection.execute(statements.move_changed).rowcount
    finally:
        connection.execute("DROP TABLE temp.changed_appointments")
    counts.new = _count(connection, "SELECT count(*) FROM main.appointments") - before
    counts.changed = written - counts.new
    identical = total - written - counts.skipped
    if identical < 0:
        return False

    # Every line written or identical now has its own active mirror row, so
    # when there are no more active rows than that, no line is gone.
    active = _count(connection, "SELECT count(*) FROM main.appointments WHERE removed = 0")
    if active < written + identical:
        return False
    if active > written + identical:
        counts.removed = connection.execute(statements.remove_gone).rowcount

    # Identical lines skipped the checks; the client or salon may be gone since.
    orphaned = _orphaned_lines(connection)
    for row_id, reason in orphaned:
        counts.skipped += 1
        if len(skipped) < MAX_SKIPPED_DETAILS:
            skipped.append(SkippedRow("appointments", row_id, reason))
    counts.unchanged = identical - len(orphaned)
    return True


def _unique_ids(connection: sqlite3.Connection, relation: str) -> bool:
    """Index the ids of a staged table, which a re-sync needs unique; False when one repeats."""
    schema, _, table = relation.partition(".")
    try:
        connection.execute(f"CREATE UNIQUE INDEX {schema}.{table}_id ON {table} (id)")
    except sqlite3.IntegrityError:
        return False
    return True


def _orphaned_lines(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """Return the active lines whose client or salon is marked as removed, with the reason to skip them.

    Call after the removal step, so that every active line is still in the
    source. A line written in this sync passed the check, so only
    identical lines can be found here.
    """
    found = [
        (row_id, f"unknown client {quote_text(client_id)}")
        for row_id, client_id in connection.execute(
            "SELECT id, client_id FROM main.appointments WHERE removed = 0 "
            "AND client_id IN (SELECT id FROM main.clients WHERE removed = 1)"
        )
    ]
    if connection.execute("SELECT 1 FROM main.salons WHERE removed = 1 LIMIT 1").fetchone() is not None:
        found += [
            (row_id, f"unknown salon {quote_text(salon_id)}")
            for row_id, salon_id in connection.execute(
                "SELECT id, salon_id FROM main.appointments WHERE removed = 0 "
                "AND salon_id IN (SELECT id FROM main.salons WHERE removed = 1) "
                "AND client_id NOT IN (SELECT id FROM main.clients WHERE removed = 1)"
            )
        ]
    return found


def _count(connection: sqlite3.Connection, sql: str) -> int:
    return int(connection.execute(sql).fetchone()[0])
