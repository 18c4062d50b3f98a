"""Generate the demo salon database: a SQLite file in the salon database shape.

The demo and the tests read this file in place of the salon system's own
database. Its content depends only on ``today`` and ``seed``, never on the clock,
so the same inputs always give the same rows.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from smsconfirm_tui.demo.clients import random_client
from smsconfirm_tui.demo.model import Appointment, Client, Salon
from smsconfirm_tui.demo.schedule import random_appointments
from smsconfirm_tui.demo.showcase import SHOWCASE, showcase_appointments, showcase_clients

SALONS = [
    Salon(
        id="S1",
        name="Coiffure Anna",
        phone="044 212 34 56",
        canton="ZH",
        sender="Coiff Anna",
        staff=("Anna", "Jasmin", "Luca", "Tamara", "Sevgi"),
    ),
    Salon(
        id="S2",
        name="Salon Bellezza",
        phone="091 922 45 67",
        canton="TI",
        sender="Bellezza",
        staff=("Giada", "Marco", "Elena", "Sofia"),
    ),
]

MIN_CLIENTS = len(SHOWCASE)
MAX_CLIENTS = 99_999  # client ids have five digits

SCHEMA = """
CREATE TABLE salons (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    canton TEXT NOT NULL CHECK (length(canton) = 2),
    sender TEXT NOT NULL
);
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    mobile_phone TEXT NOT NULL,
    home_phone TEXT NOT NULL,
    work_phone TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('de', 'fr', 'it', 'en', '')),
    confirm_sms INTEGER NOT NULL CHECK (confirm_sms IN (0, 1)),
    confirm_days INTEGER,
    updated_at TEXT NOT NULL
);
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    salon_id TEXT NOT NULL REFERENCES salons (id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    service TEXT NOT NULL,
    staff TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'no_show', 'done')),
    updated_at TEXT NOT NULL
);
CREATE INDEX appointments_starts_at ON appointments (starts_at);
"""


@dataclass(frozen=True)
class DemoSummary:
    """Row counts of a generated file and the first and last day with an appointment."""

    salons: int
    clients: int
    appointments: int
    first_day: date
    last_day: date


def _build_clients(rng: random.Random, today: date, count: int) -> list[Client]:
    result = showcase_clients(today)
    for number in range(len(result) + 1, count + 1):
        result.append(random_client(rng, number, today))
    return result


def _build_appointments(rng: random.Random, today: date, clients: list[Client]) -> list[Appointment]:
    """Combine showcase and random visits and number them in time order."""
    showcase = showcase_appointments(today)
    showcase_visits = {(line.client_id, line.salon_id, date.fromisoformat(line.starts_at[:10])) for line in showcase}
    lines = showcase + random_appointments(rng, today, SALONS, clients, showcase_visits)
    lines.sort(key=lambda line: (line.starts_at, line.salon_id, line.client_id, line.ends_at))
    for number, line in enumerate(lines, start=1):
        line.id = f"A{number:06d}"
    return lines


def _write(connection: sqlite3.Connection, clients: list[Client], appointments: list[Appointment]) -> None:
    connection.executescript(SCHEMA)
    connection.executemany(
        "INSERT INTO salons (id, name, phone, canton, sender) VALUES (?, ?, ?, ?, ?)",
        [(salon.id, salon.name, salon.phone, salon.canton, salon.sender) for salon in SALONS],
    )
    connection.executemany(
        "INSERT INTO clients (id, first_name, last_name, mobile_phone, home_phone, work_phone,"
        " language, confirm_sms, confirm_days, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                client.id,
                client.first_name,
                client.last_name,
                client.mobile_phone,
                client.home_phone,
                client.work_phone,
                client.language,
                client.confirm_sms,
                client.confirm_days,
                client.updated_at,
            )
            for client in clients
        ],
    )
    connection.executemany(
        "INSERT INTO appointments (id, client_id, salon_id, starts_at, ends_at, service, staff,"
        " status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (line.id, line.client_id, line.salon_id, line.starts_at, line.ends_at, line.service,
             line.staff, line.status, line.updated_at)
            for line in appointments
        ],
    )
    connection.commit()


def generate_salon_db(path: Path, today: date, seed: int = 7, clients: int = 400) -> DemoSummary:
    """Write a demo salon database to ``path``, replacing any file there.

    The file is built under a temporary name in the same folder and moved into
    place with ``os.replace``, so readers see either the old or the new file.
    Raises ValueError when ``clients`` is below the number of showcase clients
    or above 99999.
    """
    if not MIN_CLIENTS <= clients <= MAX_CLIENTS:
        raise ValueError(f"clients must be between {MIN_CLIENTS} and {MAX_CLIENTS}, got {clients}")

    rng = random.Random(seed)
    client_rows = _build_clients(rng, today, clients)
    appointment_rows = _build_appointments(rng, today, client_rows)

    path = Path(path)
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    try:
        connection = sqlite3.connect(temporary_name)
        try:
            _write(connection, client_rows, appointment_rows)
        finally:
            connection.close()
        os.replace(temporary_name, path)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise

    days = [line.starts_at[:10] for line in appointment_rows]
    return DemoSummary(
        salons=len(SALONS),
        clients=len(client_rows),
        appointments=len(appointment_rows),
        first_day=date.fromisoformat(min(days)),
        last_day=date.fromisoformat(max(days)),
    )
