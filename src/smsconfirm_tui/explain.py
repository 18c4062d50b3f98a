"""Why a visit has its status: the facts behind ``smsconfirm explain``.

Plain Python on top of the routine, so tests call it without a terminal. The
result is a JSON-ready dict. Its "number" section shows the reading the
sync stored, because the lists and the send path use that reading.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from smsconfirm_tui.domain.calendar import WEEKDAY_NAMES
from smsconfirm_tui.domain.phone import parse_phone
from smsconfirm_tui.domain.visits import format_local
from smsconfirm_tui.routine import DayRow, Routine
from smsconfirm_tui.store.mirror import MessageRow, ReplyRow

WEEKDAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class VisitNotFound(LookupError):
    """No visit matches the key or the client and day; the message says what was searched."""


def split_visit_key(key: str, salon_ids: list[str]) -> tuple[str, str, date]:
    """Split ``SALON/CLIENT/YYYY-MM-DD`` into its parts.

    Salon and client ids may contain "/", so the salon id is matched against
    the known salons and the day is taken from the end.
    Raises ValueError for a key without a valid date or a known salon.
    """
    head, _slash, day_text = key.rpartition("/")
    try:
        day = date.fromisoformat(day_text)
    except ValueError as error:
        raise ValueError(
            f"invalid visit key {key!r}: it must end with a date, as in S1/K00017/2026-12-05"
        ) from error
    for salon_id in sorted(salon_ids, key=len, reverse=True):
        prefix = f"{salon_id}/"
        if head.startswith(prefix) and len(head) > len(prefix):
            return salon_id, head[len(prefix):], day
    raise ValueError(
        f"invalid visit key {key!r}: it does not start with a known salon id "
        f"({', '.join(sorted(salon_ids)) or 'the mirror has no salons'})"
    )


def explain_visit(routine: Routine, key: str) -> dict[str, Any]:
    """Explain the visit with this key. Raises ValueError or VisitNotFound."""
    salons = routine.mirror.salons()
    _salon_id, _client_id, day = split_visit_key(key, list(salons))
    for row in routine.rows_for_day(day):
        if row.key == key:
            return explain_row(routine, row)
    raise VisitNotFound(_not_found_message(routine, key, day))


def explain_client_day(routine: Routine, client_id: str, day: date) -> dict[str, Any]:
    """Explain the client's visit on ``day``. Raises VisitNotFound, also for several salons."""
    rows = [row for row in routine.rows_for_day(day) if row.client.id == client_id]
    if not rows:
        raise VisitNotFound(
            f"client {client_id!r} has no appointment on {day.isoformat()} in the mirror: "
            "check the client id and the date, or run smsconfirm sync"
        )
    if len(rows) > 1:
        keys = ", ".join(row.key for row in rows)
        raise VisitNotFound(
            f"client {client_id!r} has visits in several salons on {day.isoformat()}: "
            f"pass one of the visit keys {keys}"
        )
    return explain_row(routine, rows[0])


def explain_row(routine: Routine, row: DayRow) -> dict[str, Any]:
    """Collect the rule, due day, number, latest message and reply of one assessed visit."""
    history = routine.mirror.messages_for_visits([row.key]).get(row.key, [])
    message = row.message or row.moved_from or (history[-1] if history else None)
    reply = row.reply
    if reply is None and message is not None:
        reply = routine.mirror.latest_replies([message.id]).get(message.id)
    calendar = routine.calendar(row.salon)
    lead_days, lead_source = routine.lead_days(row.client)
    client = row.client
    return {
        "visit": row.key,
        "salon": {"id": row.salon.id, "name": row.salon.name},
        "client": {"id": client.id, "name": client.name},
        "starts_at": format_local(row.visit.starts_at),
        "lines": [
            {
                "id": line.id,
                "starts_at": format_local(line.starts_at),
                "service": line.service,
                "staff": line.staff,
                "status": "removed from the salon database" if line.removed else line.status,
                "counts": line.active,
            }
            for line in row.visit.lines
        ],
        "status": str(row.status),
        "rule": row.rule,
        "moved": row.moved,
        "moved_because": _moved_because(row),
        "due": {
            "lead_days": lead_days,
            "lead_source": lead_source,
            "due_day": row.due.due.due.isoformat() if row.due else None,
            "due_weekday": WEEKDAY_NAMES[row.due.due.due.weekday()] if row.due else None,
            "moves": list(row.due.due.moves) if row.due else [],
            "state": str(row.due.state) if row.due else None,
            "reason": row.due.reason if row.due else None,
            "canton": calendar.canton,
            "open_days": [WEEKDAY_ABBREVIATIONS[day] for day in sorted(calendar.open_weekdays)],
            "min_notice_hours": routine.config.min_notice_hours,
        },
        "profile": {
            "sms_on": client.sms_on,
            "opted_out": client.opted_out,
            "language": client.language or None,
            "edited_by": client.edited_by,
            "edited_at": client.edited_at,
        },
        "number": {
            "fields": {
                "mobile": _read_field(client.mobile_phone),
                "home": _read_field(client.home_phone),
                "work": _read_field(client.work_phone),
            },
            "field": client.phone_field,
            "e164": client.phone_e164,
            "kind": client.phone_kind,
            "display": client.phone_display,
            "note": client.phone_note or None,
            "unsure": client.phone_unsure,
            "invalid_fields": client.phone_problem,
        },
        "message": _message(routine, message),
        "reply": _reply(reply),
    }


def _read_field(typed: str) -> dict[str, Any]:
    """Read one phone field again, to show why it was or was not chosen.

    Only this single-visit command parses again. The lists use the reading
    stored at sync.
    """
    number = parse_phone(typed)
    return {
        "typed": typed,
        "e164": number.e164,
        "kind": str(number.kind),
        "sms_capable": number.sms_capable,
        "note": number.note or None,
        "problem": number.problem,
    }


def _moved_because(row: DayRow) -> str | None:
    old = row.moved_from
    if old is None:
        return None
    starts_at = format_local(row.visit.starts_at)
    if old.visit_key != row.key:
        return (
            f"SMS {old.reference} confirmed {old.visit_starts_at} for visit {old.visit_key}; "
            f"its appointment now belongs to this visit, which starts {starts_at}"
        )
    return f"SMS {old.reference} confirmed {old.visit_starts_at}; the visit now starts {starts_at}"


def _message(routine: Routine, message: MessageRow | None) -> dict[str, Any] | None:
    if message is None:
        return None
    return {
        "reference": message.reference,
        "visit": message.visit_key,
        "visit_starts_at": message.visit_starts_at,
        "state": message.state,
        "to": message.to_e164,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "error": message.error,
        "delivery": message.delivery,
        "lines": routine.mirror.message_line_ids(message.id),
        "text": message.text,
    }


def _reply(reply: ReplyRow | None) -> dict[str, Any] | None:
    if reply is None:
        return None
    return {
        "received_at": reply.received_at,
        "class": reply.reply_class,
        "rule": reply.rule,
        "resolution": reply.resolution,
        "text": reply.text,
    }


def _not_found_message(routine: Routine, key: str, day: date) -> str:
    """Build the not-found error, naming where a moved visit's appointments are now."""
    history = routine.mirror.messages_for_visits([key]).get(key, [])
    if not history:
        return (
            f"visit {key!r} not found: no appointment on {day.isoformat()} in the mirror "
            "and no SMS for it. Check the key, or run smsconfirm sync"
        )
    line_ids = {line_id for message in history for line_id in routine.mirror.message_line_ids(message.id)}
    lines = routine.mirror.appointments_by_id(line_ids)
    now_in = sorted({f"{line.salon_id}/{line.client_id}/{line.starts_at.date().isoformat()}"
                     for line in lines if line.active})
    where = f"; its appointments now belong to {', '.join(now_in)}" if now_in else ""
    return (
        f"visit {key!r} has no appointment on {day.isoformat()} any more, "
        f"but {len(history)} SMS were written for it{where}"
    )
