"""Merge the salon database into the mirror without losing local state.

A sync has two steps. First the salons and clients are copied as they are
into temporary staging tables of the mirror's connection. Temporary tables
live outside the mirror file, so this step changes nothing in the mirror
and holds no lock on it. Then one ``BEGIN IMMEDIATE`` transaction checks
and merges them in SQL, and streams the appointments into the mirror
(appointments.py). A row that is bad on its own is skipped with its id and
reason. Only new or changed rows are written. Rows gone from the source are
marked as removed, never deleted, so that their messages and replies keep
their context. The mirror is either fully updated or unchanged.

Local state lives in tables whose rows the merge never changes: messages,
replies, opt-outs and the audit log, to which it only appends. The
exception is ``profile_edits``. Between a local profile edit and a later
change of the same client in the source, the later one wins, and the audit
log records both values.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from operator import itemgetter

from smsconfirm_tui.domain.phone import choose_mobile
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.errors import (
    MAX_SKIPPED_DETAILS,
    SkippedRow,
    SyncError,
    SyncSummary,
    TableSummary,
)
from smsconfirm_tui.sync.appointments import merge_appointments
from smsconfirm_tui.sync.attached import (
    appointment_ids_unique,
    attached_source,
    merge_attached_appointments,
    stage_attached,
)
from smsconfirm_tui.sync.batches import (
    BATCH_ROWS,
    ProgressCallback,
    SyncProgress,
    check_cancelled,
    drop_secondary_indexes,
)
from smsconfirm_tui.sync.csv_first_load import load_first_appointments
from smsconfirm_tui.sync.csv_source import CsvSource
from smsconfirm_tui.sync.salon_db import SqliteSource
from smsconfirm_tui.sync.shape import LINE_KEY, PROBLEM_KEY, SOURCE_COLUMNS, SOURCE_TABLES, Source, is_mirror_time

__all__ = ["SyncProgress", "merge_source"]

log = logging.getLogger(__name__)

# Salons and clients are staged and merged in SQL; appointments, by far the
# largest table, are merged while they stream from the source (appointments.py).
STAGED_TABLES = ("salons", "clients")


def merge_source(
    mirror: Mirror,
    source: Source,
    *,
    now: datetime,
    actor: str = "sync",
    progress: ProgressCallback | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> SyncSummary:
    """Bring the mirror up to date with ``source``.

    Raises SyncError when the source cannot be read as a whole (and
    SyncCancelled when ``is_cancelled`` turns true); the mirror is then
    unchanged.
    """
    started = time.perf_counter()
    connection = mirror.connection
    summary = SyncSummary()
    with ExitStack() as stack:
        # A SQLite salon database is attached to the mirror's connection and
        # merged in SQL (attached.py); every other source streams its rows.
        attached = isinstance(source, SqliteSource) and stack.enter_context(
            attached_source(connection, source.path)
        )
        try:
            # A CSV export is staged in SQL, its appointments too (csv_source.py).
            csv_export = isinstance(source, CsvSource)
            for table in STAGED_TABLES:
                if attached:
                    _create_stage(connection, table)
                    stage_attached(connection, table, progress)
                elif csv_export:
                    _create_stage(connection, table)
                    source.stage_into(connection, table, f"temp.stage_{table}", progress, is_cancelled)
                    connection.execute(f"CREATE INDEX temp.stage_{table}_id ON stage_{table} (id)")
                else:
                    _stage(connection, source, table, progress, is_cancelled)
            # Into a mirror without appointments, a CSV export's lines are
            # loaded directly, inside the transaction (csv_first_load.py).
            load_directly = csv_export and _has_no_appointments(connection)
            if csv_export and not load_directly:
                _create_appointment_stage(connection)
                source.stage_into(connection, "appointments", "temp.stage_appointments", progress, is_cancelled)
            with mirror.transaction():
                check_cancelled(is_cancelled)
                if progress:
                    progress(SyncProgress("merge", "salons", 0, len(SOURCE_TABLES)))
                summary.add("salons", _merge_plain(connection, "salons", summary))
                if progress:
                    progress(SyncProgress("merge", "clients", 1, len(SOURCE_TABLES)))
                summary.add("clients", _merge_clients(mirror, summary, now, actor))
                check_cancelled(is_cancelled)
                appointments = None
                if attached and appointment_ids_unique(connection):
                    appointments = merge_attached_appointments(connection, summary, progress, is_cancelled)
                elif csv_export:
                    appointments = _merge_csv_appointments(
                        connection, source, summary, progress, is_cancelled, staged=not load_directly
                    )
                if appointments is None:
                    appointments = merge_appointments(connection, source, summary, progress, is_cancelled)
                summary.add("appointments", appointments)
                for table in SOURCE_TABLES:
                    _check_not_emptied(source, table, summary.tables[table])
                mirror.set_meta("last_sync_at", now.isoformat(timespec="seconds"))
        finally:
            for table in STAGED_TABLES:
                connection.execute(f"DROP TABLE IF EXISTS temp.stage_{table}")
            connection.execute("DROP TABLE IF EXISTS temp.client_changes")
            connection.execute("DROP TABLE IF EXISTS temp.stage_appointments")
            connection.execute("DROP TABLE IF EXISTS temp.seen_appointments")
            connection.execute("DROP TABLE IF EXISTS temp.new_appointments")  # drops its trigger too
    summary.seconds = time.perf_counter() - started
    log.info("sync from %s: %s", source.describe(), summary.describe())
    for skipped in summary.skipped:
        log.warning("sync skipped %s %r (line %s): %s", skipped.table, skipped.row_id, skipped.line, skipped.reason)
    if summary.skipped_total > len(summary.skipped):
        log.warning("sync skipped %d more rows without details", summary.skipped_total - len(summary.skipped))
    return summary


# -- step 1: staging ------------------------------------------------------------


def _stage(
    connection: sqlite3.Connection,
    source: Source,
    table: str,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
) -> None:
    """Copy every row of ``table`` from the source into ``temp.stage_<table>``."""
    columns = SOURCE_COLUMNS[table]
    _create_stage(connection, table)
    insert = (
        f"INSERT INTO temp.stage_{table} (seq, line, {', '.join(columns)}, problem) "
        f"VALUES ({', '.join('?' * (len(columns) + 3))})"
    )

    total = source.count(table)
    if progress:
        progress(SyncProgress("read", table, 0, total))

    values_of = itemgetter(*columns)
    batch: list[tuple[object, ...]] = []
    count = 0
    rows = source.rows(table)
    try:
        for count, row in enumerate(rows, start=1):
            try:
                values = values_of(row)
            except KeyError as error:
                raise SyncError(
                    f"{source.describe()}: row {count} of {table} has no column {error.args[0]!r}"
                ) from error
            batch.append((count, row.get(LINE_KEY), *values, row.get(PROBLEM_KEY)))
            if len(batch) >= BATCH_ROWS:
                _insert_batch(connection, insert, batch, table)
                batch.clear()
                check_cancelled(is_cancelled)
                if progress:
                    progress(SyncProgress("read", table, count, total))
        if batch:
            _insert_batch(connection, insert, batch, table)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()

    connection.execute(f"CREATE INDEX temp.stage_{table}_id ON stage_{table} (id)")
    if progress:
        progress(SyncProgress("read", table, count, total if total is not None else count))


def _create_stage(connection: sqlite3.Connection, table: str) -> None:
    connection.execute(f"DROP TABLE IF EXISTS temp.stage_{table}")
    connection.execute(
        f"CREATE TEMP TABLE stage_{table} (seq INTEGER PRIMARY KEY, line INTEGER, "
        + ", ".join(f"{column} TEXT" for column in SOURCE_COLUMNS[table])
        + ", problem TEXT)"
    )


def _merge_csv_appointments(
    connection: sqlite3.Connection,
    source: CsvSource,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    is_cancelled: Callable[[], bool],
    *,
    staged: bool,
) -> TableSummary | None:
    """Merge a CSV export's appointment lines; None when ids repeat and the streaming path must take over."""
    if not staged:
        appointments = load_first_appointments(connection, source, summary, progress, is_cancelled)
        if appointments is not None:
            return appointments
        _create_appointment_stage(connection)
        stage = "temp.stage_appointments"
        source.stage_into(connection, "appointments", stage, progress, is_cancelled, in_transaction=True)
    return merge_attached_appointments(
        connection, summary, progress, is_cancelled, relation="temp.stage_appointments", staged=True
    )


def _check_not_emptied(source: Source, table: str, counts: TableSummary) -> None:
    """Raise SyncError when the source gave no usable row of a table that the mirror has rows of.

    An export cut off after its header, or a mapping that leaves every id
    empty, would otherwise mark every client or appointment as removed.
    """
    if counts.removed and not (counts.new or counts.changed or counts.unchanged):
        raise SyncError(
            f"{source.describe()}: the source has no usable {table} rows ({counts.skipped} skipped), so this sync "
            f"would mark all {counts.removed} {table} of the mirror as removed; nothing was changed. "
            "Check that the export or query is complete and sync again"
        )


def _has_no_appointments(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM main.appointments LIMIT 1").fetchone() is None


def _create_appointment_stage(connection: sqlite3.Connection) -> None:
    connection.execute("DROP TABLE IF EXISTS temp.stage_appointments")
    connection.execute(
        "CREATE TEMP TABLE stage_appointments (line INTEGER, "
        + ", ".join(f"{column} TEXT" for column in SOURCE_COLUMNS["appointments"])
        + ", problem TEXT)"
    )


def _insert_batch(connection: sqlite3.Connection, insert: str, batch: list[tuple[object, ...]], table: str) -> None:
    # In autocommit mode each row would be a transaction of its own. This
    # one writes only the temporary table and takes no lock on the mirror.
    connection.execute("BEGIN")
    try:
        connection.executemany(insert, batch)
    except (sqlite3.InterfaceError, sqlite3.ProgrammingError, OverflowError) as error:
        connection.execute("ROLLBACK")
        raise SyncError(f"the source gave a value of {table} that is not text or a number: {error}") from error
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# -- step 2: checks of the staged tables ----------------------------------------


# A yes/no column as 1 or 0; NULL when the text is neither.
_FLAG_SQL = (
    "CASE WHEN lower(trim(confirm_sms)) IN ('1', 'true', 'ja', 'j', 'yes', 'y', 'x', 'oui', 'si') THEN 1 "
    "WHEN coalesce(lower(trim(confirm_sms)), '') IN ('0', 'false', 'nein', 'n', 'no', '', 'non') THEN 0 END"
)
_DAYS_SQL = "CASE WHEN coalesce(trim(confirm_days), '') = '' THEN NULL ELSE CAST(trim(confirm_days) AS INTEGER) END"

# Each table's checks, in order; the first that matches is the reason to skip the row.
_PROBLEMS: dict[str, str] = {
    "salons": "WHEN coalesce(id, '') = '' THEN 'empty id'",
    "clients": (
        "WHEN coalesce(id, '') = '' THEN 'empty id' "
        f"WHEN ({_FLAG_SQL}) IS NULL THEN 'confirm_sms ' || quote(confirm_sms) "
        "|| ' is not one of 1/0, ja/nein, yes/no, true/false' "
        "WHEN coalesce(trim(confirm_days), '') <> '' AND (trim(confirm_days) GLOB '*[^0-9]*' "
        "OR length(trim(confirm_days)) > 3) THEN 'confirm_days ' || quote(confirm_days) "
        "|| ' is not a whole number of days'"
    ),
}

# SQL expressions that turn each staged column into the value the mirror stores.
_NORMALISED: dict[str, dict[str, str]] = {
    "salons": {column: f"coalesce({column}, '')" for column in SOURCE_COLUMNS["salons"]},
    "clients": {
        **{column: f"coalesce({column}, '')" for column in SOURCE_COLUMNS["clients"]},
        "language": "lower(trim(coalesce(language, '')))",
        "confirm_sms": _FLAG_SQL,
        "confirm_days": _DAYS_SQL,
    },
}


def _mark_problems(connection: sqlite3.Connection, table: str) -> None:
    """Set ``problem`` on each staged row that is bad on its own or repeats an earlier id."""
    connection.execute(
        f"UPDATE temp.stage_{table} SET problem = checked.reason FROM "
        f"(SELECT seq, CASE {_PROBLEMS[table]} END AS reason FROM temp.stage_{table} AS s "
        "WHERE problem IS NULL) AS checked "
        f"WHERE stage_{table}.seq = checked.seq AND checked.reason IS NOT NULL"
    )
    # The first valid row of an id wins; later rows with the same id are skipped.
    connection.execute(
        f"UPDATE temp.stage_{table} AS later SET problem = 'repeats an id that an earlier row has' "
        f"WHERE problem IS NULL AND EXISTS (SELECT 1 FROM temp.stage_{table} AS first "
        "WHERE first.id = later.id AND first.seq < later.seq AND first.problem IS NULL)"
    )


def _collect_skipped(connection: sqlite3.Connection, table: str, summary: SyncSummary) -> int:
    rows = connection.execute(
        f"SELECT line, coalesce(id, ''), problem FROM temp.stage_{table} WHERE problem IS NOT NULL "
        f"ORDER BY seq LIMIT {MAX_SKIPPED_DETAILS}"
    ).fetchall()
    summary.skipped.extend(SkippedRow(table, str(row_id), reason, line) for line, row_id, reason in rows)
    return connection.execute(f"SELECT count(*) FROM temp.stage_{table} WHERE problem IS NOT NULL").fetchone()[0]


def _mark_removed(connection: sqlite3.Connection, table: str) -> int:
    """Mark rows gone from the source as removed; rows skipped this time keep their old copy."""
    cursor = connection.execute(
        f"UPDATE main.{table} SET removed = 1 WHERE removed = 0 AND NOT EXISTS "
        f"(SELECT 1 FROM temp.stage_{table} AS s WHERE s.id = {table}.id)"
    )
    return cursor.rowcount


def _count(connection: sqlite3.Connection, sql: str) -> int:
    return int(connection.execute(sql).fetchone()[0])


# -- step 2: salons -----------------------------------------------


def _merge_plain(connection: sqlite3.Connection, table: str, summary: SyncSummary) -> TableSummary:
    """Merge a table whose values are stored as the source has them, entirely in SQL."""
    columns = SOURCE_COLUMNS[table]
    normalised = _NORMALISED[table]
    _mark_problems(connection, table)
    counts = TableSummary(skipped=_collect_skipped(connection, table, summary))
    before = _count(connection, f"SELECT count(*) FROM main.{table}")
    staged = _count(connection, f"SELECT count(*) FROM temp.stage_{table} WHERE problem IS NULL")

    rebuild = drop_secondary_indexes(connection, table) if before == 0 else []
    target = ", ".join(f"{table}.{column}" for column in columns[1:])
    incoming = ", ".join(f"excluded.{column}" for column in columns[1:])
    cursor = connection.execute(
        f"INSERT INTO main.{table} ({', '.join(columns)}, removed) "
        f"SELECT {', '.join(normalised[column] for column in columns)}, 0 FROM temp.stage_{table} "
        "WHERE problem IS NULL "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{column} = excluded.{column}' for column in columns[1:])}, "
        f"removed = 0 WHERE ({target}, {table}.removed) IS NOT ({incoming}, 0)"
    )
    written = cursor.rowcount
    for statement in rebuild:
        connection.execute(statement)

    counts.new = _count(connection, f"SELECT count(*) FROM main.{table}") - before
    counts.changed = written - counts.new
    counts.unchanged = staged - written
    counts.removed = _mark_removed(connection, table)
    return counts


# -- step 2: clients ------------------------------------------------------------


PHONE_COLUMNS = (
    "phone_e164",
    "phone_kind",
    "phone_field",
    "phone_display",
    "phone_note",
    "phone_unsure",
    "phone_invalid",
    "phone_problem",
)


def _merge_clients(mirror: Mirror, summary: SyncSummary, now: datetime, actor: str) -> TableSummary:
    """Merge the clients; phone numbers are parsed only for new clients and changed numbers."""
    connection = mirror.connection
    columns = SOURCE_COLUMNS["clients"]
    normalised = _NORMALISED["clients"]
    _mark_problems(connection, "clients")
    counts = TableSummary(skipped=_collect_skipped(connection, "clients", summary))
    staged = _count(connection, "SELECT count(*) FROM temp.stage_clients WHERE problem IS NULL")

    # The rows to write go to a temporary table first, so that no cursor on
    # main.clients stays open while the loop below writes to it.
    connection.execute("DROP TABLE IF EXISTS temp.client_changes")
    new_values = ", ".join(f"{normalised[column]} AS {column}" for column in columns)
    old_values = ", ".join(f"c.{column} AS old_{column}" for column in columns[1:])
    old_phone = ", ".join(f"c.{column} AS old_{column}" for column in PHONE_COLUMNS)
    connection.execute(
        f"CREATE TEMP TABLE client_changes AS SELECT * FROM (SELECT {new_values} FROM temp.stage_clients "
        "WHERE problem IS NULL) AS s "
        f"LEFT JOIN (SELECT id AS old_id, {old_values}, {old_phone}, removed AS old_removed, "
        "EXISTS (SELECT 1 FROM main.profile_edits p WHERE p.client_id = c.id) AS has_edit "
        "FROM main.clients c) AS c ON c.old_id = s.id "
        f"WHERE c.old_id IS NULL OR ({', '.join(f'c.old_{column}' for column in columns[1:])}, c.old_removed) "
        f"IS NOT ({', '.join(f's.{column}' for column in columns[1:])}, 0)"
    )
    rebuild = drop_secondary_indexes(connection, "clients") if _count(
        connection, "SELECT count(*) FROM main.clients"
    ) == 0 else []
    all_columns = (*columns, *PHONE_COLUMNS, "removed")
    upsert = (
        f"INSERT INTO main.clients ({', '.join(all_columns)}) VALUES ({', '.join('?' * len(all_columns))}) "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{column} = excluded.{column}' for column in all_columns[1:])}"
    )
    batch: list[tuple[object, ...]] = []
    cursor = connection.execute("SELECT * FROM temp.client_changes")
    names = [description[0] for description in cursor.description]
    # The new values come first in each record, so a new client needs no dict.
    assert tuple(names[: len(columns)]) == columns
    old_id, mobile, home, work = (names.index(name) for name in ("old_id", "mobile_phone", "home_phone", "work_phone"))
    for record in cursor:
        if record[old_id] is None:
            counts.new += 1
            batch.append((*record[: len(columns)], *_phone_values(record[mobile], record[home], record[work]), 0))
        else:
            row = dict(zip(names, record))
            counts.changed += 1
            if row["has_edit"]:
                _resolve_profile_conflict(mirror, row, now, actor)
            numbers = (row["mobile_phone"], row["home_phone"], row["work_phone"])
            if numbers == (row["old_mobile_phone"], row["old_home_phone"], row["old_work_phone"]):
                phone = [row[f"old_{column}"] for column in PHONE_COLUMNS]
            else:
                phone = _phone_values(*numbers)
            batch.append((*record[: len(columns)], *phone, 0))
        if len(batch) >= BATCH_ROWS:
            connection.executemany(upsert, batch)
            batch.clear()
    if batch:
        connection.executemany(upsert, batch)
    for statement in rebuild:
        connection.execute(statement)
    counts.unchanged = staged - counts.new - counts.changed
    counts.removed = _mark_removed(connection, "clients")
    return counts


def _phone_values(mobile: str, home: str, work: str) -> list[object]:
    """Return the PHONE_COLUMNS values: the number chosen for SMS and what is wrong with the others."""
    choice = choose_mobile(str(mobile), str(home), str(work))
    number = choice.number
    return [
        number.e164 if number else None,
        str(number.kind) if number else "empty",
        str(choice.field) if choice.field else None,
        number.display if number else None,
        number.note if number else "",
        int(bool(number and number.unsure)),
        int(bool(choice.invalid_fields)),
        ", ".join(str(field) for field in choice.invalid_fields) or None,
    ]


def _change_time(text: str) -> str | None:
    """Return a source's ``updated_at`` as ``YYYY-MM-DD HH:MM[:SS]``, comparable with a local edit's time; None if invalid.

    A change time that is not a valid time must never beat a local edit,
    because as text it compares in any order.
    """
    if is_mirror_time(text):
        return text
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and is_mirror_time(f"{text} 00:00"):
        return f"{text} 00:00:00"  # a date alone, from a SQL date column
    return None


def _resolve_profile_conflict(mirror: Mirror, row: dict[str, object], now: datetime, actor: str) -> None:
    """Let the later of a local profile edit and a source change win, and log both values."""
    client_id = str(row["id"])
    edit = mirror.connection.execute(
        "SELECT confirm_sms, confirm_days, language, edited_at FROM profile_edits WHERE client_id = ?",
        (client_id,),
    ).fetchone()
    if edit is None:
        return
    source_profile = (row["confirm_sms"], row["confirm_days"], row["language"])
    old_profile = (row["old_confirm_sms"], row["old_confirm_days"], row["old_language"])
    if old_profile == source_profile:
        return  # the source changed other fields, so the local edit is kept
    local_profile = tuple(edit)[:3]
    changed_at = _change_time(str(row["updated_at"]))
    if changed_at is None or changed_at <= edit["edited_at"]:
        if changed_at is None:
            detail = (
                f"the source's change time {row['updated_at']!r} is not a valid date and time, "
                f"so the local edit of {edit['edited_at']} is kept"
            )
        else:
            detail = f"the local edit of {edit['edited_at']} is newer than the source's change of {row['updated_at']}"
        mirror.add_audit(
            at=now,
            actor=actor,
            action="sync_profile_kept",
            client_id=client_id,
            old_value=f"source {source_profile}",
            new_value=f"local {local_profile}",
            detail=detail,
        )
        return
    mirror.connection.execute("DELETE FROM profile_edits WHERE client_id = ?", (client_id,))
    mirror.add_audit(
        at=now,
        actor=actor,
        action="sync_profile_replaced",
        client_id=client_id,
        old_value=f"local {local_profile}",
        new_value=f"source {source_profile}",
        detail=f"the source changed the profile on {row['updated_at']}, after the local edit of {edit['edited_at']}",
    )
