"""Visits: all appointments of one client in one salon on one day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

LOCAL_FORMAT = "%Y-%m-%d %H:%M"

# Appointment states in the salon database that still make a visit happen.
ACTIVE_STATES = frozenset({"booked", "done", "no_show"})


@dataclass(frozen=True)
class AppointmentLine:
    """One booked service line, with its time as local Europe/Zurich time."""

    id: str
    client_id: str
    salon_id: str
    starts_at: datetime
    ends_at: datetime | None
    service: str
    staff: str
    status: str
    removed: bool = False

    @property
    def active(self) -> bool:
        return not self.removed and self.status in ACTIVE_STATES


@dataclass(frozen=True)
class Visit:
    """The unit that gets one confirmation SMS."""

    salon_id: str
    client_id: str
    day: date
    lines: tuple[AppointmentLine, ...]

    @property
    def key(self) -> str:
        return visit_key(self.salon_id, self.client_id, self.day)

    @property
    def active_lines(self) -> tuple[AppointmentLine, ...]:
        return tuple(line for line in self.lines if line.active)

    @property
    def cancelled(self) -> bool:
        """True when every line was cancelled or removed from the source."""
        return not self.active_lines

    @property
    def starts_at(self) -> datetime:
        """The first start time the SMS names; for a cancelled visit, of any line."""
        lines = self.active_lines or self.lines
        return min(line.starts_at for line in lines)


def visit_key(salon_id: str, client_id: str, day: date) -> str:
    return f"{salon_id}/{client_id}/{day.isoformat()}"


def parse_local(text: str) -> datetime:
    """Read a salon-database time (``YYYY-MM-DD HH:MM``, seconds allowed)."""
    return datetime.strptime(text[:16], LOCAL_FORMAT)


def format_local(moment: datetime) -> str:
    return moment.strftime(LOCAL_FORMAT)


def group_visits(lines: Iterable[AppointmentLine]) -> list[Visit]:
    """Group appointment lines into visits, ordered by start time and client."""
    groups: dict[tuple[str, str, date], list[AppointmentLine]] = {}
    for line in lines:
        groups.setdefault((line.salon_id, line.client_id, line.starts_at.date()), []).append(line)
    visits = [
        Visit(salon_id, client_id, day, tuple(sorted(group, key=lambda line: line.starts_at)))
        for (salon_id, client_id, day), group in groups.items()
    ]
    visits.sort(key=lambda visit: (visit.starts_at, visit.salon_id, visit.client_id))
    return visits
