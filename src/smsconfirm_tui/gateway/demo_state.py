"""The demo gateway's state in SQLite, and the scripted replies of its clients.

Several server processes, and restarts, may share one database file: every
count and reply lives in the file, and each thread opens its own connection.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from smsconfirm_tui.gateway.base import NO_REPLY_REFERENCE_PREFIX

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL UNIQUE,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    sender TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    delivered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS acceptances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    accepted_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS acceptances_reference ON acceptances (reference);
CREATE TABLE IF NOT EXISTS inbound (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    from_number TEXT NOT NULL,
    text TEXT NOT NULL,
    visible_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS opted_out (
    number TEXT PRIMARY KEY
);
"""

YES_REPLIES = ("J", "Ja", "ja gerne", "Oui!", "sì", "Yes.")
NO_REPLIES = ("N", "Nein", "non", "kann nicht")
UNCLEAR_REPLIES = (
    "Kann ich auf 15 Uhr verschieben?",
    "Wer ist da?",
    "J aber 10 Min später",
    "[bold]ja[/bold]?",
    "\x1b[2JJa",
    "\U0001f44d",
)


@dataclass(frozen=True)
class PlannedReply:
    kind: str  # "yes", "no" or "unclear"
    text: str


def plan_reply(reference: str, seed: int) -> PlannedReply | None:
    """Pick the reply a client sends to the message ``reference``, or None for no reply.

    The choice depends only on the reference and the seed: about 55 % yes,
    15 % no, 15 % unclear and 15 % no reply.
    """
    digest = hashlib.sha256(f"{seed}\x00{reference}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 100
    pick = int.from_bytes(digest[4:8], "big")
    if bucket < 55:
        return PlannedReply("yes", YES_REPLIES[pick % len(YES_REPLIES)])
    if bucket < 70:
        return PlannedReply("no", NO_REPLIES[pick % len(NO_REPLIES)])
    if bucket < 85:
        return PlannedReply("unclear", UNCLEAR_REPLIES[pick % len(UNCLEAR_REPLIES)])
    return None


@dataclass(frozen=True)
class MessageRow:
    reference: str
    provider_id: str
    accepted_at: float
    delivered_at: float
    accepted_count: int


@dataclass(frozen=True)
class InboundRow:
    seq: int
    provider_id: str
    from_number: str
    text: str
    visible_at: float


def connect(db_path: Path) -> sqlite3.Connection:
    """Open a connection in autocommit mode, so transactions are explicit."""
    connection = sqlite3.connect(db_path, timeout=10.0, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def initialize(db_path: Path, opted_out: frozenset[str] = frozenset()) -> None:
    """Create the schema if needed, switch the file to WAL and add opted-out numbers."""
    connection = connect(db_path)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(SCHEMA)
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT OR IGNORE INTO opted_out (number) VALUES (?)",
            [(number,) for number in sorted(opted_out)],
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


def is_opted_out(connection: sqlite3.Connection, number: str) -> bool:
    row = connection.execute("SELECT 1 FROM opted_out WHERE number = ?", (number,)).fetchone()
    return row is not None


def record_acceptance(
    connection: sqlite3.Connection,
    *,
    reference: str,
    to_number: str,
    text: str,
    sender: str,
    reply_delay: float,
    seed: int,
) -> str:
    """Record one accepted send request and return the message's provider id.

    The first acceptance of a reference creates the message and its scripted
    reply. Every later acceptance of the same reference adds one more row to
    ``acceptances`` and returns the same id, so tests can count duplicates.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Take the time inside the write lock, so ``visible_at`` grows with ``inbound.seq``
        # unless the wall clock steps back.
        now = time.time()
        row = connection.execute(
            "SELECT provider_id FROM messages WHERE reference = ?", (reference,)
        ).fetchone()
        if row is None:
            provider_id = _insert_message(
                connection, reference, to_number, text, sender, now, reply_delay
            )
            _insert_planned_reply(connection, reference, to_number, now + reply_delay, seed)
        else:
            provider_id = row[0]
        connection.execute(
            "INSERT INTO acceptances (reference, accepted_at) VALUES (?, ?)", (reference, now)
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return provider_id


def _insert_message(
    connection: sqlite3.Connection,
    reference: str,
    to_number: str,
    text: str,
    sender: str,
    now: float,
    reply_delay: float,
) -> str:
    next_seq = connection.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages"
    ).fetchone()[0]
    provider_id = f"demo-{next_seq:06d}"
    connection.execute(
        "INSERT INTO messages (seq, reference, provider_id, to_number, text, sender,"
        " accepted_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (next_seq, reference, provider_id, to_number, text, sender, now, now + reply_delay),
    )
    return provider_id


def _insert_planned_reply(
    connection: sqlite3.Connection, reference: str, from_number: str, visible_at: float, seed: int
) -> None:
    if reference.startswith(NO_REPLY_REFERENCE_PREFIX):
        return
    planned = plan_reply(reference, seed)
    if planned is None:
        return
    digest = hashlib.sha256(f"reply\x00{seed}\x00{reference}".encode()).hexdigest()
    connection.execute(
        "INSERT INTO inbound (provider_id, reference, from_number, text, visible_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (f"in-{digest[:16]}", reference, from_number, planned.text, visible_at),
    )


def add_inbound(connection: sqlite3.Connection, from_number: str, text: str, visible_at: float) -> str:
    """Store a reply that a test or a demo writes by hand, and return its provider id."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        next_seq = connection.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM inbound").fetchone()[0]
        provider_id = f"in-manual-{next_seq:06d}"
        connection.execute(
            "INSERT INTO inbound (seq, provider_id, reference, from_number, text, visible_at)"
            " VALUES (?, ?, '', ?, ?, ?)",
            (next_seq, provider_id, from_number, text, visible_at),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return provider_id


def find_message(connection: sqlite3.Connection, reference: str) -> MessageRow | None:
    row = connection.execute(
        "SELECT m.reference, m.provider_id, m.accepted_at, m.delivered_at,"
        " (SELECT COUNT(*) FROM acceptances a WHERE a.reference = m.reference)"
        " FROM messages m WHERE m.reference = ?",
        (reference,),
    ).fetchone()
    return None if row is None else MessageRow(*row)


def visible_replies(
    connection: sqlite3.Connection, after_seq: int, limit: int, now: float
) -> list[InboundRow]:
    """Return up to ``limit`` replies after ``after_seq`` that are visible at ``now``.

    Only the unbroken run of visible replies is returned: the first reply that
    is not visible yet ends the page, so a cursor never skips past it.
    """
    rows = connection.execute(
        "SELECT seq, provider_id, from_number, text, visible_at FROM inbound"
        " WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit),
    ).fetchall()
    replies: list[InboundRow] = []
    for row in rows:
        reply = InboundRow(*row)
        if reply.visible_at > now:
            break
        replies.append(reply)
    return replies


def acceptance_counts(connection: sqlite3.Connection) -> dict[str, int]:
    rows = connection.execute(
        "SELECT reference, COUNT(*) FROM acceptances GROUP BY reference ORDER BY reference"
    ).fetchall()
    return {reference: count for reference, count in rows}
