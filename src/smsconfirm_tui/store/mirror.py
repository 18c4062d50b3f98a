"""The local SQLite mirror: connections, transactions and the queries the app needs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from smsconfirm_tui.domain.visits import AppointmentLine, parse_local
from smsconfirm_tui.store.schema import connect, migrate


@dataclass(frozen=True)
class SalonRow:
    id: str
    name: str
    phone: str
    canton: str
    sender: str


@dataclass(frozen=True)
class ClientRow:
    """A client with the confirmation profile in force (local edits applied)."""

    id: str
    first_name: str
    last_name: str
    mobile_phone: str
    home_phone: str
    work_phone: str
    language: str
    sms_on: bool
    lead_days: int | None  # None: the salon's default lead time
    opted_out: bool
    phone_e164: str | None
    phone_kind: str
    phone_field: str | None
    phone_display: str | None
    phone_note: str
    phone_unsure: bool
    phone_invalid: bool
    phone_problem: str | None
    edited_at: str | None
    edited_by: str | None
    removed: bool

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def typed_phone(self) -> str:
        """The number as staff typed it, from the field the mobile came from."""
        field = self.phone_field or "mobile"
        return {"mobile": self.mobile_phone, "home": self.home_phone, "work": self.work_phone}.get(
            field, self.mobile_phone
        ) or self.mobile_phone or self.home_phone or self.work_phone


@dataclass(frozen=True)
class MessageRow:
    id: int
    reference: str
    visit_key: str
    visit_starts_at: str
    client_id: str
    salon_id: str
    to_e164: str
    text: str
    sender: str
    state: str
    attempts: int
    provider_id: str | None
    error: str | None
    delivery: str | None
    sent_at: str | None
    created_at: str
    claimed_at: str | None = None
    claim_seq: int | None = None  # order of the claims; a later claim went out later


@dataclass(frozen=True)
class ReplyRow:
    id: int
    provider_id: str
    from_e164: str
    text: str
    received_at: str
    reply_class: str
    rule: str
    message_id: int | None
    visit_key: str | None
    resolution: str | None
    note: str | None
    unmatched_reason: str | None = None  # why the reply matched no visit


CLIENT_SELECT = """
SELECT c.id, c.first_name, c.last_name, c.mobile_phone, c.home_phone, c.work_phone,
       COALESCE(p.language, c.language) AS language,
       COALESCE(p.confirm_sms, c.confirm_sms) AS sms_on,
       CASE WHEN p.client_id IS NULL THEN c.confirm_days ELSE p.confirm_days END AS lead_days,
       o.client_id IS NOT NULL AS opted_out,
       c.phone_e164, c.phone_kind, c.phone_field, c.phone_display, c.phone_note,
       c.phone_unsure, c.phone_invalid, c.phone_problem,
       p.edited_at, p.edited_by, c.removed
FROM clients c
LEFT JOIN profile_edits p ON p.client_id = c.id
LEFT JOIN opt_outs o ON o.client_id = c.id
"""


def _client(row: sqlite3.Row) -> ClientRow:
    return ClientRow(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        mobile_phone=row["mobile_phone"],
        home_phone=row["home_phone"],
        work_phone=row["work_phone"],
        language=row["language"] or "",
        sms_on=bool(row["sms_on"]),
        lead_days=row["lead_days"],
        opted_out=bool(row["opted_out"]),
        phone_e164=row["phone_e164"],
        phone_kind=row["phone_kind"],
        phone_field=row["phone_field"],
        phone_display=row["phone_display"],
        phone_note=row["phone_note"],
        phone_unsure=bool(row["phone_unsure"]),
        phone_invalid=bool(row["phone_invalid"]),
        phone_problem=row["phone_problem"],
        edited_at=row["edited_at"],
        edited_by=row["edited_by"],
        removed=bool(row["removed"]),
    )


def _line(row: sqlite3.Row) -> AppointmentLine:
    return AppointmentLine(
        id=row["id"],
        client_id=row["client_id"],
        salon_id=row["salon_id"],
        starts_at=parse_local(row["starts_at"]),
        ends_at=parse_local(row["ends_at"]) if row["ends_at"] else None,
        service=row["service"],
        staff=row["staff"],
        status=row["status"],
        removed=bool(row["removed"]),
    )


def _message(row: sqlite3.Row) -> MessageRow:
    return MessageRow(**{field: row[field] for field in MessageRow.__dataclass_fields__})


def _reply(row: sqlite3.Row) -> ReplyRow:
    return ReplyRow(**{field: row[field] for field in ReplyRow.__dataclass_fields__})


class Mirror:
    """One connection to the mirror. Use one instance per thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = connect(str(self.path))
        self.connection.row_factory = sqlite3.Row
        migrate(self.connection)
        self.db = sqlite_utils.Database(self.connection)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a read-then-write transaction that holds the write lock from the start."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            # An interrupted statement (sqlite3 progress handler) has rolled back already.
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        else:
            self.connection.execute("COMMIT")

    # -- meta -------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Store a meta value; call inside a transaction or on its own."""
        self.connection.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- salon data -------------------------------------------------------

    def salons(self) -> dict[str, SalonRow]:
        rows = self.connection.execute(
            "SELECT id, name, phone, canton, sender FROM salons WHERE removed = 0 ORDER BY id"
        )
        return {row["id"]: SalonRow(*row) for row in rows}

    def client(self, client_id: str) -> ClientRow | None:
        row = self.connection.execute(CLIENT_SELECT + " WHERE c.id = ?", (client_id,)).fetchone()
        return None if row is None else _client(row)

    def clients(self, client_ids: Iterable[str]) -> dict[str, ClientRow]:
        ids = sorted(set(client_ids))
        result: dict[str, ClientRow] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.connection.execute(CLIENT_SELECT + f" WHERE c.id IN ({marks})", chunk):
                client = _client(row)
                result[client.id] = client
        return result

    def appointment_lines(self, first_day: date, last_day: date) -> list[AppointmentLine]:
        """Return every appointment line from the start of first_day to the end of last_day."""
        rows = self.connection.execute(
            "SELECT id, client_id, salon_id, starts_at, ends_at, service, staff, status, removed "
            "FROM appointments WHERE starts_at >= ? AND starts_at < ? ORDER BY starts_at",
            (first_day.isoformat(), (last_day + timedelta(days=1)).isoformat()),
        )
        return [_line(row) for row in rows]

    def appointments_by_id(self, appointment_ids: Iterable[str]) -> list[AppointmentLine]:
        ids = sorted(set(appointment_ids))
        lines: list[AppointmentLine] = []
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(
                "SELECT id, client_id, salon_id, starts_at, ends_at, service, staff, status, removed "
                f"FROM appointments WHERE id IN ({marks}) ORDER BY starts_at",
                chunk,
            )
            lines.extend(_line(row) for row in rows)
        return lines

    # -- outbox and replies -----------------------------------------------

    def messages_for_visits(self, visit_keys: Iterable[str]) -> dict[str, list[MessageRow]]:
        """Return each visit's messages, oldest first."""
        keys = sorted(set(visit_keys))
        result: dict[str, list[MessageRow]] = {}
        for chunk in _chunks(keys, 500):
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(
                f"SELECT * FROM messages WHERE visit_key IN ({marks}) ORDER BY id", chunk
            )
            for row in rows:
                result.setdefault(row["visit_key"], []).append(_message(row))
        return result

    def messages_for_lines(self, appointment_ids: Iterable[str]) -> dict[str, list[MessageRow]]:
        """Return the messages that confirmed each appointment line, oldest first."""
        ids = sorted(set(appointment_ids))
        result: dict[str, list[MessageRow]] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(
                "SELECT l.appointment_id AS line_id, m.* FROM message_lines l "
                f"JOIN messages m ON m.id = l.message_id WHERE l.appointment_id IN ({marks}) "
                "ORDER BY m.id",
                chunk,
            )
            for row in rows:
                result.setdefault(row["line_id"], []).append(_message(row))
        return result

    def message_line_ids(self, message_id: int) -> list[str]:
        rows = self.connection.execute(
            "SELECT appointment_id FROM message_lines WHERE message_id = ? ORDER BY appointment_id",
            (message_id,),
        )
        return [row[0] for row in rows]

    def max_lead_days(self) -> int | None:
        """Return the longest lead time in force for any client, or None when none is set."""
        row = self.connection.execute(
            "SELECT MAX(CASE WHEN p.client_id IS NULL THEN c.confirm_days ELSE p.confirm_days END) "
            "FROM clients c LEFT JOIN profile_edits p ON p.client_id = c.id WHERE c.removed = 0"
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def latest_replies(self, message_ids: Iterable[int]) -> dict[int, ReplyRow]:
        """Return the newest reply matched to each message."""
        ids = sorted(set(message_ids))
        result: dict[int, ReplyRow] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self.connection.execute(
                f"SELECT * FROM replies WHERE message_id IN ({marks}) ORDER BY received_at, id",
                chunk,
            )
            for row in rows:
                result[row["message_id"]] = _reply(row)
        return result

    def reply(self, reply_id: int) -> ReplyRow | None:
        row = self.connection.execute("SELECT * FROM replies WHERE id = ?", (reply_id,)).fetchone()
        return None if row is None else _reply(row)

    def unassigned_replies(self) -> list[ReplyRow]:
        rows = self.connection.execute(
            "SELECT * FROM replies WHERE message_id IS NULL AND resolution IS NULL "
            "ORDER BY received_at"
        )
        return [_reply(row) for row in rows]

    # -- audit log --------------------------------------------------------

    def add_audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        client_id: str | None = None,
        visit_key: str | None = None,
        field: str | None = None,
        old_value: object = None,
        new_value: object = None,
        detail: str | None = None,
    ) -> None:
        """Append one audit-log entry; call inside the transaction that made the change."""
        self.connection.execute(
            "INSERT INTO audit_log (at, actor, action, client_id, visit_key, field, old_value, "
            "new_value, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(timespec="seconds"),
                actor,
                action,
                client_id,
                visit_key,
                field,
                None if old_value is None else str(old_value),
                None if new_value is None else str(new_value),
                detail,
            ),
        )

    def audit_entries(self, client_id: str | None = None) -> list[sqlite3.Row]:
        if client_id is None:
            return list(self.connection.execute("SELECT * FROM audit_log ORDER BY id"))
        return list(
            self.connection.execute(
                "SELECT * FROM audit_log WHERE client_id = ? ORDER BY id", (client_id,)
            )
        )


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def visit_lines(mirror: Mirror, salon_id: str, client_id: str, day: date) -> list[AppointmentLine]:
    """Return the current lines of one visit, read fresh from the mirror."""
    rows = mirror.connection.execute(
        "SELECT id, client_id, salon_id, starts_at, ends_at, service, staff, status, removed "
        "FROM appointments WHERE client_id = ? AND salon_id = ? AND starts_at >= ? AND starts_at < ?",
        (client_id, salon_id, day.isoformat(), (day + timedelta(days=1)).isoformat()),
    )
    return [_line(row) for row in rows]
