"""Fetch replies from the gateway, store each once, classify and match it to a visit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from smsconfirm_tui.domain.replies import ReplyClass, classify_reply
from smsconfirm_tui.gateway.base import Gateway, InboundSms
from smsconfirm_tui.gateway.http_util import mask_phone
from smsconfirm_tui.store.mirror import Mirror

log = logging.getLogger(__name__)

CURSOR_KEY = "reply_cursor"


@dataclass
class FetchSummary:
    new: int = 0
    matched: int = 0
    unassigned: int = 0
    opted_out: int = 0


def fetch_replies(mirror: Mirror, gateway: Gateway, *, now: datetime) -> FetchSummary:
    """Fetch new replies and store them; fetching twice stores nothing twice."""
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
    received_at = inbound.received_at.astimezone(timezone.utc).isoformat(timespec="seconds")
    # A plain answer belongs to the confirmation the gateway accepted last
    # before the reply arrived.
    message = connection.execute(
        "SELECT id, visit_key, client_id FROM messages WHERE to_e164 = ? AND state IN ('sent', 'unknown', 'sending') "
        "AND (sent_at IS NULL OR sent_at <= ?) ORDER BY COALESCE(sent_at, created_at) DESC, id DESC LIMIT 1",
        (inbound.from_number, received_at),
    ).fetchone()
    connection.execute(
        "INSERT INTO replies (provider, provider_id, from_e164, text, received_at, reply_class, rule, "
        "message_id, visit_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            provider,
            inbound.provider_id,
            inbound.from_number,
            inbound.text,
            received_at,
            classification.reply_class,
            classification.rule,
            message["id"] if message else None,
            message["visit_key"] if message else None,
        ),
    )
    summary.new += 1
    if message is None:
        summary.unassigned += 1
        log.info("reply %s from %s matches no message", inbound.provider_id, mask_phone(inbound.from_number))
        return
    summary.matched += 1
    if classification.reply_class is ReplyClass.STOP:
        connection.execute(
            "INSERT OR IGNORE INTO opt_outs (client_id, at, reason) VALUES (?, ?, ?)",
            (message["client_id"], now.isoformat(timespec="seconds"), "the client replied stop"),
        )
        mirror.add_audit(at=now, actor="reply", action="opt_out", client_id=message["client_id"],
                         visit_key=message["visit_key"], detail="the client replied stop")
        summary.opted_out += 1


def resolve_reply(mirror: Mirror, reply_id: int, resolution: str, *, actor: str, now: datetime, note: str | None = None) -> None:
    """Record staff's reading of an unclear reply: yes, no, or a note only."""
    if resolution not in ("yes", "no", "note"):
        raise ValueError(f"resolution {resolution!r} is not one of yes, no, note")
    with mirror.transaction() as connection:
        row = connection.execute("SELECT visit_key, resolution FROM replies WHERE id = ?", (reply_id,)).fetchone()
        if row is None:
            raise ValueError(f"reply {reply_id} not found")
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
                         field="resolution", old_value=row["resolution"], new_value=resolution, detail=note)
