"""Queries and marks for the replies that need staff: the call list and its marks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from smsconfirm_tui.store.mirror import Mirror

CALL_MARKS = ("called", "rebooked")


@dataclass(frozen=True)
class CallMark:
    """A mark on a declined visit: who set it and when."""

    mark: str
    at: str
    actor: str


def call_marks(mirror: Mirror, visit_keys: Iterable[str]) -> dict[str, dict[str, CallMark]]:
    """Return the marks of each visit that has any, keyed by visit and mark."""
    keys = sorted(set(visit_keys))
    result: dict[str, dict[str, CallMark]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = mirror.connection.execute(
            f"SELECT visit_key, mark, at, actor FROM call_marks WHERE visit_key IN ({marks})", chunk
        )
        for row in rows:
            result.setdefault(row["visit_key"], {})[row["mark"]] = CallMark(row["mark"], row["at"], row["actor"])
    return result


def set_call_mark(
    mirror: Mirror, visit_key: str, client_id: str, mark: str, on: bool, *, actor: str, now: datetime
) -> bool:
    """Set or clear one mark with its audit-log entry; return whether anything changed."""
    if mark not in CALL_MARKS:
        raise ValueError(f"call list mark {mark!r} is not one of {', '.join(CALL_MARKS)}")
    with mirror.transaction() as connection:
        if on:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO call_marks (visit_key, mark, at, actor) VALUES (?, ?, ?, ?)",
                (visit_key, mark, now.isoformat(timespec="seconds"), actor),
            )
        else:
            cursor = connection.execute(
                "DELETE FROM call_marks WHERE visit_key = ? AND mark = ?", (visit_key, mark)
            )
        if not cursor.rowcount:
            return False
        mirror.add_audit(at=now, actor=actor, action="call_mark", client_id=client_id, visit_key=visit_key,
                         field=mark, old_value=not on, new_value=on)
    return True


def days_with_answers(mirror: Mirror, answers: tuple[str, ...], first_day: date) -> list[date]:
    """Return the days from ``first_day`` on with a visit whose reply, or staff's decision, is in ``answers``."""
    marks = ",".join("?" * len(answers))
    rows = mirror.connection.execute(
        "SELECT DISTINCT substr(m.visit_starts_at, 1, 10) FROM replies r JOIN messages m ON m.id = r.message_id "
        f"WHERE COALESCE(r.resolution, r.reply_class) IN ({marks}) AND m.visit_starts_at >= ? ORDER BY 1",
        (*answers, first_day.isoformat()),
    )
    return [date.fromisoformat(row[0]) for row in rows]


def days_with_confirmations(mirror: Mirror, first_day: date) -> list[date]:
    """Return the days from ``first_day`` on with a visit whose confirmation SMS went out."""
    rows = mirror.connection.execute(
        "SELECT DISTINCT substr(visit_starts_at, 1, 10) FROM messages WHERE kind = 'confirmation' "
        "AND state IN ('sent', 'unknown') AND visit_starts_at >= ? ORDER BY 1",
        (first_day.isoformat(),),
    )
    return [date.fromisoformat(row[0]) for row in rows]
