"""The status of a visit: one pure function of what is known about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class VisitStatus(StrEnum):
    NO_MOBILE = "no_mobile"
    NEEDS_SETUP = "needs_setup"
    INVALID_NUMBER = "invalid_number"
    TO_SEND = "to_send"
    SENT = "sent"
    FAILED = "failed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    UNCLEAR = "unclear"
    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"


# Statuses the audit filter shows: staff must fix the profile or the number.
AUDIT_STATUSES = frozenset({VisitStatus.NEEDS_SETUP, VisitStatus.INVALID_NUMBER})


class MessageState(StrEnum):
    QUEUED = "queued"  # written to the outbox, no request yet
    SENDING = "sending"  # claimed by a sender; the request may be in flight
    SENT = "sent"  # the gateway accepted it
    UNKNOWN = "unknown"  # the request went out but the outcome was lost
    FAILED = "failed"  # the gateway rejected it, or retries ran out
    DROPPED = "dropped"  # the visit was cancelled or moved before the request


@dataclass(frozen=True)
class StatusFacts:
    """Everything the status depends on, already read from the mirror."""

    cancelled: bool
    opted_out: bool
    sms_on: bool
    has_mobile: bool  # an SMS-capable number was found
    has_invalid_number: bool  # some phone field holds text that is not a valid number
    message_state: MessageState | None = None  # latest message for the current start time
    reply_class: str | None = None  # latest reply to that message: yes, no, stop, unclear
    resolution: str | None = None  # staff's decision on an unclear reply: yes or no
    moved: bool = False  # a message went out for an earlier start time of this visit


@dataclass(frozen=True)
class StatusDecision:
    status: VisitStatus
    rule: str  # which rule decided, in English, for `smsconfirm explain`


def decide_status(facts: StatusFacts) -> StatusDecision:
    """Decide the status; the first rule that applies wins."""
    if facts.cancelled:
        return StatusDecision(VisitStatus.CANCELLED, "every appointment line is cancelled")

    state = facts.message_state
    if state in (MessageState.SENT, MessageState.SENDING, MessageState.UNKNOWN):
        answer = facts.resolution or facts.reply_class
        if answer == "yes":
            return StatusDecision(VisitStatus.CONFIRMED, _reply_rule("yes", facts))
        if answer == "no":
            return StatusDecision(VisitStatus.DECLINED, _reply_rule("no", facts))
        if answer == "stop":
            return StatusDecision(VisitStatus.OPTED_OUT, "the client replied stop")
        if answer == "unclear":
            return StatusDecision(VisitStatus.UNCLEAR, "the reply is neither yes nor no")
        if state == MessageState.SENT:
            return StatusDecision(VisitStatus.SENT, "the gateway accepted the SMS, no reply yet")
        return StatusDecision(
            VisitStatus.SENT, "the SMS may have reached the gateway; its outcome is not known yet"
        )
    # An opt-out wins over a failed SMS, so that a number the gateway reports
    # as unsubscribed is not ticked and sent again.
    if facts.opted_out:
        return StatusDecision(VisitStatus.OPTED_OUT, "the client asked not to get SMS")
    if state == MessageState.FAILED:
        return StatusDecision(VisitStatus.FAILED, "the gateway rejected the SMS")

    if not facts.has_mobile:
        if facts.has_invalid_number:
            return StatusDecision(VisitStatus.INVALID_NUMBER, "a phone field is not a valid number")
        return StatusDecision(VisitStatus.NO_MOBILE, "no phone field holds a mobile number")
    if not facts.sms_on:
        return StatusDecision(VisitStatus.NEEDS_SETUP, "mobile number present but SMS confirmation is off")
    if state == MessageState.QUEUED:
        return StatusDecision(VisitStatus.TO_SEND, "the SMS waits in the outbox")
    if facts.moved:
        return StatusDecision(VisitStatus.TO_SEND, "the visit moved after its SMS went out")
    return StatusDecision(VisitStatus.TO_SEND, "SMS confirmation is on and nothing was sent yet")


def _reply_rule(answer: str, facts: StatusFacts) -> str:
    if facts.resolution:
        return f"staff set the unclear reply to {answer}"
    return f"the client replied {answer}"
