"""The mirror's schema: tables copied from the salon database plus local state.

Columns named like the salon database hold the source's values. Everything
the product itself writes (profile edits, opt-outs, the outbox, replies, the
audit log) lives in tables that sync never overwrites.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

# Columns added to tables of schema version 1 after its first release, as
# (table, column, declaration). CREATE TABLE IF NOT EXISTS does not add them
# to an existing mirror, so migrate() adds each one that is missing.
ADDED_COLUMNS = (
    # "confirmation", or "stop_ack" for the one SMS that acknowledges an opt-out.
    ("messages", "kind", "TEXT NOT NULL DEFAULT 'confirmation'"),
    # Why a reply matched no visit, e.g. "shared number"; NULL once matched.
    ("replies", "unmatched_reason", "TEXT"),
    # Order in which messages were claimed for a request, across terminals.
    ("messages", "claim_seq", "INTEGER"),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS salons (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    canton TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0,
    src_hash TEXT
);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    mobile_phone TEXT NOT NULL DEFAULT '',
    home_phone TEXT NOT NULL DEFAULT '',
    work_phone TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    confirm_sms INTEGER NOT NULL DEFAULT 0,
    confirm_days INTEGER,
    updated_at TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0,
    src_hash TEXT,
    -- The phone fields as read once at sync, so lists never parse numbers.
    phone_e164 TEXT,
    phone_kind TEXT NOT NULL DEFAULT 'empty',
    phone_field TEXT,
    phone_display TEXT,
    phone_note TEXT NOT NULL DEFAULT '',
    phone_unsure INTEGER NOT NULL DEFAULT 0,
    phone_invalid INTEGER NOT NULL DEFAULT 0,
    phone_problem TEXT
);
CREATE INDEX IF NOT EXISTS clients_phone_e164 ON clients (phone_e164);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    salon_id TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL DEFAULT '',
    service TEXT NOT NULL DEFAULT '',
    staff TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'booked',
    updated_at TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0,
    src_hash TEXT
);
CREATE INDEX IF NOT EXISTS appointments_starts_at ON appointments (starts_at);
CREATE INDEX IF NOT EXISTS appointments_client ON appointments (client_id, starts_at);
-- Confirmation settings edited in the product; they win over the source
-- until the source changes the client later than the edit.
CREATE TABLE IF NOT EXISTS profile_edits (
    client_id TEXT PRIMARY KEY,
    confirm_sms INTEGER NOT NULL,
    confirm_days INTEGER,
    language TEXT NOT NULL DEFAULT '',
    edited_at TEXT NOT NULL,
    edited_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS opt_outs (
    client_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    reason TEXT NOT NULL
);
-- The outbox. One row per confirmation of a visit at one start time: the
-- unique key is what makes a second send of the same confirmation impossible.
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    visit_key TEXT NOT NULL,
    visit_starts_at TEXT NOT NULL,
    client_id TEXT NOT NULL,
    salon_id TEXT NOT NULL,
    to_e164 TEXT NOT NULL,
    text TEXT NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    provider TEXT NOT NULL DEFAULT '',
    provider_id TEXT,
    error TEXT,
    delivery TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    claimed_at TEXT,
    claimed_by TEXT,
    sent_at TEXT,
    updated_at TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'confirmation',
    UNIQUE (visit_key, visit_starts_at)
);
-- The appointment lines a message confirmed. The visit key contains the
-- day, so when a visit moves to another day these rows are how the new
-- visit finds the confirmation that no longer counts. A mirror made before
-- this table existed gets it empty: its older messages have no lines.
CREATE TABLE IF NOT EXISTS message_lines (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    appointment_id TEXT NOT NULL,
    PRIMARY KEY (message_id, appointment_id)
);
CREATE INDEX IF NOT EXISTS message_lines_appointment ON message_lines (appointment_id);
CREATE INDEX IF NOT EXISTS messages_state ON messages (state);
CREATE INDEX IF NOT EXISTS messages_to ON messages (to_e164, sent_at);
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    from_e164 TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at TEXT NOT NULL,
    reply_class TEXT NOT NULL,
    rule TEXT NOT NULL DEFAULT '',
    message_id INTEGER,
    visit_key TEXT,
    resolution TEXT,
    note TEXT,
    handled_by TEXT,
    handled_at TEXT,
    unmatched_reason TEXT,
    UNIQUE (provider, provider_id)
);
CREATE INDEX IF NOT EXISTS replies_visit ON replies (visit_key);
-- Marks on the call list of declined visits: staff phoned the client, and
-- the client booked a new appointment.
CREATE TABLE IF NOT EXISTS call_marks (
    visit_key TEXT NOT NULL,
    mark TEXT NOT NULL CHECK (mark IN ('called', 'rebooked')),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (visit_key, mark)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    client_id TEXT,
    visit_key TEXT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_client ON audit_log (client_id);
"""


def connect(path: str) -> sqlite3.Connection:
    """Open the mirror with the settings every connection needs.

    Autocommit mode (``isolation_level=None``) so that every write
    transaction is an explicit ``BEGIN IMMEDIATE`` and nothing is left open
    by accident.
    """
    connection = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=True)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def migrate(connection: sqlite3.Connection) -> None:
    """Create the tables of a new mirror, or check the version of an old one."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements(SCHEMA):
            connection.execute(statement)
        _add_missing_columns(connection)
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            connection.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise RuntimeError(
                f"the mirror has schema version {row[0]}, newer than this program's "
                f"{SCHEMA_VERSION}: update smsconfirm"
            )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """Add the columns that version 1 mirrors created before these columns existed."""
    for table, column, declaration in ADDED_COLUMNS:
        known = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in known:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
