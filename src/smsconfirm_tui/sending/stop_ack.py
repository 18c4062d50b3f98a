"""The one SMS that acknowledges a client's stop reply, sent through the outbox.

Each acknowledgement is an outbox message of kind ``stop_ack`` whose unique
key is made from the stop reply's provider id. The reply is stored once,
so its acknowledgement is queued once, and the outbox states keep it from
being sent twice: a request whose outcome was lost stays ``unknown`` until
``sender.reconcile`` queries the gateway.

Fetching replies only queues an acknowledgement; it goes out with the next
send a person starts, and the send dialog counts it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from smsconfirm_tui.domain.status import MessageState
from smsconfirm_tui.domain.templates import render_stop_ack
from smsconfirm_tui.gateway.base import NO_REPLY_REFERENCE_PREFIX, Gateway, InboundSms, OutgoingSms, SendOutcome
from smsconfirm_tui.gateway.http_util import mask_phone
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.sender import MAX_ATTEMPTS
from smsconfirm_tui.store.mirror import Mirror

log = logging.getLogger(__name__)

KIND = "stop_ack"


def enqueue_stop_ack(
    mirror: Mirror,
    inbound: InboundSms,
    *,
    provider: str,
    language_client_id: str,
    salon_id: str | None,
    now: datetime,
) -> None:
    """Queue the acknowledgement of one stop reply; call inside the reply's transaction.

    The text is in the language of ``language_client_id`` and names the salon
    ``salon_id``, else the salon of the latest confirmation to the number.
    """
    connection = mirror.connection
    salons = mirror.salons()
    if salon_id is None or salon_id not in salons:
        latest = connection.execute(
            "SELECT salon_id FROM messages WHERE to_e164 = ? AND kind = 'confirmation' ORDER BY id DESC LIMIT 1",
            (inbound.from_number,),
        ).fetchone()
        salon_id = latest[0] if latest is not None else None
    salon = salons.get(salon_id) if salon_id is not None else None
    if salon is None:
        if not salons:
            log.warning("stop reply %s: no salon in the mirror, so no acknowledgement", inbound.provider_id)
            return
        salon = next(iter(salons.values()))
    client = mirror.client(language_client_id)
    text = render_stop_ack(salon.name, salon.phone, client.language if client else "")
    stamp = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    connection.execute(
        "INSERT OR IGNORE INTO messages (reference, visit_key, visit_starts_at, client_id, salon_id, to_e164, "
        "text, sender, state, provider, created_at, created_by, updated_at, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'reply', ?, ?)",
        (
            NO_REPLY_REFERENCE_PREFIX + outbox.new_reference(),
            f"stop-ack/{inbound.provider_id}",
            inbound.received_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            language_client_id,
            salon.id,
            inbound.from_number,
            text,
            salon.sender,
            MessageState.QUEUED,
            provider,
            stamp,
            stamp,
            KIND,
        ),
    )


def count_queued_stop_acks(mirror: Mirror) -> int:
    return len(queued_stop_acks(mirror))


def queued_stop_acks(mirror: Mirror) -> list[tuple[str, str]]:
    """Return the salon id and text of each acknowledgement waiting for the next send."""
    rows = mirror.connection.execute(
        "SELECT salon_id, text FROM messages WHERE kind = ? AND state = ? ORDER BY id", (KIND, MessageState.QUEUED)
    )
    return [(row[0], row[1]) for row in rows]


def send_stop_acks(mirror: Mirror, gateway: Gateway, *, now: datetime, sender_id: str) -> int:
    """Send every queued acknowledgement once; return how many the gateway accepted.

    A request that the gateway returns as RETRY stays queued for the next send,
    up to the sender's attempt limit.
    """
    ids = [
        row[0]
        for row in mirror.connection.execute(
            "SELECT id FROM messages WHERE kind = ? AND state = ? ORDER BY id", (KIND, MessageState.QUEUED)
        )
    ]
    accepted = 0
    for message in outbox.claim(mirror, ids, sender_id=sender_id, now=now):
        sms = OutgoingSms(reference=message.reference, to=message.to_e164, text=message.text, sender=message.sender)
        result = gateway.send(sms)
        masked = mask_phone(message.to_e164)
        if result.outcome is SendOutcome.ACCEPTED:
            outbox.mark(mirror, message.id, MessageState.SENT, now=now, provider_id=result.provider_id)
            log.info("stop acknowledgement %s to %s accepted", message.reference, masked)
            accepted += 1
        elif result.outcome is SendOutcome.RETRY and message.attempts < MAX_ATTEMPTS:
            outbox.mark(mirror, message.id, MessageState.QUEUED, now=now, error=result.error)
            log.info("stop acknowledgement %s to %s: retry on the next send (%s)", message.reference, masked,
                     result.error)
        elif result.outcome is SendOutcome.UNKNOWN:
            outbox.mark(mirror, message.id, MessageState.UNKNOWN, now=now, error=result.error)
            log.warning("stop acknowledgement %s to %s: outcome unknown: %s", message.reference, masked,
                        result.error)
        else:
            outbox.mark(mirror, message.id, MessageState.FAILED, now=now, error=result.error)
            log.warning("stop acknowledgement %s to %s failed: %s", message.reference, masked, result.error)
    return accepted
