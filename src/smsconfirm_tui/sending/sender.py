"""Send queued messages through a gateway with bounded concurrency and retries.

Only the thread that owns the ``Mirror`` touches the database; the pool
threads only make HTTP requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from smsconfirm_tui.domain.calendar import ZURICH, too_late_reason
from smsconfirm_tui.domain.status import MessageState
from smsconfirm_tui.domain.visits import Visit, format_local
from smsconfirm_tui.gateway.base import DeliveryState, Gateway, OutgoingSms, SendOutcome, SendResult
from smsconfirm_tui.gateway.http_util import mask_phone
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.store.mirror import MessageRow, Mirror, visit_lines

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # the first request and three retries


@dataclass
class SendProgress:
    total: int
    done: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    dropped: int = 0
    last_visit_key: str | None = None
    last_state: MessageState | None = None


@dataclass
class SendSummary:
    progress: SendProgress
    errors: list[str] = field(default_factory=list)


class Sender:
    def __init__(
        self,
        mirror: Mirror,
        gateway: Gateway,
        *,
        sender_id: str,
        clock: Callable[[], datetime],
        concurrency: int = 4,
        min_notice: timedelta = timedelta(hours=2),
        sleep: Callable[[float], None] = time.sleep,
        backoff: Callable[[int], float] = lambda attempt: min(30.0, 0.5 * 2 ** (attempt - 1)),
    ) -> None:
        self.mirror = mirror
        self.gateway = gateway
        self.sender_id = sender_id
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.min_notice = min_notice
        self.sleep = sleep
        self.backoff = backoff

    def send(
        self,
        message_ids: list[int],
        *,
        on_progress: Callable[[SendProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> SendSummary:
        """Send the given queued messages; messages already claimed elsewhere are skipped."""
        progress = SendProgress(total=len(message_ids))
        summary = SendSummary(progress)
        pending = list(message_ids)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sms-send") as pool:
            while pending and not is_cancelled():
                batch, pending = pending[: self.concurrency], pending[self.concurrency :]
                claimed = outbox.claim(self.mirror, batch, sender_id=self.sender_id, now=self.clock())
                progress.done += len(batch) - len(claimed)  # claimed by another terminal
                futures: list[tuple[MessageRow, Future[SendResult]]] = []
                for message in claimed:
                    reason = self._drop_reason(message)
                    if reason is not None:
                        outbox.mark(self.mirror, message.id, MessageState.DROPPED, now=self.clock(),
                                    error=reason)
                        log.info("message %s to %s dropped: %s", message.reference,
                                 mask_phone(message.to_e164), reason)
                        self._report(progress, message, MessageState.DROPPED, on_progress)
                        continue
                    if self._opted_out(message):
                        outbox.mark(self.mirror, message.id, MessageState.DROPPED, now=self.clock(),
                                    error="the client opted out before sending")
                        self._report(progress, message, MessageState.DROPPED, on_progress)
                        continue
                    futures.append((message, pool.submit(self._request, message)))
                for message, future in futures:
                    state = self._record(message, future.result(), summary)
                    if state is MessageState.QUEUED:
                        pending.append(message.id)  # retry after its backoff
                        continue
                    self._report(progress, message, state, on_progress)
        return summary

    def _request(self, message: MessageRow) -> SendResult:
        sms = OutgoingSms(reference=message.reference, to=message.to_e164, text=message.text,
                          sender=message.sender)
        return self.gateway.send(sms)

    def _drop_reason(self, message: MessageRow) -> str | None:
        """Check the visit again just before its request; return why it must not be sent, or None."""
        # The day is the last part of the key; salon and client ids may contain "/".
        day = date.fromisoformat(message.visit_key.rsplit("/", 1)[1])
        lines = visit_lines(self.mirror, message.salon_id, message.client_id, day)
        visit = Visit(message.salon_id, message.client_id, day, tuple(lines))
        if not lines:
            return "the visit has no appointments on that day any more: it moved or was removed"
        if visit.cancelled:
            return "the visit was cancelled before sending"
        starts_at = format_local(visit.starts_at)
        if starts_at != message.visit_starts_at:
            return f"the visit moved from {message.visit_starts_at} to {starts_at} before sending"
        return too_late_reason(visit.starts_at.replace(tzinfo=ZURICH), self.clock(), self.min_notice)

    def _opted_out(self, message: MessageRow) -> bool:
        row = self.mirror.connection.execute(
            "SELECT 1 FROM opt_outs WHERE client_id = ?", (message.client_id,)
        ).fetchone()
        return row is not None

    def _record(self, message: MessageRow, result: SendResult, summary: SendSummary) -> MessageState:
        now = self.clock()
        masked = mask_phone(message.to_e164)
        if result.outcome is SendOutcome.ACCEPTED:
            outbox.mark(self.mirror, message.id, MessageState.SENT, now=now, provider_id=result.provider_id)
            log.info("message %s to %s accepted", message.reference, masked)
            return MessageState.SENT
        if result.outcome is SendOutcome.REJECTED:
            outbox.mark(self.mirror, message.id, MessageState.FAILED, now=now, error=result.error)
            if result.opted_out:
                self._opt_out(message, now)
            log.warning("message %s to %s rejected: %s", message.reference, masked, result.error)
            summary.errors.append(result.error or "rejected")
            return MessageState.FAILED
        if result.outcome is SendOutcome.RETRY:
            attempts = message.attempts
            if attempts >= MAX_ATTEMPTS:
                error = f"gave up after {attempts} attempts: {result.error}"
                outbox.mark(self.mirror, message.id, MessageState.FAILED, now=now, error=error)
                log.warning("message %s to %s failed: %s", message.reference, masked, error)
                summary.errors.append(error)
                return MessageState.FAILED
            wait = result.retry_after if result.retry_after is not None else self.backoff(attempts)
            log.info("message %s: retry %d in %.1f s (%s)", message.reference, attempts, wait, result.error)
            outbox.mark(self.mirror, message.id, MessageState.QUEUED, now=now, error=result.error)
            self.sleep(wait)
            return MessageState.QUEUED
        # UNKNOWN: the request may have reached the gateway. Ask the gateway
        # once; what it cannot settle now stays unknown, never resent blindly.
        outbox.mark(self.mirror, message.id, MessageState.UNKNOWN, now=now, error=result.error)
        log.warning("message %s to %s: outcome unknown: %s", message.reference, masked, result.error)
        return self._settle_unknown(message)

    def _settle_unknown(self, message: MessageRow) -> MessageState:
        try:
            report = self.gateway.delivery_report(message.reference)
        except Exception as error:  # noqa: BLE001 - any failure leaves the message unknown
            log.warning("status lookup for %s failed: %s", message.reference, error)
            return MessageState.UNKNOWN
        if report.state in (DeliveryState.ACCEPTED, DeliveryState.DELIVERED):
            outbox.mark(self.mirror, message.id, MessageState.SENT, now=self.clock(), provider_id=report.provider_id)
            return MessageState.SENT
        return MessageState.UNKNOWN

    def _opt_out(self, message: MessageRow, now: datetime) -> None:
        with self.mirror.transaction() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO opt_outs (client_id, at, reason) VALUES (?, ?, ?)",
                (message.client_id, now.isoformat(timespec="seconds"), "the gateway reports the number unsubscribed"),
            )
            self.mirror.add_audit(at=now, actor="gateway", action="opt_out", client_id=message.client_id,
                                  detail="the gateway reports the number unsubscribed")

    def _report(self, progress: SendProgress, message: MessageRow, state: MessageState,
                on_progress: Callable[[SendProgress], None] | None) -> None:
        progress.done += 1
        if state is MessageState.SENT:
            progress.sent += 1
        elif state is MessageState.FAILED:
            progress.failed += 1
        elif state is MessageState.UNKNOWN:
            progress.unknown += 1
        elif state is MessageState.DROPPED:
            progress.dropped += 1
        progress.last_visit_key = message.visit_key
        progress.last_state = state
        if on_progress:
            on_progress(progress)


def reconcile(mirror: Mirror, gateway: Gateway, *, now: datetime) -> int:
    """Settle messages left mid-send by a crash or a lost answer; return how many changed.

    A message the gateway has is marked sent. A message the gateway never
    received, and whose claim lease has expired, goes back to the queue.
    """
    changed = 0
    for message in outbox.stale_claims(mirror, now=now):
        try:
            report = gateway.delivery_report(message.reference)
        except Exception as error:  # noqa: BLE001 - the message simply stays as it is
            log.warning("status lookup for %s failed: %s", message.reference, error)
            continue
        if report.state in (DeliveryState.ACCEPTED, DeliveryState.DELIVERED):
            outbox.mark(mirror, message.id, MessageState.SENT, now=now, provider_id=report.provider_id)
            changed += 1
        elif report.state is DeliveryState.NOT_FOUND:
            outbox.mark(mirror, message.id, MessageState.QUEUED, now=now,
                        error="the gateway never received it: queued again")
            changed += 1
    return changed
