"""Visit statuses for one day: computing them against reading their rows from the mirror.

Both sides work on the same day of visits in one run. "read" is the SQL the
day list runs: appointment lines, clients, messages by visit and by line,
and the latest replies, turned into row objects. "compute" is the status
and due check of every visit from those rows already in memory
(``routine.assess_visit``). The target is that computing costs less than
reading.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import Result
from smsconfirm_tui.domain.calendar import ZURICH, SalonCalendar
from smsconfirm_tui.domain.visits import group_visits
from smsconfirm_tui.routine import assess_visit
from smsconfirm_tui.store.mirror import Mirror

DAY = date(2026, 12, 5)
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)
SALONS = ("S1", "S2")
STAMP = "2026-12-03T08:00:00+00:00"


def build_mirror(path: Path, visits: int, seed: int = 7) -> None:
    """Fill a new mirror with ``visits`` visits on DAY, half of them with an SMS and a third of those replied."""
    rng = random.Random(seed)
    mirror = Mirror(path)
    with mirror.transaction() as connection:
        connection.executemany(
            "INSERT INTO salons (id, name, phone, canton, sender) VALUES (?, ?, '044 000 00 00', 'ZH', 'Salon')",
            [(salon, f"Salon {salon}") for salon in SALONS],
        )
        clients = []
        appointments = []
        messages = []
        lines = []
        replies = []
        for number in range(visits):
            client_id = f"K{number:06d}"
            salon_id = SALONS[number % len(SALONS)]
            has_mobile = rng.random() < 0.85
            clients.append((
                client_id, "Anna", f"Muster {number}", "079 000 00 12" if has_mobile else "044 000 00 12",
                1 if rng.random() < 0.8 else 0, rng.choice([None, 1, 2, 3]),
                "+41790000012" if has_mobile else None, "mobile" if has_mobile else "empty",
                "mobile" if has_mobile else None, "079 000 00 12" if has_mobile else None,
            ))
            start = datetime.combine(DAY, datetime.min.time()) + timedelta(minutes=8 * 60 + 15 * (number % 40))
            line_ids = []
            for part in range(rng.choice([1, 1, 2, 3])):
                line_id = f"A{number:06d}-{part}"
                line_ids.append(line_id)
                starts_at = (start + timedelta(minutes=30 * part)).strftime("%Y-%m-%d %H:%M")
                status = "cancelled" if rng.random() < 0.03 else "booked"
                appointments.append((line_id, client_id, salon_id, starts_at, "Schneiden", "Tamara", status))
            if has_mobile and rng.random() < 0.5:
                message_id = len(messages) + 1
                key = f"{salon_id}/{client_id}/{DAY.isoformat()}"
                messages.append((message_id, f"ref{message_id}", key, start.strftime("%Y-%m-%d %H:%M"),
                                 client_id, salon_id, "+41790000012", "Text", "sent", STAMP, STAMP, STAMP))
                lines.extend((message_id, line_id) for line_id in line_ids)
                if rng.random() < 0.33:
                    replies.append(("demo", f"p{message_id}", "+41790000012", "Ja", STAMP,
                                    rng.choice(["yes", "no", "unclear"]), message_id, key))
        connection.executemany(
            "INSERT INTO clients (id, first_name, last_name, mobile_phone, confirm_sms, confirm_days, "
            "phone_e164, phone_kind, phone_field, phone_display) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            clients,
        )
        connection.executemany(
            "INSERT INTO appointments (id, client_id, salon_id, starts_at, service, staff, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            appointments,
        )
        connection.executemany(
            "INSERT INTO messages (id, reference, visit_key, visit_starts_at, client_id, salon_id, to_e164, "
            "text, state, created_at, sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            messages,
        )
        connection.executemany("INSERT INTO message_lines (message_id, appointment_id) VALUES (?, ?)", lines)
        connection.executemany(
            "INSERT INTO replies (provider, provider_id, from_e164, text, received_at, reply_class, "
            "message_id, visit_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            replies,
        )
    mirror.close()


def read_rows(mirror: Mirror):
    """Run the day list's queries; return the visits and the rows they need."""
    visits = group_visits(mirror.appointment_lines(DAY, DAY))
    clients = mirror.clients(visit.client_id for visit in visits)
    messages = mirror.messages_for_visits(visit.key for visit in visits)
    by_line = mirror.messages_for_lines(line.id for visit in visits for line in visit.active_lines)
    replies = mirror.latest_replies(found[-1].id for found in messages.values())
    return visits, mirror.salons(), clients, messages, by_line, replies


def compute_statuses(visits, salons, clients, messages, by_line, replies, calendars) -> int:
    """Assess every visit as the day list does; return how many were assessed."""
    notice = timedelta(hours=2)
    count = 0
    for visit in visits:
        client = clients[visit.client_id]
        earlier_days = [
            message
            for line in visit.active_lines
            for message in by_line.get(line.id, ())
            if message.visit_key != visit.key
        ]
        lead = client.lead_days if client.lead_days is not None else 2
        assess_visit(visit, client, salons[visit.salon_id], lead, messages.get(visit.key, []),
                     earlier_days, replies, calendars[visit.salon_id], NOW, notice)
        count += 1
    return count


def _timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def run(quick: bool) -> list[Result]:
    size = 500 if quick else 5000
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mirror.sqlite"
        build_mirror(path, size)
        mirror = Mirror(path)
        try:
            calendars = {salon: SalonCalendar(canton="ZH") for salon in SALONS}
            rows = read_rows(mirror)  # warms the page cache and the holiday tables
            assessed = compute_statuses(*rows, calendars)

            read_times = _timed(lambda: read_rows(mirror), repeats)
            compute_times = _timed(lambda: compute_statuses(*rows, calendars), repeats)
        finally:
            mirror.close()

    read = statistics.median(read_times)
    compute = statistics.median(compute_times)
    ratio = compute / read
    detail = (
        f"{assessed} visits; median of {repeats}: compute {compute * 1000:.1f} ms, "
        f"read {read * 1000:.1f} ms"
    )
    return [Result("compute / read, one day", ratio, "x read", "< 1.0", ratio < 1.0, detail)]
