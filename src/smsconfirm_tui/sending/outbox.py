"""The outbox: messages are written here before any request goes out.

The unique key (visit, start time) makes a second confirmation of the same
visit impossible. Senders claim messages in a ``BEGIN IMMEDIATE``
transaction, so two terminals never claim the same one.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from smsconfirm_tui.domain.status import MessageState
from smsconfirm_tui.domain.visits import format_local
from smsconfirm_tui.store.mirror import MessageRow, Mirror, _message

# A claim older than this belongs to a sender that crashed or was closed:
# longer than a request's timeout times its attempts.
CLAIM_LEASE = timedelta(minutes=3)
# Tests with real processes shorten the lease instead of waiting minutes.
LEASE_ENV_VAR = "SMSCONFIRM_CLAIM_LEASE_SECONDS"


def claim_lease() -> timedelta:
    value = os.environ.get(LEASE_ENV_VAR)
    return timedelta(seconds=float(value)) if value else CLAIM_LEASE


def wall_now() -> datetime:
    """Return the real time. Claims and leases always use it, also when a
    command pretends another time with ``--now``: a lease judged by a made-up
    clock would hand a message still in flight to a second sender."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class OutboxItem:
    visit_key: str
    visit_starts_at: datetime
    client_id: str
    salon_id: str
    to_e164: str
    text: str
    sender: str
    # The active appointment lines the message confirms, so that a move of
    # the visit to another day can be recognised.
    line_ids: tuple[str, ...] = ()


def _stamp(now: datetime) -> str:
    """Format a time in UTC, so that stored times compare correctly as text."""
    return now.astimezone(timezone.utc).isoformat(timespec="seconds")


def enqueue(mirror: Mirror, items: list[OutboxItem], *, actor: str, now: datetime, provider: str) -> list[int]:
    """Write the messages to the outbox; return the ids of those that are new or re-queued.

    A visit that already has a message for the same start time keeps it.
    That message is queued again when it failed or was dropped, or when a
    later SMS for the visit named another time because the visit moved away
    and back.
    """
    ids: list[int] = []
    with mirror.transaction() as connection:
        for item in items:
            starts_at = format_local(item.visit_starts_at)
            row = connection.execute(
                "SELECT id, state, reference, sent_at FROM messages WHERE visit_key = ? AND visit_starts_at = ?",
                (item.visit_key, starts_at),
            ).fetchone()
            if row is None:
                cursor = connection.execute(
                    "INSERT INTO messages (reference, visit_key, visit_starts_at, client_id, salon_id, "
                    "to_e164, text, sender, state, provider, created_at, created_by, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        new_reference(),
                        item.visit_key,
                        starts_at,
                        item.client_id,
                        item.salon_id,
                        item.to_e164,
                        item.text,
                        item.sender,
                        MessageState.QUEUED,
                        provider,
                        _stamp(now),
                        actor,
                        _stamp(now),
                    ),
                )
                message_id = int(cursor.lastrowid)
                _record_lines(connection, message_id, item.line_ids)
                ids.append(message_id)
            elif row["state"] in (MessageState.FAILED, MessageState.DROPPED):
                # A message dropped before its request (the visit was cancelled
                # or moved, then restored) never reached the gateway either.
                # A new reference, so a provider that deduplicates by
                # reference does not drop the second try.
                connection.execute(
                    "UPDATE messages SET state = ?, reference = ?, to_e164 = ?, text = ?, error = NULL, "
                    "attempts = 0, updated_at = ? WHERE id = ?",
                    (MessageState.QUEUED, new_reference(), item.to_e164, item.text, _stamp(now), row["id"]),
                )
                _record_lines(connection, int(row["id"]), item.line_ids)
                ids.append(int(row["id"]))
            elif row["state"] in OUT_STATES and _superseded(connection, int(row["id"])):
                # The client's latest SMS names another time, so this time
                # needs a confirmation again. The audit log keeps the first send.
                mirror.add_audit(
                    at=now, actor=actor, action="resend_after_move", client_id=item.client_id,
                    visit_key=item.visit_key, old_value=row["reference"], detail=f"sent at {row['sent_at']}",
                )
                connection.execute(
                    "UPDATE messages SET state = ?, reference = ?, to_e164 = ?, text = ?, error = NULL, "
                    "attempts = 0, provider_id = NULL, delivery = NULL, sent_at = NULL, updated_at = ? "
                    "WHERE id = ?",
                    (MessageState.QUEUED, new_reference(), item.to_e164, item.text, _stamp(now), row["id"]),
                )
                _record_lines(connection, int(row["id"]), item.line_ids)
                ids.append(int(row["id"]))
            elif row["state"] == MessageState.QUEUED:
                ids.append(int(row["id"]))
    return ids


# States of a message whose request went out, or may have.
OUT_STATES = (MessageState.SENT, MessageState.UNKNOWN, MessageState.SENDING)


def _superseded(connection: sqlite3.Connection, message_id: int) -> bool:
    """Tell whether a later SMS for the same visit, or for one of its lines, went out after this one."""
    row = connection.execute(
        """
        SELECT 1 FROM messages AS later, messages AS this
        WHERE this.id = :id AND later.id != this.id
          AND later.state IN (:sent, :unknown, :sending)
          AND COALESCE(later.claim_seq, 0) > COALESCE(this.claim_seq, 0)
          AND (later.visit_key = this.visit_key OR later.id IN (
                SELECT other.message_id FROM message_lines AS other
                JOIN message_lines AS mine ON mine.appointment_id = other.appointment_id
                WHERE mine.message_id = this.id))
        LIMIT 1
        """,
        {"id": message_id, "sent": MessageState.SENT, "unknown": MessageState.UNKNOWN,
         "sending": MessageState.SENDING},
    ).fetchone()
    return row is not None


def _record_lines(connection: sqlite3.Connection, message_id: int, line_ids: tuple[str, ...]) -> None:
    connection.executemany(
        "INSERT OR IGNORE INTO message_lines (message_id, appointment_id) VALUES (?, ?)",
        [(message_id, line_id) for line_id in line_ids],
    )


def new_reference() -> str:
    return uuid.uuid4().hex


def claim(mirror: Mirror, message_ids: list[int], *, sender_id: str, now: datetime) -> list[MessageRow]:
    """Take the queued messages among ``message_ids`` for this sender."""
    claimed: list[MessageRow] = []
    with mirror.transaction() as connection:
        for message_id in message_ids:
            cursor = connection.execute(
                "UPDATE messages SET state = ?, claimed_by = ?, claimed_at = ?, attempts = attempts + 1, "
                "claim_seq = (SELECT COALESCE(MAX(claim_seq), 0) + 1 FROM messages), "
                "updated_at = ? WHERE id = ? AND state = ?",
                (MessageState.SENDING, sender_id, _stamp(wall_now()), _stamp(now), message_id, MessageState.QUEUED),
            )
            if cursor.rowcount:
                row = connection.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
                claimed.append(_message(row))
    return claimed


def mark(
    mirror: Mirror,
    message_id: int,
    state: MessageState,
    *,
    now: datetime,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record what happened to a claimed message."""
    with mirror.transaction() as connection:
        connection.execute(
            "UPDATE messages SET state = ?, provider_id = COALESCE(?, provider_id), error = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ? WHERE id = ?",
            (state, provider_id, error, state, _stamp(now), _stamp(now), message_id),
        )


def set_delivery(mirror: Mirror, message_id: int, delivery: str, *, error: str | None, now: datetime) -> None:
    """Store the provider's delivery state of a sent message, and its error if delivery failed."""
    with mirror.transaction() as connection:
        connection.execute(
            "UPDATE messages SET delivery = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ?",
            (delivery, error, _stamp(now), message_id),
        )


def message_from_row(row: object) -> MessageRow:
    return _message(row)  # type: ignore[arg-type]


def lease_expired(message: MessageRow, wall: datetime | None = None) -> bool:
    """Tell whether the message's claim is older than the lease, so no request can still be running."""
    return message.claimed_at is None or message.claimed_at <= _stamp((wall or wall_now()) - claim_lease())


def stale_claims(mirror: Mirror, *, wall: datetime | None = None) -> list[MessageRow]:
    """Return messages whose sender stopped mid-request, and all whose outcome is unknown."""
    rows = mirror.connection.execute(
        "SELECT * FROM messages WHERE (state = ? AND claimed_at <= ?) OR state = ? ORDER BY id",
        (MessageState.SENDING, _stamp((wall or wall_now()) - claim_lease()), MessageState.UNKNOWN),
    )
    return [_message(row) for row in rows]


def queued_for_visits(mirror: Mirror, visit_keys: list[str]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(visit_keys), 500):
        chunk = visit_keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        ids.extend(
            row[0]
            for row in mirror.connection.execute(
                f"SELECT id FROM messages WHERE state = ? AND visit_key IN ({marks}) ORDER BY id",
                [MessageState.QUEUED, *chunk],
            )
        )
    return ids
