"""Sync: full first sync, CSV import, re-sync of 1% changed lines, and peak memory, by salon size.

Sizes are appointment lines, with one client per 20 lines (bench/sync_data.py).
Baselines, timed in the same run on the same rows:
- plain: sqlite3 reads the salon database and executemany inserts every row
  of the three tables into empty tables (id TEXT PRIMARY KEY) of a new file;
- plain CSV: csv.reader reads the three export files and executemany inserts
  them the same way;
- sqlite-utils: the command ``sqlite-utils insert FILE TABLE EXPORT --csv``
  once per export file, into a new file.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.common import Result
from bench.sync_data import change_rows, column_mapping, make_salon_db, write_csv_exports
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync import merge
from smsconfirm_tui.sync.attached import SCHEMA, attached_source
from smsconfirm_tui.sync.batches import drop_secondary_indexes
from smsconfirm_tui.sync.csv_source import CsvSource
from smsconfirm_tui.sync.salon_db import SqliteSource
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000,)
# Memory is compared between the smallest and the largest size.
QUICK_MEMORY_SIZES = (2_000, 10_000)
CHANGED_SHARE = 0.01
MEMORY_GROWTH_LIMIT = 1.25


def run(quick: bool) -> list[Result]:
    results: list[Result] = []
    for size in QUICK_SIZES if quick else FULL_SIZES:
        results += _measure_size(size)
    results.append(_measure_memory(QUICK_MEMORY_SIZES if quick else FULL_SIZES))
    return results


def _measure_size(size: int) -> list[Result]:
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        salon_db = folder / "salon.sqlite"
        make_salon_db(salon_db, size)
        label = f"{size:,} lines"

        plain = _timed(lambda: _plain_insert(salon_db, folder / "plain.sqlite"))
        mirror = Mirror(folder / "mirror.sqlite")
        phone_seconds = _PhoneTimer()
        with phone_seconds:
            full = _timed(lambda: _sync(mirror, SqliteSource(salon_db)))
        changed = change_rows(salon_db, CHANGED_SHARE)
        resync = _timed(lambda: _sync(mirror, SqliteSource(salon_db)))
        change_rows(salon_db, CHANGED_SHARE)
        compare = _timed(lambda: _compare_only(mirror, salon_db))
        mirror.close()

        exports = write_csv_exports(salon_db, folder / "csv")
        plain_csv = _timed(lambda: _plain_csv_insert(exports, folder / "plain-csv.sqlite"))
        csv_mirror = Mirror(folder / "csv-mirror.sqlite")
        csv_import = _timed(lambda: _sync(csv_mirror, CsvSource(exports, column_mapping())))
        csv_mirror.close()
        sqlite_utils = _timed(lambda: _sqlite_utils_insert(exports, folder / "sqlite-utils.sqlite"))
        plain_lines = _timed(lambda: _plain_csv_insert(exports, folder / "plain-lines.sqlite", tables=("appointments",)))
        mirror_lines = _timed(lambda: _mirror_lines_insert(exports["appointments"], folder / "mirror-lines.sqlite"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    return [
        Result(
            f"full first sync, {label}",
            full / plain,
            "x plain executemany",
            "<= 1.5",
            full / plain <= 1.5,
            f"sync {full:.2f} s (phone parsing {phone_seconds.total:.2f} s), plain {plain:.2f} s",
        ),
        Result(
            f"CSV import, {label}",
            csv_import / plain_csv,
            "x csv.reader + executemany",
            "<= 1.5",
            csv_import / plain_csv <= 1.5,
            f"import {csv_import:.2f} s, plain CSV {plain_csv:.2f} s",
        ),
        Result(
            f"CSV import vs sqlite-utils, {label}",
            csv_import / sqlite_utils,
            "x sqlite-utils insert --csv",
            "<= 0.2",
            csv_import / sqlite_utils <= 0.2,
            f"import {csv_import:.2f} s, sqlite-utils {sqlite_utils:.2f} s",
        ),
        Result(
            f"re-sync with {changed:,} lines changed, {label}",
            resync / full,
            "x full first sync",
            "<= 0.15",
            resync / full <= 0.15,
            f"re-sync {resync:.2f} s, full {full:.2f} s",
        ),
        Result(
            f"floor: appointment lines into the mirror's table, {label}",
            mirror_lines / plain_lines,
            "x csv.reader + executemany",
            "-",
            None,
            f"the export's lines unchecked into the mirror's table with its indexes and WAL {mirror_lines:.2f} s, "
            f"into a plain table {plain_lines:.2f} s",
        ),
        Result(
            f"floor: comparing every line with the mirror, {label}",
            compare / full,
            "x full first sync",
            "-",
            None,
            f"one SELECT that finds the changed lines, without writing {compare:.2f} s, full {full:.2f} s",
        ),
    ]


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _sync(mirror: Mirror, source) -> None:
    try:
        merge.merge_source(mirror, source, now=NOW)
    finally:
        source.close()


class _PhoneTimer:
    """Add up the time the merge spends parsing phone numbers, which the baselines never do."""

    def __init__(self) -> None:
        self.total = 0.0
        self._original = merge.choose_mobile

    def __enter__(self) -> _PhoneTimer:
        def timed(*args):
            started = time.perf_counter()
            try:
                return self._original(*args)
            finally:
                self.total += time.perf_counter() - started

        merge.choose_mobile = timed
        return self

    def __exit__(self, *exc_info) -> None:
        merge.choose_mobile = self._original


def _create_plain_tables(connection: sqlite3.Connection) -> None:
    for table, columns in SOURCE_COLUMNS.items():
        definition = ", ".join(column + (" TEXT PRIMARY KEY" if column == "id" else "") for column in columns)
        connection.execute(f"CREATE TABLE {table} ({definition})")


def _plain_insert(salon_db: Path, target: Path) -> None:
    source = sqlite3.connect(salon_db)
    connection = sqlite3.connect(target)
    _create_plain_tables(connection)
    for table, columns in SOURCE_COLUMNS.items():
        connection.executemany(
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})",
            source.execute(f"SELECT {', '.join(columns)} FROM {table}"),
        )
    connection.commit()
    connection.close()
    source.close()


def _plain_csv_insert(exports: dict[str, Path], target: Path, tables: tuple[str, ...] = tuple(SOURCE_COLUMNS)) -> None:
    connection = sqlite3.connect(target)
    _create_plain_tables(connection)
    for table in tables:
        columns = SOURCE_COLUMNS[table]
        with exports[table].open(encoding="cp1252", newline="") as stream:
            reader = csv.reader(stream, delimiter=";")
            next(reader)
            connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", reader)
    connection.commit()
    connection.close()


def _mirror_lines_insert(export: Path, target: Path) -> None:
    """Write the export's appointment lines, unchanged and unchecked, the way a first CSV import writes them.

    Any CSV import into this mirror does at least this work: one
    executemany into the mirror's appointments table in its WAL
    transaction, and its indexes built afterwards.
    """
    mirror = Mirror(target)
    connection = mirror.connection
    columns = SOURCE_COLUMNS["appointments"]
    with mirror.transaction():
        rebuild = drop_secondary_indexes(connection, "appointments")
        with export.open(encoding="cp1252", newline="") as stream:
            reader = csv.reader(stream, delimiter=";")
            next(reader)
            connection.executemany(
                f"INSERT INTO main.appointments ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", reader
            )
        for statement in rebuild:
            connection.execute(statement)
    mirror.close()


def _compare_only(mirror: Mirror, salon_db: Path) -> None:
    """Count the source lines that differ from their mirror copy, in one statement and without writing.

    Every re-sync of a source that cannot list its changed lines does at least this work.
    """
    connection = mirror.connection
    columns = SOURCE_COLUMNS["appointments"][1:]
    with attached_source(connection, salon_db):
        connection.execute(
            f"SELECT count(*) FROM {SCHEMA}.appointments AS n LEFT JOIN main.appointments AS m ON m.id = n.id "
            f"WHERE ({', '.join(f'm.{column}' for column in columns)}) "
            f"IS NOT ({', '.join(f'n.{column}' for column in columns)})"
        ).fetchone()


def _sqlite_utils_insert(exports: dict[str, Path], target: Path) -> None:
    command = Path(sys.executable).with_name("sqlite-utils")
    for table, path in exports.items():
        subprocess.run(
            [str(command), "insert", str(target), table, str(path), "--csv", "--delimiter", ";", "--encoding", "cp1252"],
            check=True,
            capture_output=True,
        )


_MEMORY_SCRIPT = """
import json, resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, {root!r})
from bench.bench_sync import NOW
from bench.sync_data import change_rows, make_salon_db
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.salon_db import SqliteSource

folder = Path(tempfile.mkdtemp(prefix="bench-sync-memory-"))
make_salon_db(folder / "salon.sqlite", {size})
mirror = Mirror(folder / "mirror.sqlite")
merge_source(mirror, SqliteSource(folder / "salon.sqlite"), now=NOW)
change_rows(folder / "salon.sqlite", 0.01)
merge_source(mirror, SqliteSource(folder / "salon.sqlite"), now=NOW)
print(json.dumps({{"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def _measure_memory(sizes: tuple[int, ...]) -> Result:
    """Run a full sync and a re-sync per size in a fresh process and compare the peak resident memory."""
    root = str(Path(__file__).resolve().parent.parent)
    peaks: dict[int, int] = {}
    for size in sizes:
        output = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT.format(root=root, size=size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        peaks[size] = figures["peak"]
    smallest, largest = min(sizes), max(sizes)
    growth = peaks[largest] / peaks[smallest]
    detail = ", ".join(f"{size:,} lines: {peak / 1024:.0f} MiB" for size, peak in peaks.items())
    return Result(
        f"peak memory, {largest:,} vs {smallest:,} lines",
        growth,
        "x smaller size",
        f"<= {MEMORY_GROWTH_LIMIT}",
        growth <= MEMORY_GROWTH_LIMIT,
        f"peak resident memory of a full sync plus a re-sync: {detail}",
    )
