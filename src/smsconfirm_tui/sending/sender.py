"""Send queued messages through a gateway with bounded concurrency, a rate limit and retries.

Only the thread that owns the ``Mirror`` touches the database; the pool
threads only make HTTP requests. Up to ``concurrency`` requests are in
flight at once, and a token bucket keeps the request rate at or below the
provider's limit.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from smsconfirm_tui.domain.calendar import ZURICH, too_late_reason
from smsconfirm_tui.domain.status import MessageState
from smsconfirm_tui.domain.visits import Visit, format_local
from smsconfirm_tui.gateway.base import (
    DeliveryReport,
    DeliveryState,
    Gateway,
    OutgoingSms,
    SendOutcome,
    SendResult,
    StatusLookup,
)
from smsconfirm_tui.gateway.http_util import mask_phone
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.ratelimit import TokenBucket
from smsconfirm_tui.store.mirror import MessageRow, Mirror, visit_lines

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # the first request and three retries


def default_backoff(attempt: int) -> float:
    """Return the seconds to wait after failed attempt ``attempt`` (1-based): 0.5, 1, 2, … up to 30."""
    return min(30.0, 0.5 * 2 ** (attempt - 1))


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
    waits: list[float] = field(default_factory=list)  # seconds before each retry, in order


@dataclass(frozen=True)
class _Outcome:
    result: SendResult
    report: DeliveryReport | None = None  # the status lookup after an unknown outcome


class Sender:
    def __init__(
        self,
        mirror: Mirror,
        gateway: Gateway,
        *,
        sender_id: str,
        clock: Callable[[], datetime],
        concurrency: int = 4,
        rate_limit: float | None = None,
        min_notice: timedelta = timedelta(hours=2),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        backoff: Callable[[int], float] = default_backoff,
    ) -> None:
        self.mirror = mirror
        self.gateway = gateway
        self.sender_id = sender_id
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.min_notice = min_notice
        self.sleep = sleep
        self.monotonic = monotonic
        self.backoff = backoff
        self.bucket = TokenBucket(rate_limit) if rate_limit else None

    def send(
        self,
        message_ids: list[int],
        *,
        on_progress: Callable[[SendProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> SendSummary:
        """Send the given queued messages; messages already claimed elsewhere are skipped.

        After a cancel, requests in flight finish and are recorded, and the
        rest stay queued for the next send.
        """
        progress = SendProgress(total=len(message_ids))
        summary = SendSummary(progress)
        pending: deque[int] = deque(message_ids)
        delayed: list[tuple[float, int]] = []  # (monotonic due time, message id), a heap
        in_flight: dict[Future[_Outcome], MessageRow] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sms-send") as pool:
            while pending or delayed or in_flight:
                cancelled = is_cancelled()
                while delayed and delayed[0][0] <= self.monotonic():
                    pending.append(heapq.heappop(delayed)[1])
                while pending and not cancelled and len(in_flight) < self.concurrency:
                    message = self._claim(pending.popleft(), progress, on_progress)
                    if message is not None:
                        in_flight[pool.submit(self._request, message)] = message
                if in_flight:
                    timeout = max(0.0, delayed[0][0] - self.monotonic()) if delayed else None
                    finished, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                    for future in finished:
                        message = in_flight.pop(future)
                        state = self._record(message, future.result(), summary)
                        if state is MessageState.QUEUED:
                            wait_seconds = summary.waits[-1]
                            heapq.heappush(delayed, (self.monotonic() + wait_seconds, message.id))
                            continue
                        self._report(progress, message, state, on_progress)
                elif cancelled:
                    break
                elif delayed and not pending:
                    self.sleep(max(0.0, delayed[0][0] - self.monotonic()))
        return summary

    def _claim(self, message_id: int, progress: SendProgress,
               on_progress: Callable[[SendProgress], None] | None) -> MessageRow | None:
        claimed = outbox.claim(self.mirror, [message_id], sender_id=self.sender_id, now=self.clock())
        if not claimed:
            progress.done += 1  # claimed by another terminal, or no longer queued
            return None
        message = claimed[0]
        reason = self._drop_reason(message)
        if reason is not None:
            outbox.mark(self.mirror, message.id, MessageState.DROPPED, now=self.clock(), error=reason)
            log.info("message %s to %s dropped: %s", message.reference, mask_phone(message.to_e164), reason)
            self._report(progress, message, MessageState.DROPPED, on_progress)
            return None
        return message

    def _request(self, message: MessageRow) -> _Outcome:
        """Run in a pool thread: send, and after an unknown outcome ask the gateway once."""
        if self.bucket is not None:
            self.bucket.acquire()
        sms = OutgoingSms(reference=message.reference, to=message.to_e164, text=message.text,
                          sender=message.sender)
        result = self.gateway.send(sms)
        if result.outcome is not SendOutcome.UNKNOWN:
            return _Outcome(result)
        try:
            report = self.gateway.delivery_report(message.reference, lookup_for(message))
        except Exception as error:  # noqa: BLE001 - any failure leaves the message unknown
            log.warning("status lookup for %s failed: %s", message.reference, error)
            return _Outcome(result)
        return _Outcome(result, report)

    def _drop_reason(self, message: MessageRow) -> str | None:
        """Check the visit again just before its request; return why it must not be sent, or None."""
        opted_out = self.mirror.connection.execute(
            "SELECT 1 FROM opt_outs WHERE client_id = ?", (message.client_id,)
        ).fetchone()
        if opted_out:
            return "the client opted out before sending"
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

    def _record(self, message: MessageRow, outcome: _Outcome, summary: SendSummary) -> MessageState:
        now = self.clock()
        result = outcome.result
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
            return self._retry(message, result.error, result.retry_after, summary)

        # UNKNOWN: the request may have reached the gateway.
        report = outcome.report
        if report is not None and report.state in (DeliveryState.ACCEPTED, DeliveryState.DELIVERED):
            outbox.mark(self.mirror, message.id, MessageState.SENT, now=now, provider_id=report.provider_id)
            log.info("message %s to %s: the gateway has it after all", message.reference, masked)
            return MessageState.SENT
        if report is not None and report.state is DeliveryState.NOT_FOUND and result.answered:
            # The gateway finished the request and does not have the message,
            # so it did not take it: a retry cannot send it twice.
            return self._retry(message, f"{result.error}; the gateway does not have it", None, summary)
        outbox.mark(self.mirror, message.id, MessageState.UNKNOWN, now=now, error=result.error)
        log.warning("message %s to %s: outcome unknown: %s", message.reference, masked, result.error)
        return MessageState.UNKNOWN

    def _retry(self, message: MessageRow, error: str | None, retry_after: float | None,
               summary: SendSummary) -> MessageState:
        now = self.clock()
        attempts = message.attempts
        if attempts >= MAX_ATTEMPTS:
            failure = f"gave up after {attempts} attempts: {error}"
            outbox.mark(self.mirror, message.id, MessageState.FAILED, now=now, error=failure)
            log.warning("message %s to %s failed: %s", message.reference, mask_phone(message.to_e164), failure)
            summary.errors.append(failure)
            return MessageState.FAILED
        wait_seconds = retry_after if retry_after is not None else self.backoff(attempts)
        log.info("message %s: retry %d in %.1f s (%s)", message.reference, attempts, wait_seconds, error)
        outbox.mark(self.mirror, message.id, MessageState.QUEUED, now=now, error=error)
        summary.waits.append(wait_seconds)
        return MessageState.QUEUED

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


def lookup_for(message: MessageRow) -> StatusLookup:
    """Describe a message for a status lookup by providers that take no reference."""
    claimed_at = datetime.fromisoformat(message.claimed_at) if message.claimed_at else None
    return StatusLookup(provider_id=message.provider_id, to=message.to_e164, text=message.text,
                        claimed_at=claimed_at)


def reconcile(mirror: Mirror, gateway: Gateway, *, now: datetime, wall: datetime | None = None) -> int:
    """Settle messages left mid-send by a crash or a lost response; return how many changed.

    A message the gateway has is marked sent, at any time. A message the
    gateway never received goes back to the queue only once its claim lease
    has expired, because until then its request may still be on the way.
    """
    changed = 0
    for message in outbox.stale_claims(mirror, wall=wall):
        try:
            report = gateway.delivery_report(message.reference, lookup_for(message))
        except Exception as error:  # noqa: BLE001 - the message simply stays as it is
            log.warning("status lookup for %s failed: %s", message.reference, error)
            continue
        if report.state in (DeliveryState.ACCEPTED, DeliveryState.DELIVERED):
            outbox.mark(mirror, message.id, MessageState.SENT, now=now, provider_id=report.provider_id)
            changed += 1
        elif report.state is DeliveryState.NOT_FOUND and outbox.lease_expired(message, wall):
            outbox.mark(mirror, message.id, MessageState.QUEUED, now=now,
                        error="the gateway never received it: queued again")
            changed += 1
    return changed


def refresh_deliveries(mirror: Mirror, gateway: Gateway, *, now: datetime, limit: int = 200) -> int:
    """Fetch delivery reports for sent messages not yet delivered or failed; return how many changed."""
    rows = mirror.connection.execute(
        "SELECT * FROM messages WHERE state = ? AND provider = ? "
        "AND (delivery IS NULL OR delivery NOT IN ('delivered', 'failed')) ORDER BY id DESC LIMIT ?",
        (MessageState.SENT, gateway.name, limit),
    ).fetchall()
    changed = 0
    for row in rows:
        message = outbox.message_from_row(row)
        try:
            report = gateway.delivery_report(message.reference, lookup_for(message))
        except Exception as error:  # noqa: BLE001 - the report simply stays as it was
            log.warning("delivery report for %s failed: %s", message.reference, error)
            continue
        if report.state in (DeliveryState.UNKNOWN, DeliveryState.NOT_FOUND) or report.state == message.delivery:
            continue
        outbox.set_delivery(mirror, message.id, report.state, error=report.error, now=now)
        changed += 1
    return changed
