"""Read the salon database from CSV exports: one file each for salons, clients and appointments.

Swiss salon systems export CSV files as Excel on Windows writes them: ``;``
or ``,`` as separator, UTF-8 with or without a byte order mark, or
Windows-1252, dates as ``dd.mm.yyyy`` or ``yyyy-mm-dd``, and times with or
without seconds. A column mapping in the config names the export header for
each salon database column. A time may also come from a date column and a
time column.

Before a file is read, it is scanned once in binary: this finds the
encoding, and rejects a file that is neither UTF-8 nor Windows-1252 (or
holds NUL bytes, as UTF-16 exports do) with the line of the first bad byte.
Rows are then read one at a time, so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from itertools import islice, repeat
from dataclasses import dataclass
from pathlib import Path

from smsconfirm_tui.sync.batches import BATCH_ROWS, ProgressCallback, SyncProgress, check_cancelled
from smsconfirm_tui.sync.errors import MAX_SKIPPED_DETAILS, SyncError
from smsconfirm_tui.sync.shape import (
    date_exists,
    is_mirror_time,
    INVALID_TIME_MARK,
    LINE_KEY,
    PROBLEM_KEY,
    SOURCE_COLUMNS,
    SOURCE_TABLES,
    TIME_COLUMNS,
    normalise_time,
)

SCAN_CHUNK_BYTES = 1 << 20
# Maximum number of rewritten time values that staging caches per column.
# At an estimated 150 bytes per entry, that is under 10 MiB per column.
TIME_CACHE_ENTRIES = 50_000
DELIMITERS = (";", ",", "\t")
# The appointment times that the mirror keeps to the minute.
MINUTE_COLUMNS = frozenset({"starts_at", "ends_at"})

# Bytes that Windows-1252 leaves undefined: a file with them is not Windows-1252.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")

_UTF16_AND_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class _ColumnPlan:
    """The source of one salon database column in a CSV row."""

    column: str
    position: int | None  # None: the mapping leaves the column empty
    time_position: int | None  # the time column when date and time are split
    time_required: bool | None  # None: not a time column


class CsvSource:
    """Three CSV export files with a column mapping."""

    def __init__(
        self,
        files: dict[str, Path],
        columns: dict[str, dict[str, str | tuple[str, str]]] | None = None,
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
        statuses: dict[str, str] | None = None,
    ) -> None:
        self.files = {table: Path(files[table]) for table in SOURCE_TABLES}
        self.columns = columns or {}
        # The export's own status words (lower case), each with the status it means.
        self.statuses = statuses or {}
        self.delimiter = delimiter
        self.encoding = encoding
        self._formats: dict[str, tuple[str, str]] = {}  # table -> (codec, delimiter)
        for table in SOURCE_TABLES:
            path = self.files[table]
            encoding_found = _scan_encoding(path, encoding)
            self._formats[table] = (encoding_found, self._read_header(table, path, encoding_found))

    def describe(self) -> str:
        return "CSV export " + ", ".join(str(path) for path in self.files.values())

    def count(self, table: str) -> int | None:
        return None

    def close(self) -> None:
        pass

    # -- reading ----------------------------------------------------------

    def _read_header(self, table: str, path: Path, encoding: str) -> str:
        """Return the delimiter after checking that the header has every mapped column."""
        with _open_text(path, encoding) as stream:
            first_line = stream.readline()
        if not first_line.strip():
            raise SyncError(f"{path}: line 1 is empty: the export must start with a header line of column names")
        delimiter = self.delimiter or _detect_delimiter(first_line, path)
        header = next(csv.reader([first_line], delimiter=delimiter, strict=True))
        self._plan(table, path, header)
        return delimiter

    def _plan(self, table: str, path: Path, header: list[str]) -> list[_ColumnPlan]:
        names = [name.strip() for name in header]
        lowered = [name.lower() for name in names]
        mapping = self.columns.get(table, {})

        def position(name: str, column: str) -> int:
            if name in names:
                return names.index(name)
            if name.lower() in lowered:
                return lowered.index(name.lower())
            raise SyncError(
                f"{path}: the header (line 1) has no column {name!r} for {table}.{column}; "
                f"found: {', '.join(names)}; set source.columns.{table}.{column} to the export's header"
            )

        plans: list[_ColumnPlan] = []
        for column in SOURCE_COLUMNS[table]:
            source = mapping.get(column, column)
            time_required = TIME_COLUMNS.get(column) if table != "salons" else None
            if source == "":
                plans.append(_ColumnPlan(column, None, None, time_required))
            elif isinstance(source, tuple):
                plans.append(_ColumnPlan(column, position(source[0], column), position(source[1], column), time_required))
            else:
                plans.append(_ColumnPlan(column, position(source, column), None, time_required))
        return plans

    def stage_into(
        self,
        connection: sqlite3.Connection,
        table: str,
        target: str,
        progress: ProgressCallback | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
        *,
        in_transaction: bool = False,
    ) -> int:
        """Insert every row of ``table`` into ``target`` as ``rows`` would yield it; return the row count.

        ``target`` is a table with the columns ``line``, the
        ``SOURCE_COLUMNS`` and ``problem``. The rows go to SQLite as
        tuples, one executemany per batch, so that the checks and the merge
        can run in SQL. Outside a transaction each batch is a transaction
        of its own. Pass ``in_transaction`` when the caller has begun one.
        """
        count = 0
        if progress:
            progress(SyncProgress("read", table, 0, None))
        insert = _staging_insert(table, target)
        for batch in self.row_batches(table):
            # In autocommit mode each row would be a transaction of its own.
            # This one writes only the temporary table and takes no lock on the mirror.
            if not in_transaction:
                connection.execute("BEGIN")
            try:
                connection.executemany(insert, batch)
            except BaseException:
                if not in_transaction:
                    connection.execute("ROLLBACK")
                raise
            if not in_transaction:
                connection.execute("COMMIT")
            count += len(batch)
            check_cancelled(is_cancelled)
            if progress:
                progress(SyncProgress("read", table, count, None))
        if progress:
            progress(SyncProgress("read", table, count, count))
        return count

    def row_batches(
        self, table: str, *, skipped: SkippedLines | None = None
    ) -> Iterator[list[tuple[object, ...]]]:
        """Yield the rows of ``table`` in lists of up to BATCH_ROWS tuples ``(line, *values, problem)``.

        The values are those of ``SOURCE_COLUMNS``, as ``rows`` gives them.
        With ``skipped``, a row with a problem of its own is recorded
        there instead of yielded, the tuples have no ``problem``, and
        the start and end times are as ``mirror_time`` gives them.
        """
        path = self.files[table]
        encoding, delimiter = self._formats[table]
        with _open_text(path, encoding) as stream:
            reader = csv.reader(stream, delimiter=delimiter, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    raise SyncError(f"{path}: the file is empty: the export must start with a header line")
                plans = self._plan(table, path, header)
                statuses = self.statuses if table == "appointments" else {}
                yield from _normalised_batches(reader, plans, len(header), delimiter, skipped, statuses)
            except _QuoteSpan as span:
                raise span.error(path) from None
            except (UnicodeDecodeError, csv.Error) as error:
                raise _read_error(path, encoding, delimiter, reader.line_num, error) from error

    def rows(self, table: str) -> Iterator[dict[str, object]]:
        path = self.files[table]
        encoding, delimiter = self._formats[table]
        with _open_text(path, encoding) as stream:
            reader = csv.reader(stream, delimiter=delimiter, strict=True)
            try:
                header = next(reader)
                plans = self._plan(table, path, header)
                width = len(header)
                simple = [(plan.column, plan.position) for plan in plans if plan.time_required is None]
                statuses = self.statuses if table == "appointments" else {}
                timed = [plan for plan in plans if plan.time_required is not None]
                line_before = reader.line_num
                for fields in reader:
                    if reader.line_num - line_before > 1:
                        _check_quote_span(fields, reader.line_num, delimiter, width)
                    line_before = reader.line_num
                    if _is_blank(fields):
                        continue
                    row: dict[str, object] = {LINE_KEY: reader.line_num}
                    if len(fields) != width:
                        row[PROBLEM_KEY] = _width_problem(reader.line_num, len(fields), width)
                        fields = (fields + [""] * width)[:width]
                    for column, index in simple:
                        row[column] = fields[index].strip() if index is not None else ""
                    if statuses:
                        row["status"] = statuses.get(str(row["status"]).lower(), row["status"])
                    for plan in timed:
                        row[plan.column] = _time_value(fields, plan)
                    yield row
            except _QuoteSpan as span:
                raise span.error(path) from None
            except (UnicodeDecodeError, csv.Error) as error:
                raise _read_error(path, encoding, delimiter, reader.line_num, error) from error


def _read_error(
    path: Path, encoding: str, delimiter: str, line_num: int, error: UnicodeDecodeError | csv.Error
) -> SyncError:
    """Describe a file that cannot be read at ``line_num``, naming the line and the fix."""
    if isinstance(error, UnicodeDecodeError):
        return SyncError(
            f"{path}: line {line_num + 1} cannot be read as {encoding}: {error.reason}; "
            "set source.encoding in the config to the export's encoding"
        )
    if str(error) == "unexpected end of data":
        start = _last_record_start(path, encoding, delimiter)
        return SyncError(
            f"{path}: line {start} opens a quoted field with a quote (\") that is never closed, so the rest "
            "of the file would be read as one value; correct or remove that quote in the export"
        )
    return SyncError(f"{path}: line {line_num} is not valid CSV: {error}; check the export settings")


def _last_record_start(path: Path, encoding: str, delimiter: str) -> int:
    """Return the line on which the file's last record starts, reading it as leniently as Excel would."""
    start = 1
    with _open_text(path, encoding) as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        line_before = 0
        for _ in reader:
            start = line_before + 1
            line_before = reader.line_num
    return start


def _line_breaks(record: list[str]) -> int:
    """Count the line ends inside a record's quoted fields: "\\r\\n", "\\r" and "\\n" each end a line."""
    return sum(field.count("\r") + field.count("\n") - field.count("\r\n") for field in record)


class _QuoteSpan(Exception):
    """A record with the wrong number of fields that spans lines: a quote opened a field and closed it much later."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start = start
        self.end = end

    def error(self, path: Path) -> SyncError:
        return SyncError(
            f"{path}: lines {self.start} to {self.end} read as one line, because a quote (\") opens a field on "
            f"line {self.start} and the next quote closes it on line {self.end}; correct the quotes in the export"
        )


def _check_quote_span(record: list[str], line: int, delimiter: str, width: int) -> None:
    """Raise _QuoteSpan for a record whose quoted line breaks look like swallowed lines.

    That is a record of the wrong width with a line break in a field, or a
    field that contains line breaks and a whole line's worth of separators.
    Such a field is most likely other lines of the file, swallowed between
    two stray quotes. Skipping or importing it would hide those lines, and
    the sync would mark their appointments as removed.
    """
    for field in record:
        if ("\n" in field or "\r" in field) and (len(record) != width or field.count(delimiter) >= width - 1):
            raise _QuoteSpan(line - _line_breaks(record), line)


# -- staging ------------------------------------------------------------------


def _staging_insert(table: str, target: str) -> str:
    columns = SOURCE_COLUMNS[table]
    return f"INSERT INTO {target} (line, {', '.join(columns)}, problem) VALUES ({', '.join('?' * (len(columns) + 2))})"


class SkippedLines:
    """Skipped rows: how many, and the first ones by line as (line, id, reason)."""

    def __init__(self) -> None:
        self.count = 0
        self._details: list[tuple[int, str, str]] = []

    def add(self, line: int, row_id: str, reason: str) -> None:
        self.count += 1
        self._details.append((line, row_id, reason))
        if len(self._details) >= 2 * MAX_SKIPPED_DETAILS:
            self._details = self.first()  # rows come nearly in line order, so this keeps memory flat

    def first(self) -> list[tuple[int, str, str]]:
        """Return the first MAX_SKIPPED_DETAILS skipped rows by line."""
        return sorted(self._details)[:MAX_SKIPPED_DETAILS]


def _normalised_batches(
    reader,
    plans: list[_ColumnPlan],
    width: int,
    delimiter: str,
    skipped: SkippedLines | None,
    statuses: dict[str, str],
) -> Iterator[list[tuple[object, ...]]]:
    """Yield lists of up to BATCH_ROWS tuples (line, *values, problem), the values as ``rows`` gives them.

    With ``skipped``, see ``CsvSource.row_batches``. A batch is turned
    into columns, and each column is stripped and its times rewritten by
    map() over C functions and caches, so that no Python code runs per
    row unless a row has the wrong number of fields.
    """
    # Appointment times fall on a limited set of slots, so most time fields
    # repeat an earlier text. Each time column caches the rewritten values.
    rewrites = {
        index: _TimeRewrites(plan, skipped is not None and plan.column in MINUTE_COLUMNS)
        for index, plan in enumerate(plans)
        if plan.time_required is not None
    }
    id_position = plans[0].position
    line_before = reader.line_num
    while records := list(islice(reader, BATCH_ROWS)):
        lines = _record_lines(records, line_before, reader.line_num)
        line_before = reader.line_num
        if not isinstance(lines, range):
            for record, line in zip(records, lines):
                _check_quote_span(record, line, delimiter, width)
        problems: list[str | None] | None = None
        if any(len(record) != width for record in records):
            records, lines, problems = _fix_widths(records, lines, width, id_position, skipped)
            if not records:
                continue
        columns = _value_columns(records, plans, rewrites, statuses)
        if skipped is not None:
            yield list(zip(lines, *columns))
        else:
            yield list(zip(lines, *columns, problems or repeat(None)))


def _record_lines(records: list[list[str]], line_before: int, line_after: int) -> Sequence[int]:
    """Return the line number of each record: the line it ends on, as csv.reader's line_num counts."""
    if line_after - line_before == len(records):
        return range(line_before + 1, line_after + 1)
    # A quoted field spans lines. The file is read with newline="", so
    # "\r\n", "\r" and "\n" each end a line, inside a quoted field too.
    lines: list[int] = []
    line = line_before
    for record in records:
        line += 1 + _line_breaks(record)
        lines.append(line)
    return lines


def _fix_widths(
    records: list[list[str]],
    lines: Sequence[int],
    width: int,
    id_position: int | None,
    skipped: SkippedLines | None,
) -> tuple[list[list[str]], list[int], list[str | None]]:
    """Drop blank lines and give each record ``width`` fields, with a problem for those that had another count.

    With ``skipped``, a record with a problem is recorded there and dropped.
    """
    kept_records: list[list[str]] = []
    kept_lines: list[int] = []
    problems: list[str | None] = []
    for record, line in zip(records, lines):
        problem = None
        if len(record) != width:
            if _is_blank(record):
                continue
            problem = _width_problem(line, len(record), width)
            record = (record + [""] * width)[:width]
            if skipped is not None:
                skipped.add(line, record[id_position].strip() if id_position is not None else "", problem)
                continue
        kept_records.append(record)
        kept_lines.append(line)
        problems.append(problem)
    return kept_records, kept_lines, problems


def _is_blank(record: list[str]) -> bool:
    """Tell whether a record is a blank line, or a line of spaces only."""
    return not record or (len(record) == 1 and not record[0].strip())


def _width_problem(line: int, count: int, width: int) -> str:
    return (
        f"line {line} has {count} fields but the header has {width}: "
        "check for a separator inside an unquoted value"
    )


def _value_columns(
    records: list[list[str]],
    plans: list[_ColumnPlan],
    rewrites: dict[int, _TimeRewrites],
    statuses: dict[str, str],
) -> list[Sequence[str]]:
    """Return the SOURCE_COLUMNS values of the records, column by column: stripped, times rewritten."""
    fields = list(zip(*records))
    empty = [""] * len(records)
    columns: list[Sequence[str]] = []
    for index, plan in enumerate(plans):
        column: Sequence[str] = empty if plan.position is None else list(map(str.strip, fields[plan.position]))
        rewrite = rewrites.get(index)
        if rewrite is not None:
            if plan.time_position is None:
                column = list(map(rewrite.__getitem__, column))
            else:
                column = list(map(rewrite.__getitem__, zip(column, map(str.strip, fields[plan.time_position]))))
        if statuses and plan.column == "status":
            column = [statuses.get(text.lower(), text) for text in column]
        columns.append(column)
    return columns


class _TimeRewrites(dict):
    """The rewritten texts of one time column, by the stripped field (or date and time fields).

    Most fields are Swiss ``dd.mm.yyyy HH:MM[:SS]`` times. A new field of
    that form is put together from its rewritten date and clock parts,
    because those repeat far more often than whole times do.
    ``normalise_time`` and ``mirror_time`` give the same result, only slower.
    """

    def __init__(self, plan: _ColumnPlan, for_mirror: bool) -> None:
        super().__init__()
        self.time_required = bool(plan.time_required)
        self.for_mirror = for_mirror
        self.days: dict[str, _Day] = {}
        self.clocks: dict[str, _Clock] = {}

    def __missing__(self, key: str | tuple[str, str]) -> str:
        if len(self) >= TIME_CACHE_ENTRIES:
            self.clear()  # so memory stays flat when times rarely repeat
            self.days.clear()
            self.clocks.clear()
        value = self[key] = self._rewrite(key)
        return value

    def _rewrite(self, key: str | tuple[str, str]) -> str:
        if isinstance(key, tuple):
            text = _join_date_and_time(*key, time_required=self.time_required)
        else:
            text = key
        if len(text) == 16 or len(text) == 19:
            day = self.days.get(text[:10]) or self.days.setdefault(text[:10], _Day.of(text[:10]))
            clock = self.clocks.get(text[10:]) or self.clocks.setdefault(text[10:], _Clock.of(text[10:]))
            # normalise_time takes other digits than 0-9 in "dd.mm.yyyy HH:MM" only.
            if day.iso and clock.swiss and (len(text) == 16 or day.ascii):
                value = day.iso + text[10:]
                if not self.for_mirror:
                    return value
                return value[:16] if day.exists and clock.exists else value + INVALID_TIME_MARK
        value = normalise_time(text, time_required=self.time_required) if text else ""
        return mirror_time(value) if self.for_mirror else value


@dataclass(frozen=True)
class _Day:
    """The date part ``dd.mm.yyyy`` of a Swiss time field."""

    iso: str  # "yyyy-mm-dd"; empty when the text is not in the form
    ascii: bool  # its digits are 0-9
    exists: bool  # a valid mirror date: digits 0-9 and a day of the calendar

    @classmethod
    def of(cls, text: str) -> _Day:
        digits = text[0:2] + text[3:5] + text[6:10]
        if not (text[2] == "." and text[5] == "." and digits.isdigit()):
            return cls("", False, False)
        iso = f"{text[6:10]}-{text[3:5]}-{text[0:2]}"
        ascii_digits = digits.isascii()
        return cls(iso, ascii_digits, ascii_digits and date_exists(iso))


@dataclass(frozen=True)
class _Clock:
    """The clock part `` HH:MM`` or `` HH:MM:SS`` that follows the date of a Swiss time field."""

    swiss: bool  # in the form that normalise_time rewrites
    exists: bool  # a valid mirror time: digits 0-9, hour below 24, minute and second below 60

    @classmethod
    def of(cls, text: str) -> _Clock:
        if len(text) == 6:
            digits = text[1:3] + text[4:6]
            swiss = text[0] == " " and text[3] == ":" and digits.isdigit()
        else:
            digits = text[1:3] + text[4:6] + text[7:9]
            swiss = text[0] == " " and text[3] == ":" and text[6] == ":" and digits.isascii() and digits.isdigit()
        exists = (
            swiss
            and digits.isascii()
            and text[1:3] < "24"
            and text[4:6] < "60"
            and (len(text) == 6 or text[7:9] < "60")
        )
        return cls(swiss, exists)


def mirror_time(text: str) -> str:
    """Return a start or end time as the mirror stores it, or marked as invalid for the merge's check.

    A valid time, one that SQLite's ``datetime(text, '+0 seconds')`` gives
    back unchanged, is shortened to the minute. Any other text but the
    empty one gets INVALID_TIME_MARK appended, so that the check need not
    parse it again (attached.problem_sql).
    """
    if not text:
        return text
    if is_mirror_time(text):
        return text[:16]
    return text + INVALID_TIME_MARK


def _join_date_and_time(date: str, time: str, *, time_required: bool) -> str:
    """Join a split date and time field; an empty time field where a time is required gives an empty value.

    So an empty end time means no end time, and an empty start time is
    reported as such, not as a date without a time.
    """
    if time:
        return f"{date} {time}"
    return "" if time_required else date


def _time_value(fields: list[str], plan: _ColumnPlan) -> str:
    if plan.position is None:
        return ""
    text = fields[plan.position].strip()
    if plan.time_position is not None:
        text = _join_date_and_time(text, fields[plan.time_position].strip(), time_required=bool(plan.time_required))
    if not text:
        return ""
    return normalise_time(text, time_required=bool(plan.time_required))


def _open_text(path: Path, encoding: str):
    try:
        return path.open("r", encoding=encoding, newline="")
    except OSError as error:
        raise SyncError(f"{path}: cannot open the export file: {error.strerror}; check the path in source.files") from error


def _detect_delimiter(line: str, path: Path) -> str:
    counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    if counts[best] == 0:
        raise SyncError(
            f"{path}: the header (line 1) has no ';', ',' or tab between column names; "
            "export the file with one of these as the separator"
        )
    return best


def _first_of(chunk: bytes, needles: tuple[bytes, ...]) -> int | None:
    """Return the first position of any of the single bytes ``needles`` in ``chunk``, or None.

    bytes.find per byte is several times faster than a regex character class here.
    """
    positions = [position for needle in needles if (position := chunk.find(needle)) >= 0]
    return min(positions) if positions else None


def _scan_encoding(path: Path, configured: str | None) -> str:
    """Return the Python codec to read ``path`` with, after checking every byte of it.

    Without a configured encoding, UTF-8 is taken when the whole file
    decodes as UTF-8 (a byte order mark is dropped), otherwise Windows-1252.
    """
    try:
        stream = path.open("rb")
    except FileNotFoundError as error:
        raise SyncError(f"{path}: export file not found: check the path in source.files") from error
    except OSError as error:
        raise SyncError(f"{path}: cannot open the export file: {error.strerror}; check its permissions") from error
    with stream:
        start = stream.read(4)
        if any(start.startswith(bom) for bom in _UTF16_AND_32_BOMS):
            raise SyncError(
                f"{path}: the file is UTF-16 or UTF-32 encoded; export it as UTF-8 or Windows-1252 (ANSI) CSV"
            )
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8_ok = configured in (None, "utf-8")
        utf8_problem_line: int | None = None
        cp1252_problem: tuple[int, int] | None = None  # (line, byte)
        lines_before = 0
        while chunk := stream.read(SCAN_CHUNK_BYTES):
            if b"\x00" in chunk:
                line = lines_before + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
                raise SyncError(
                    f"{path}: line {line} contains NUL bytes, so this is not a text CSV file "
                    "(UTF-16 exports look like this); export it as UTF-8 or Windows-1252 (ANSI) CSV"
                )
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    utf8_ok = False
                    utf8_problem_line = lines_before + chunk[: max(error.start, 0)].count(b"\n") + 1
            if cp1252_problem is None:
                found = _first_of(chunk, _CP1252_UNDEFINED)
                if found is not None:
                    line = lines_before + chunk[:found].count(b"\n") + 1
                    cp1252_problem = (line, chunk[found])
            lines_before += chunk.count(b"\n")
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
                utf8_problem_line = lines_before + 1
    if configured == "utf-8" and not utf8_ok:
        raise SyncError(
            f"{path}: line {utf8_problem_line} is not valid UTF-8; export the file as UTF-8, "
            "or set source.encoding = \"cp1252\" for a Windows-1252 (ANSI) export"
        )
    if utf8_ok:
        return "utf-8-sig"
    if cp1252_problem is not None:
        line, byte = cp1252_problem
        raise SyncError(
            f"{path}: line {line} has the byte 0x{byte:02X}, which is neither UTF-8 nor Windows-1252 text; "
            "export the file as UTF-8 or Windows-1252 (ANSI) CSV"
        )
    return "cp1252"
