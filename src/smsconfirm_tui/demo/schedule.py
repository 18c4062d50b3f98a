"""Random appointments for the demo salons, around a given day.

Each open day (Monday to Saturday) each salon gets 25 to 45 visits between
08:00 and 18:30 in 15-minute steps. A visit is one client's service lines on
that day in one salon. The generator has no clock: days before ``today`` are
finished (done, no-show or cancelled), and every line from ``today`` on is
booked or cancelled, even the ones earlier in the day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from smsconfirm_tui.demo.clients import random_office_moment, timestamp
from smsconfirm_tui.demo.model import Appointment, Client, Salon

DAYS_BEFORE_TODAY = 7
DAYS_AFTER_TODAY = 14
OPENING = time(8, 0)
CLOSING = time(18, 30)
STEP_MINUTES = 15
MIN_VISITS_PER_SALON_DAY = 25
MAX_VISITS_PER_SALON_DAY = 45

SERVICE_MINUTES = {
    "Schneiden": 45,
    "Herrenschnitt": 30,
    "Färben": 90,
    "Ansatz färben": 60,
    "Strähnen": 120,
    "Föhnen": 30,
    "Dauerwelle": 120,
    "Bart": 15,
    "Maniküre": 45,
    "Hochsteckfrisur": 60,
}

# Service plans with weights. A plan with several services becomes one
# visit with several lines.
PLANS_FOR_WOMEN = {
    ("Schneiden",): 30,
    ("Föhnen",): 8,
    ("Färben",): 6,
    ("Ansatz färben",): 5,
    ("Strähnen",): 4,
    ("Dauerwelle",): 2,
    ("Maniküre",): 6,
    ("Hochsteckfrisur",): 2,
    ("Färben", "Schneiden"): 12,
    ("Strähnen", "Schneiden"): 6,
    ("Ansatz färben", "Föhnen"): 5,
    ("Schneiden", "Maniküre"): 3,
    ("Färben", "Schneiden", "Föhnen"): 3,
}
PLANS_FOR_MEN = {
    ("Herrenschnitt",): 60,
    ("Herrenschnitt", "Bart"): 25,
    ("Bart",): 10,
    ("Färben", "Herrenschnitt"): 5,
}

# Probabilities per visit or per line. Together they give about 5% cancelled lines.
ALL_CANCELLED_PROBABILITY = 0.03
LINE_CANCELLED_PROBABILITY = 0.04  # one line of a visit with several lines
NO_SHOW_PROBABILITY = 0.03  # past visits only
SAME_STAFF_PROBABILITY = 0.6  # a later line stays with the first line's stylist
GAP_MINUTES_WEIGHTS = {0: 75, 15: 15, 30: 10}  # between two lines of one visit


def window(today: date) -> tuple[date, date]:
    """Return the first and last day that may have appointments."""
    return today - timedelta(days=DAYS_BEFORE_TODAY), today + timedelta(days=DAYS_AFTER_TODAY)


def open_days(today: date) -> list[date]:
    """Return the open days (Monday to Saturday) in the window around ``today``."""
    # NOTE: public holidays count as open days here, so the demo may book
    # visits on a day such as Good Friday that the product treats as closed.
    first, last = window(today)
    days = []
    day = first
    while day <= last:
        if day.weekday() != 6:
            days.append(day)
        day += timedelta(days=1)
    return days


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _weighted_plan(rng: random.Random, plans: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    return rng.choices(list(plans), weights=list(plans.values()))[0]


class _StaffDay:
    """The minutes booked per stylist in one salon on one day."""

    def __init__(self, staff: tuple[str, ...]) -> None:
        self.intervals: dict[str, list[tuple[int, int]]] = {name: [] for name in staff}

    def overlap(self, name: str, start: int, end: int) -> int:
        return sum(max(0, min(end, b) - max(start, a)) for a, b in self.intervals[name])

    def least_busy(self, rng: random.Random, start: int, end: int) -> str:
        """Pick the stylist with the fewest booked minutes in [start, end)."""
        names = list(self.intervals)
        rng.shuffle(names)
        return min(names, key=lambda name: self.overlap(name, start, end))

    def book(self, name: str, start: int, end: int) -> None:
        self.intervals[name].append((start, end))


def _pick_clients(rng: random.Random, pool: list[Client], salon_id: str, count: int) -> list[Client]:
    """Draw ``count`` clients, mostly from those whose usual salon is ``salon_id``.

    Weighted sampling without replacement (Efraimidis and Spirakis): each
    client gets the key u ** (1 / weight) and the largest keys win.
    """
    def key(client: Client) -> float:
        weight = 6.0 if client.home_salon_id == salon_id else 1.0
        return rng.random() ** (1.0 / weight)

    keyed = [(key(client), index) for index, client in enumerate(pool)]
    keyed.sort(reverse=True)
    return [pool[index] for _, index in keyed[:count]]


def _visit_lines(
    rng: random.Random,
    client: Client,
    salon: Salon,
    day: date,
    staff_day: _StaffDay,
) -> list[Appointment]:
    """Plan one visit and return its lines with status "booked"."""
    plans = PLANS_FOR_MEN if client.gender == "m" else PLANS_FOR_WOMEN
    services = _weighted_plan(rng, plans)
    gaps = [0] + [int(rng.choices(list(GAP_MINUTES_WEIGHTS), list(GAP_MINUTES_WEIGHTS.values()))[0]) for _ in services[1:]]
    span = sum(SERVICE_MINUTES[service] for service in services) + sum(gaps)

    opening, closing = _minutes(OPENING), _minutes(CLOSING)
    last_start = closing - span
    start = opening + STEP_MINUTES * rng.randint(0, (last_start - opening) // STEP_MINUTES)

    lines = []
    first_staff = ""
    cursor = start
    for service, gap in zip(services, gaps):
        line_start = cursor + gap
        line_end = line_start + SERVICE_MINUTES[service]
        if first_staff and rng.random() < SAME_STAFF_PROBABILITY:
            staff = first_staff
        else:
            staff = staff_day.least_busy(rng, line_start, line_end)
        first_staff = first_staff or staff
        staff_day.book(staff, line_start, line_end)

        day_start = datetime.combine(day, time())
        lines.append(
            Appointment(
                client_id=client.id,
                salon_id=salon.id,
                starts_at=(day_start + timedelta(minutes=line_start)).strftime("%Y-%m-%d %H:%M"),
                ends_at=(day_start + timedelta(minutes=line_end)).strftime("%Y-%m-%d %H:%M"),
                service=service,
                staff=staff,
                status="booked",
                updated_at="",
            )
        )
        cursor = line_end
    return lines


def _set_outcome(rng: random.Random, lines: list[Appointment], day: date, today: date) -> None:
    """Set the status and updated_at of one visit's lines.

    Every timestamp lies before ``today``: bookings and cancellations on an
    earlier day, done and no-show entries on the visit's own past day.
    """
    latest_booking_day = min(day, today) - timedelta(days=1)
    booked_day = latest_booking_day - timedelta(days=rng.randint(0, 40))
    booked_at = timestamp(random_office_moment(rng, booked_day))

    def cancelled_at() -> str:
        cancel_day = booked_day + timedelta(days=rng.randint(0, (latest_booking_day - booked_day).days))
        return timestamp(random_office_moment(rng, cancel_day))

    roll = rng.random()
    if roll < ALL_CANCELLED_PROBABILITY:
        moment = cancelled_at()
        for line in lines:
            line.status = "cancelled"
            line.updated_at = moment
        return
    if day < today and roll < ALL_CANCELLED_PROBABILITY + NO_SHOW_PROBABILITY:
        first_start = datetime.strptime(lines[0].starts_at, "%Y-%m-%d %H:%M")
        moment = timestamp(first_start + timedelta(minutes=20))
        for line in lines:
            line.status = "no_show"
            line.updated_at = moment
        return

    for line in lines:
        if len(lines) > 1 and rng.random() < LINE_CANCELLED_PROBABILITY:
            line.status = "cancelled"
            line.updated_at = cancelled_at()
        elif day < today:
            line.status = "done"
            ends = datetime.strptime(line.ends_at, "%Y-%m-%d %H:%M")
            line.updated_at = timestamp(ends + timedelta(minutes=rng.randint(0, 10), seconds=rng.randint(0, 59)))
        else:
            line.status = "booked"
            line.updated_at = booked_at


def random_appointments(
    rng: random.Random,
    today: date,
    salons: list[Salon],
    clients: list[Client],
    existing_visits: set[tuple[str, str, date]],
) -> list[Appointment]:
    """Create random visits on every open day in the window, without ids.

    ``existing_visits`` contains (client id, salon id, day) of visits planned
    elsewhere. Those clients get no random visit on that day, and the salon's
    random visits that day are fewer by as many, so that each salon has 25 to
    45 visits per open day in total. A client gets at most one random visit
    per day across all salons.
    """
    busy = {(client_id, day) for client_id, _, day in existing_visits}
    pool = [client for client in clients if client.in_random_visits]
    result: list[Appointment] = []
    for day in open_days(today):
        available = [client for client in pool if (client.id, day) not in busy]
        for salon in salons:
            planned = sum(1 for _, salon_id, planned_day in existing_visits if salon_id == salon.id and planned_day == day)
            count = max(0, rng.randint(MIN_VISITS_PER_SALON_DAY, MAX_VISITS_PER_SALON_DAY) - planned)
            chosen = _pick_clients(rng, available, salon.id, min(count, len(available)))
            chosen_ids = {client.id for client in chosen}
            available = [client for client in available if client.id not in chosen_ids]
            staff_day = _StaffDay(salon.staff)
            for client in chosen:
                lines = _visit_lines(rng, client, salon, day, staff_day)
                _set_outcome(rng, lines, day, today)
                result.extend(lines)
    return result
