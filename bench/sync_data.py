"""Salon databases of any size for the sync benchmarks, as a SQLite file and as CSV exports.

The rows look like a real salon system's: about 20 appointment lines per
client, Swiss numbers typed in several styles, most lines in the past. The
content depends only on the row counts, so every run reads the same data.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from smsconfirm_tui.demo.salon import SCHEMA
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS

LINES_PER_CLIENT = 20
FIRST_DAY = datetime(2020, 1, 6, 8, 0)
SERVICES = ("Schneiden", "Färben", "Föhnen", "Dauerwelle", "Strähnen", "Bart")
STAFF = ("Anna", "Jasmin", "Luca", "Tamara", "Sevgi", "Giada")
FIRST_NAMES = ("Anna", "Beat", "Chloé", "Dario", "Elif", "Fabienne", "Giulia", "Hans", "Iris", "Jürg")
LAST_NAMES = ("Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Rossi", "Favre", "Brunner", "Gerber")
SALONS = (("S1", "Coiffure Anna", "044 212 34 56", "ZH", "Coiff Anna"),
          ("S2", "Salon Bellezza", "091 922 45 67", "TI", "Bellezza"))


def client_count(appointments: int) -> int:
    return max(1, appointments // LINES_PER_CLIENT)


def _clients(count: int) -> Iterator[tuple[object, ...]]:
    for number in range(1, count + 1):
        digits = f"{number % 10_000_000:07d}"
        style = number % 4
        if style == 0:
            mobile = f"079 {digits[:3]} {digits[3:5]} {digits[5:]}"
        elif style == 1:
            mobile = f"+41 78 {digits[:3]} {digits[3:5]} {digits[5:]}"
        elif style == 2:
            mobile = f"076{digits}"
        else:
            mobile = ""
        home = f"044 {digits[:3]} {digits[3:5]} {digits[5:]}" if number % 3 == 0 else ""
        yield (
            f"K{number:07d}",
            FIRST_NAMES[number % len(FIRST_NAMES)],
            LAST_NAMES[(number // 7) % len(LAST_NAMES)],
            mobile,
            home,
            "",
            ("de", "fr", "it", "en", "")[number % 5],
            number % 2,
            (None, 1, 2, 3)[number % 4],
            "2024-05-01 10:00:00",
        )


def _appointments(count: int, clients: int) -> Iterator[tuple[object, ...]]:
    for number in range(1, count + 1):
        start = FIRST_DAY + timedelta(minutes=15 * (number // 4))
        end = start + timedelta(minutes=45)
        yield (
            f"A{number:08d}",
            f"K{(number * 7919) % clients + 1:07d}",
            SALONS[number % 2][0],
            start.strftime("%Y-%m-%d %H:%M"),
            end.strftime("%Y-%m-%d %H:%M"),
            SERVICES[number % len(SERVICES)],
            STAFF[number % len(STAFF)],
            ("booked", "done", "done", "cancelled")[number % 4],
            start.strftime("%Y-%m-%d %H:%M:%S"),
        )


def make_salon_db(path: Path, appointments: int) -> None:
    """Write a salon database with ``appointments`` lines to ``path`` (replacing it)."""
    path.unlink(missing_ok=True)
    clients = client_count(appointments)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
        connection.executemany("INSERT INTO salons VALUES (?, ?, ?, ?, ?)", SALONS)
        connection.executemany("INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _clients(clients))
        connection.executemany(
            "INSERT INTO appointments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _appointments(appointments, clients)
        )
        connection.commit()
    finally:
        connection.close()


def change_rows(path: Path, share: float) -> int:
    """Change the service of every n-th appointment line, so that ``share`` of them differ; return how many."""
    step = max(1, round(1 / share))
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(
            "UPDATE appointments SET service = service || ' (neu)' WHERE rowid % ? = 0", (step,)
        )
        connection.commit()
        return cursor.rowcount
    finally:
        connection.close()


SWISS_HEADERS = {
    "salons": ("Filiale", "Name", "Telefon", "Kanton", "Absender"),
    "clients": ("KundenNr", "Vorname", "Nachname", "Natel", "Telefon privat", "Telefon Geschäft",
                "Sprache", "SMS", "Tage vorher", "Geändert"),
    "appointments": ("TerminNr", "KundenNr", "Filiale", "Beginn", "Ende", "Leistung", "Mitarbeiter",
                     "Status", "Geändert"),
}


def column_mapping() -> dict[str, dict[str, str]]:
    """Return the [source.columns] mapping for the files that ``write_csv_exports`` writes."""
    return {
        table: dict(zip(SOURCE_COLUMNS[table], headers, strict=True)) for table, headers in SWISS_HEADERS.items()
    }


def _swiss_time(text: object) -> object:
    """Rewrite 2026-12-04 09:30[:00] as 04.12.2026 09:30[:00], as Excel on a Swiss PC exports it."""
    if not isinstance(text, str) or len(text) < 16:
        return text
    return f"{text[8:10]}.{text[5:7]}.{text[0:4]}{text[10:]}"


def write_csv_exports(salon_db: Path, folder: Path) -> dict[str, Path]:
    """Export the salon database like a Swiss Windows salon system: ';', Windows-1252, dd.mm.yyyy."""
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(salon_db)
    files: dict[str, Path] = {}
    try:
        for table, headers in SWISS_HEADERS.items():
            columns = SOURCE_COLUMNS[table]
            path = folder / f"{table}.csv"
            with path.open("w", encoding="cp1252", newline="") as stream:
                writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
                writer.writerow(headers)
                times = [index for index, column in enumerate(columns) if column in ("starts_at", "ends_at", "updated_at")]
                for row in connection.execute(f"SELECT {', '.join(columns)} FROM {table}"):
                    values = list(row)
                    for index in times:
                        values[index] = _swiss_time(values[index])
                    writer.writerow(values)
            files[table] = path
    finally:
        connection.close()
    return files
