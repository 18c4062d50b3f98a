"""Fetch replies from the gateway, store each once, classify and match it to a visit.

A reply belongs to the confirmation that the gateway accepted last before
the reply arrived, among the open ones sent to the reply's number. A
confirmation is open while its visit has not started, is not cancelled and
still starts at the time the SMS named. A reply that fits no open
confirmation of exactly one client is stored without a visit, with the
reason, for staff to attach or dismiss.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.domain.replies import ReplyClass, classify_reply
from smsconfirm_tui.domain.visits import Visit, format_local, parse_local
from smsconfirm_tui.gateway.base import Gateway, InboundSms
from smsconfirm_tui.gateway.http_util import mask_phone
from smsconfirm_tui.sending.stop_ack import count_queued_stop_acks, enqueue_stop_ack
from smsconfirm_tui.store.mirror import Mirror, visit_lines

log = logging.getLogger(__name__)

CURSOR_KEY = "reply_cursor"

# Message states whose SMS may have reached the client.
REACHABLE_STATES = ("sent", "unknown", "sending")


class ReplyError(ValueError):
    """A staff action on a reply is not possible; the message names the reply and the fix."""


class UnmatchedReason(StrEnum):
    UNKNOWN_NUMBER = "unknown number"  # no confirmation went to the number before the reply
    SHARED_NUMBER = "shared number"  # open confirmations of two or more clients
    AFTER_VISIT = "after the visit"  # every visit confirmed to the number had started
    VISIT_CHANGED = "visit moved or cancelled"  # the confirmed start time is no longer valid


@dataclass
class FetchSummary:
    new: int = 0
    matched: int = 0
    unassigned: int = 0
    opted_out: int = 0  # clients newly opted out by a stop reply
    acks_queued: int = 0  # stop acknowledgements waiting in the outbox for the next send


@dataclass(frozen=True)
class _Match:
    message: sqlite3.Row | None
    reason: UnmatchedReason | None


def fetch_replies(mirror: Mirror, gateway: Gateway, *, now: datetime, sender_id: str = "replies") -> FetchSummary:
    """Fetch new replies, store them and queue the acknowledgement of each new opt-out.

    Fetching twice stores nothing twice, because a reply is keyed by the
    provider's id. The acknowledgements are only queued: they go out with the
    next send that a person starts, because the program never sends on its own.
    """
    summary = FetchSummary()
    if not gateway.supports_replies:
        return summary
    cursor_key = f"{CURSOR_KEY}:{gateway.name}"
    batch = gateway.fetch_replies(mirror.get_meta(cursor_key))
    with mirror.transaction():
        for inbound in batch.replies:
            store_reply(mirror, gateway.name, inbound, summary, now=now)
        if batch.cursor is not None:
            mirror.set_meta(cursor_key, batch.cursor)
    summary.acks_queued = count_queued_stop_acks(mirror)
    return summary


def store_reply(mirror: Mirror, provider: str, inbound: InboundSms, summary: FetchSummary, *, now: datetime) -> None:
    """Store, classify and match one reply; call inside a transaction."""
    connection = mirror.connection
    exists = connection.execute(
        "SELECT 1 FROM replies WHERE provider = ? AND provider_id = ?", (provider, inbound.provider_id)
    ).fetchone()
    if exists:
        return

    classification = classify_reply(inbound.text)
    received_at = inbound.received_at.astimezone(timezone.utc)
    match = match_reply(mirror, inbound.from_number, received_at)
    message = match.message

    cursor = connection.execute(
        "INSERT INTO replies (provider, provider_id, from_e164, text, received_at, reply_class, rule, "
        "message_id, visit_key, unmatched_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            provider,
            inbound.provider_id,
            inbound.from_number,
            inbound.text,
            _stamp(received_at),
            classification.reply_class,
            classification.rule,
            message["id"] if message else None,
            message["visit_key"] if message else None,
            match.reason,
        ),
    )
    reply_id = int(cursor.lastrowid)

    summary.new += 1
    if message is None:
        summary.unassigned += 1
        log.info("reply %s from %s matches no visit: %s", inbound.provider_id, mask_phone(inbound.from_number),
                 match.reason)
    else:
        summary.matched += 1
    if classification.reply_class is ReplyClass.STOP:
        _opt_out_number(mirror, provider, reply_id, inbound, message, summary, now=now)


# The gateway stamps a reply with its own clock, and we stamp the acceptance
# with ours. A gateway clock a little behind would otherwise make a prompt
# reply look older than the message it responds to.
CLOCK_SKEW = timedelta(minutes=2)


def match_reply(mirror: Mirror, from_number: str, received_at: datetime) -> _Match:
    """Find the open confirmation that a reply from ``from_number`` responds to, or the reason why none fits."""
    rows = mirror.connection.execute(
        "SELECT id, visit_key, visit_starts_at, client_id, salon_id FROM messages "
        "WHERE to_e164 = ? AND kind = 'confirmation' AND state IN (?, ?, ?) "
        "AND COALESCE(sent_at, created_at) <= ? "
        "ORDER BY COALESCE(sent_at, created_at) DESC, id DESC",
        (from_number, *REACHABLE_STATES, _stamp(received_at + CLOCK_SKEW)),
    ).fetchall()
    if not rows:
        return _Match(None, UnmatchedReason.UNKNOWN_NUMBER)

    received_local = received_at.astimezone(ZURICH).replace(tzinfo=None)
    open_rows = [row for row in rows if _is_open(mirror, row, received_local)]
    if not open_rows:
        if all(parse_local(row["visit_starts_at"]) <= received_local for row in rows):
            return _Match(None, UnmatchedReason.AFTER_VISIT)
        return _Match(None, UnmatchedReason.VISIT_CHANGED)
    if len({row["client_id"] for row in open_rows}) > 1:
        return _Match(None, UnmatchedReason.SHARED_NUMBER)
    return _Match(open_rows[0], None)


def _is_open(mirror: Mirror, message: sqlite3.Row, received_local: datetime) -> bool:
    starts_at = parse_local(message["visit_starts_at"])
    if starts_at <= received_local:
        return False
    salon_id, client_id, day = message["salon_id"], message["client_id"], starts_at.date()
    visit = Visit(salon_id, client_id, day, tuple(visit_lines(mirror, salon_id, client_id, day)))
    if not visit.lines or visit.cancelled:
        return False
    return format_local(visit.starts_at) == message["visit_starts_at"]


def _opt_out_number(
    mirror: Mirror,
    provider: str,
    reply_id: int,
    inbound: InboundSms,
    message: sqlite3.Row | None,
    summary: FetchSummary,
    *,
    now: datetime,
) -> None:
    """Opt out every client who uses the number, and queue one acknowledgement if any is new.

    A stop stops SMS to the phone, so on a shared number it covers every
    client with that number, also when the reply matched no visit.
    """
    connection = mirror.connection
    client_ids = [
        row[0]
        for row in connection.execute(
            "SELECT id FROM clients WHERE phone_e164 = ? "
            "UNION SELECT client_id FROM messages WHERE to_e164 = ? AND kind = 'confirmation' ORDER BY 1",
            (inbound.from_number, inbound.from_number),
        )
    ]
    newly_opted_out: list[str] = []
    detail = f"the client replied stop (reply {inbound.provider_id})"
    for client_id in client_ids:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO opt_outs (client_id, at, reason) VALUES (?, ?, ?)",
            (client_id, now.isoformat(timespec="seconds"), detail),
        )
        if cursor.rowcount:
            newly_opted_out.append(client_id)
            mirror.add_audit(at=now, actor="reply", action="opt_out", client_id=client_id,
                             visit_key=message["visit_key"] if message else None, detail=detail)
    summary.opted_out += len(newly_opted_out)
    if message is None and client_ids:
        # Nothing for staff to decide: the opt-out is done and shows on the profiles.
        connection.execute(
            "UPDATE replies SET resolution = 'opted_out', handled_by = 'reply', handled_at = ? WHERE id = ?",
            (now.isoformat(timespec="seconds"), reply_id),
        )
    if newly_opted_out:
        language_client = message["client_id"] if message else newly_opted_out[0]
        enqueue_stop_ack(mirror, inbound, provider=provider, language_client_id=language_client,
                         salon_id=message["salon_id"] if message else None, now=now)


def resolve_reply(mirror: Mirror, reply_id: int, resolution: str, *, actor: str, now: datetime, note: str | None = None) -> None:
    """Record staff's reading of an unclear reply: yes, no, or a note only."""
    if resolution not in ("yes", "no", "note"):
        raise ValueError(f"resolution {resolution!r} is not one of yes, no, note")
    with mirror.transaction() as connection:
        row = connection.execute("SELECT visit_key, resolution FROM replies WHERE id = ?", (reply_id,)).fetchone()
        if row is None:
            raise ReplyError(f"reply {reply_id} not found: reload the list")
        if resolution == "note":
            connection.execute(
                "UPDATE replies SET note = ?, handled_by = ?, handled_at = ? WHERE id = ?",
                (note, actor, now.isoformat(timespec="seconds"), reply_id),
            )
        else:
            connection.execute(
                "UPDATE replies SET resolution = ?, note = COALESCE(?, note), handled_by = ?, handled_at = ? "
                "WHERE id = ?",
                (resolution, note, actor, now.isoformat(timespec="seconds"), reply_id),
            )
        mirror.add_audit(at=now, actor=actor, action="reply_resolved", visit_key=row["visit_key"],
                         field="note" if resolution == "note" else "resolution",
                         old_value=row["resolution"], new_value=resolution, detail=note)


def attach_reply(mirror: Mirror, reply_id: int, visit_key: str, *, actor: str, now: datetime) -> None:
    """Put an unassigned reply on a visit, through the visit's latest confirmation SMS."""
    with mirror.transaction() as connection:
        reply = _unassigned(connection, reply_id)
        message = connection.execute(
            "SELECT id, client_id FROM messages WHERE visit_key = ? AND kind = 'confirmation' "
            "AND state IN (?, ?, ?) ORDER BY id DESC LIMIT 1",
            (visit_key, *REACHABLE_STATES),
        ).fetchone()
        if message is None:
            raise ReplyError(
                f"visit {visit_key} has no confirmation SMS: attach the reply to a visit that got one, or dismiss it"
            )
        connection.execute(
            "UPDATE replies SET message_id = ?, visit_key = ?, handled_by = ?, handled_at = ? WHERE id = ?",
            (message["id"], visit_key, actor, now.isoformat(timespec="seconds"), reply_id),
        )
        mirror.add_audit(at=now, actor=actor, action="reply_attached", client_id=message["client_id"],
                         visit_key=visit_key, field="visit_key", new_value=visit_key,
                         detail=f"reply {reply['provider_id']}, unassigned because: {reply['unmatched_reason']}")
        if reply["reply_class"] == ReplyClass.STOP:
            # NOTE: no acknowledgement goes out here, because the number
            # that sent the stop is not the client's number in the mirror.
            detail = f"staff attached the stop reply {reply['provider_id']}"
            cursor = connection.execute(
                "INSERT OR IGNORE INTO opt_outs (client_id, at, reason) VALUES (?, ?, ?)",
                (message["client_id"], now.isoformat(timespec="seconds"), detail),
            )
            if cursor.rowcount:
                mirror.add_audit(at=now, actor=actor, action="opt_out", client_id=message["client_id"],
                                 visit_key=visit_key, detail=detail)


def dismiss_reply(mirror: Mirror, reply_id: int, *, actor: str, now: datetime) -> None:
    """Take an unassigned reply off the list without putting it on a visit."""
    with mirror.transaction() as connection:
        reply = _unassigned(connection, reply_id)
        connection.execute(
            "UPDATE replies SET resolution = 'dismissed', handled_by = ?, handled_at = ? WHERE id = ?",
            (actor, now.isoformat(timespec="seconds"), reply_id),
        )
        mirror.add_audit(at=now, actor=actor, action="reply_dismissed", field="resolution",
                         new_value="dismissed",
                         detail=f"reply {reply['provider_id']}, unassigned because: {reply['unmatched_reason']}")


def _unassigned(connection: sqlite3.Connection, reply_id: int) -> sqlite3.Row:
    reply = connection.execute(
        "SELECT provider_id, message_id, resolution, unmatched_reason, reply_class FROM replies WHERE id = ?",
        (reply_id,),
    ).fetchone()
    if reply is None:
        raise ReplyError(f"reply {reply_id} not found: reload the list")
    if reply["message_id"] is not None or reply["resolution"] is not None:
        raise ReplyError(f"reply {reply_id} was already attached or dismissed: reload the list")
    return reply


def _stamp(moment: datetime) -> str:
    """Format a time in UTC, like the outbox, so that stored times compare as text."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
