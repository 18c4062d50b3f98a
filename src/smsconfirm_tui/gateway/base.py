"""The small interface every SMS provider adapter implements.

Adapters are synchronous (one ``httpx.Client`` each); the sender runs them in
a thread pool for bounded concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


# Prefix of our references for SMS that expect no reply, such as an opt-out
# acknowledgement. The demo gateway's scripted clients do not reply to them.
NO_REPLY_REFERENCE_PREFIX = "ack-"


@dataclass(frozen=True)
class OutgoingSms:
    """One message as handed to a gateway."""

    reference: str  # our unique id for the message, sent to providers that take one
    to: str  # E.164, e.g. "+41790000012"
    text: str
    sender: str


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"  # the provider took the message
    REJECTED = "rejected"  # permanent error: do not retry
    RETRY = "retry"  # the provider did not take it: safe to try again
    UNKNOWN = "unknown"  # the request may have reached the provider


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    provider_id: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from a 429's Retry-After
    opted_out: bool = False  # the provider reports that the recipient unsubscribed
    # True when the gateway sent a complete HTTP response (a 5xx or an unreadable
    # 2xx body), so the request is finished there and a status lookup is reliable.
    answered: bool = False


@dataclass(frozen=True)
class StatusLookup:
    """Outbox facts about a message, for providers that cannot find it by our reference.

    Twilio takes no client reference, so its adapter finds a message by its
    provider id or, without one, by listing messages to ``to`` created since
    ``claimed_at`` with the same ``text``.
    """

    provider_id: str | None = None
    to: str | None = None
    text: str | None = None
    claimed_at: datetime | None = None  # timezone-aware


class DeliveryState(StrEnum):
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the provider never received the message
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeliveryReport:
    reference: str
    state: DeliveryState
    provider_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class InboundSms:
    provider_id: str
    from_number: str  # E.164
    text: str
    received_at: datetime  # timezone-aware


@dataclass(frozen=True)
class ReplyBatch:
    replies: list[InboundSms]
    cursor: str | None  # pass back on the next fetch to get only newer replies


class GatewayError(Exception):
    """A gateway could not be reached, or its response could not be read."""


class Gateway(Protocol):
    name: str
    supports_replies: bool

    def send(self, sms: OutgoingSms) -> SendResult: ...

    def delivery_report(self, reference: str, lookup: StatusLookup | None = None) -> DeliveryReport: ...

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch: ...

    def close(self) -> None: ...
