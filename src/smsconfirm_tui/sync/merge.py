"""Merge the salon database into the mirror without losing local state.

The whole merge runs in one transaction: the mirror is either fully updated
or unchanged. Rows are compared by a hash of their source columns, so only
new and changed rows are written. Rows gone from the source are marked as
removed, never deleted, so their messages and replies keep their context.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from smsconfirm_tui.domain.phone import choose_mobile
from smsconfirm_tui.domain.visits import parse_local
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.errors import SkippedRow, SyncSummary
from smsconfirm_tui.sync.salon_db import SOURCE_COLUMNS

ProgressCallback = Callable[[str, int], None]

APPOINTMENT_STATES = frozenset({"booked", "cancelled", "no_show", "done"})


def row_hash(row: dict[str, object], columns: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for column in columns:
        digest.update(repr(row.get(column)).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _client_values(row: dict[str, object]) -> dict[str, object]:
    choice = choose_mobile(
        _text(row["mobile_phone"]), _text(row["home_phone"]), _text(row["work_phone"])
    )
    number = choice.number
    confirm_days = row["confirm_days"]
    return {
        "id": _text(row["id"]),
        "first_name": _text(row["first_name"]),
        "last_name": _text(row["last_name"]),
        "mobile_phone": _text(row["mobile_phone"]),
        "home_phone": _text(row["home_phone"]),
        "work_phone": _text(row["work_phone"]),
        "language": _text(row["language"]).strip().lower(),
        "confirm_sms": 1 if str(row["confirm_sms"]).strip() in ("1", "True", "true") else 0,
        "confirm_days": int(confirm_days) if _text(confirm_days).strip() else None,
        "updated_at": _text(row["updated_at"]),
        "removed": 0,
        "phone_e164": number.e164 if number else None,
        "phone_kind": str(number.kind) if number else "empty",
        "phone_field": str(choice.field) if choice.field else None,
        "phone_display": number.display if number else None,
        "phone_note": number.note if number else "",
        "phone_unsure": int(bool(number and number.unsure)),
        "phone_invalid": int(bool(choice.invalid_fields)),
        "phone_problem": ", ".join(str(field) for field in choice.invalid_fields) or None,
    }


def _appointment_problem(row: dict[str, object], client_ids: set[str], salon_ids: set[str]) -> str | None:
    if _text(row["client_id"]) not in client_ids:
        return f"unknown client {row['client_id']!r}"
    if _text(row["salon_id"]) not in salon_ids:
        return f"unknown salon {row['salon_id']!r}"
    try:
        parse_local(_text(row["starts_at"]))
    except ValueError:
        return f"start time {row['starts_at']!r} is not a valid YYYY-MM-DD HH:MM time"
    if row["ends_at"]:
        try:
            parse_local(_text(row["ends_at"]))
        except ValueError:
            return f"end time {row['ends_at']!r} is not a valid YYYY-MM-DD HH:MM time"
    if _text(row["status"]) not in APPOINTMENT_STATES:
        return f"status {row['status']!r} is not one of {', '.join(sorted(APPOINTMENT_STATES))}"
    return None


def merge_source(
    mirror: Mirror,
    source,
    *,
    now: datetime,
    actor: str = "sync",
    progress: ProgressCallback | None = None,
) -> SyncSummary:
    """Bring the mirror up to date with ``source`` (anything with ``rows(table)``)."""
    started = time.perf_counter()
    summary = SyncSummary()
    with mirror.transaction():
        salon_ids = _merge_table(mirror, source, "salons", summary, progress, _salon_values)
        client_ids = _merge_table(
            mirror, source, "clients", summary, progress, _client_values, now=now, actor=actor
        )

        def appointment_values(row: dict[str, object]) -> dict[str, object] | None:
            problem = _appointment_problem(row, client_ids, salon_ids)
            if problem:
                summary.skipped.append(SkippedRow("appointments", _text(row["id"]), problem))
                return None
            values = {column: _text(row[column]) for column in SOURCE_COLUMNS["appointments"]}
            values["starts_at"] = values["starts_at"][:16]
            values["ends_at"] = values["ends_at"][:16]
            values["removed"] = 0
            return values

        _merge_table(mirror, source, "appointments", summary, progress, appointment_values)
        mirror.set_meta("last_sync_at", now.isoformat(timespec="seconds"))
    summary.seconds = time.perf_counter() - started
    return summary


def _salon_values(row: dict[str, object]) -> dict[str, object]:
    values = {column: _text(row[column]) for column in SOURCE_COLUMNS["salons"]}
    values["removed"] = 0
    return values


def _merge_table(
    mirror: Mirror,
    source,
    table: str,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    to_values: Callable[[dict[str, object]], dict[str, object] | None],
    *,
    now: datetime | None = None,
    actor: str = "sync",
) -> set[str]:
    """Write new and changed rows of one table; return the ids the source has."""
    columns = SOURCE_COLUMNS[table]
    known = {
        row[0]: (row[1], row[2])
        for row in mirror.connection.execute(f"SELECT id, src_hash, removed FROM {table}")
    }
    seen: set[str] = set()
    pending: list[dict[str, object]] = []
    for count, row in enumerate(source.rows(table), start=1):
        row_id = _text(row["id"])
        if not row_id or row_id in seen:
            summary.skipped.append(SkippedRow(table, row_id, "empty or repeated id"))
            continue
        digest = row_hash(row, columns)
        previous = known.get(row_id)
        if previous is not None and previous[0] == digest and not previous[1]:
            seen.add(row_id)
            summary.unchanged += 1
            continue
        try:
            values = to_values(row)
        except (TypeError, ValueError) as error:
            summary.skipped.append(SkippedRow(table, row_id, str(error)))
            continue
        if values is None:
            continue
        seen.add(row_id)
        values["src_hash"] = digest
        if previous is None:
            summary.new += 1
        else:
            summary.changed += 1
            if table == "clients" and now is not None:
                _resolve_profile_conflict(mirror, values, now, actor)
        pending.append(values)
        if len(pending) >= 1000:
            mirror.db[table].upsert_all(pending, pk="id")
            pending.clear()
        if progress and count % 1000 == 0:
            progress(table, count)
    if pending:
        mirror.db[table].upsert_all(pending, pk="id")
    # Rows that were skipped this time keep their old mirror copy: only rows
    # really gone from the source are marked as removed.
    skipped_ids = {skip.row_id for skip in summary.skipped if skip.table == table}
    gone = [
        row_id
        for row_id, (_, removed) in known.items()
        if row_id not in seen and row_id not in skipped_ids and not removed
    ]
    for row_id in gone:
        mirror.connection.execute(f"UPDATE {table} SET removed = 1 WHERE id = ?", (row_id,))
    summary.removed += len(gone)
    return seen | skipped_ids


def _resolve_profile_conflict(
    mirror: Mirror, values: dict[str, object], now: datetime, actor: str
) -> None:
    """Let the later of a local profile edit and a source change win."""
    edit = mirror.connection.execute(
        "SELECT confirm_sms, confirm_days, language, edited_at FROM profile_edits WHERE client_id = ?",
        (values["id"],),
    ).fetchone()
    if edit is None:
        return
    old = mirror.connection.execute(
        "SELECT confirm_sms, confirm_days, language FROM clients WHERE id = ?", (values["id"],)
    ).fetchone()
    source_profile = (values["confirm_sms"], values["confirm_days"], values["language"])
    if old is not None and tuple(old) == source_profile:
        return  # the source changed other fields; the local edit stands
    if str(values["updated_at"]) <= edit["edited_at"]:
        mirror.add_audit(
            at=now,
            actor=actor,
            action="sync_profile_kept",
            client_id=str(values["id"]),
            old_value=f"source {source_profile}",
            new_value=f"local {tuple(edit)[:3]}",
            detail="the local edit is newer than the source's change",
        )
        return
    mirror.connection.execute("DELETE FROM profile_edits WHERE client_id = ?", (values["id"],))
    mirror.add_audit(
        at=now,
        actor=actor,
        action="sync_profile_replaced",
        client_id=str(values["id"]),
        old_value=f"local {tuple(edit)[:3]}",
        new_value=f"source {source_profile}",
        detail="the source changed the profile after the local edit",
    )
