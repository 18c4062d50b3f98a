"""The visit status as a table of cases: one row per rule of the status table."""

import pytest

from smsconfirm_tui.domain.status import MessageState, StatusFacts, VisitStatus, decide_status

READY = dict(cancelled=False, opted_out=False, sms_on=True, has_mobile=True, has_invalid_number=False)

CASES = [
    ("cancelled wins", {**READY, "cancelled": True, "message_state": MessageState.SENT, "reply_class": "yes"}, VisitStatus.CANCELLED),
    ("no mobile", {**READY, "has_mobile": False}, VisitStatus.NO_MOBILE),
    ("invalid number", {**READY, "has_mobile": False, "has_invalid_number": True}, VisitStatus.INVALID_NUMBER),
    ("invalid beside a mobile", {**READY, "has_invalid_number": True}, VisitStatus.TO_SEND),
    ("needs setup", {**READY, "sms_on": False}, VisitStatus.NEEDS_SETUP),
    ("to send", READY, VisitStatus.TO_SEND),
    ("queued counts as to send", {**READY, "message_state": MessageState.QUEUED}, VisitStatus.TO_SEND),
    ("moved", {**READY, "moved": True}, VisitStatus.TO_SEND),
    ("sent", {**READY, "message_state": MessageState.SENT}, VisitStatus.SENT),
    ("sending shows sent", {**READY, "message_state": MessageState.SENDING}, VisitStatus.SENT),
    ("unknown shows sent", {**READY, "message_state": MessageState.UNKNOWN}, VisitStatus.SENT),
    ("failed", {**READY, "message_state": MessageState.FAILED}, VisitStatus.FAILED),
    ("confirmed", {**READY, "message_state": MessageState.SENT, "reply_class": "yes"}, VisitStatus.CONFIRMED),
    ("declined", {**READY, "message_state": MessageState.SENT, "reply_class": "no"}, VisitStatus.DECLINED),
    ("unclear", {**READY, "message_state": MessageState.SENT, "reply_class": "unclear"}, VisitStatus.UNCLEAR),
    ("stop reply", {**READY, "message_state": MessageState.SENT, "reply_class": "stop"}, VisitStatus.OPTED_OUT),
    ("unclear resolved yes", {**READY, "message_state": MessageState.SENT, "reply_class": "unclear", "resolution": "yes"}, VisitStatus.CONFIRMED),
    ("unclear resolved no", {**READY, "message_state": MessageState.SENT, "reply_class": "unclear", "resolution": "no"}, VisitStatus.DECLINED),
    ("opted out", {**READY, "opted_out": True}, VisitStatus.OPTED_OUT),
    ("sent then sms off", {**READY, "sms_on": False, "message_state": MessageState.SENT}, VisitStatus.SENT),
    ("dropped message", {**READY, "message_state": MessageState.DROPPED}, VisitStatus.TO_SEND),
    ("cancelled without mobile", {**READY, "cancelled": True, "has_mobile": False}, VisitStatus.CANCELLED),
    ("opted out without mobile", {**READY, "opted_out": True, "has_mobile": False}, VisitStatus.OPTED_OUT),
    ("opted out with sms off", {**READY, "opted_out": True, "sms_on": False}, VisitStatus.OPTED_OUT),
    ("opted out after failure", {**READY, "opted_out": True, "message_state": MessageState.FAILED}, VisitStatus.OPTED_OUT),
    ("opted out after sent", {**READY, "opted_out": True, "message_state": MessageState.SENT}, VisitStatus.SENT),
    ("failed after move", {**READY, "moved": True, "message_state": MessageState.FAILED}, VisitStatus.FAILED),
    ("moved and queued", {**READY, "moved": True, "message_state": MessageState.QUEUED}, VisitStatus.TO_SEND),
    ("moved, sms now off", {**READY, "moved": True, "sms_on": False}, VisitStatus.NEEDS_SETUP),
    ("moved, number gone", {**READY, "moved": True, "has_mobile": False}, VisitStatus.NO_MOBILE),
    ("moved, opted out", {**READY, "moved": True, "opted_out": True}, VisitStatus.OPTED_OUT),
    ("moved, cancelled", {**READY, "moved": True, "cancelled": True}, VisitStatus.CANCELLED),
    ("unknown with yes", {**READY, "message_state": MessageState.UNKNOWN, "reply_class": "yes"}, VisitStatus.CONFIRMED),
    ("sending with no", {**READY, "message_state": MessageState.SENDING, "reply_class": "no"}, VisitStatus.DECLINED),
    ("resolution beats stop", {**READY, "message_state": MessageState.SENT, "reply_class": "stop", "resolution": "yes"}, VisitStatus.CONFIRMED),
    ("failed with invalid number", {**READY, "has_mobile": False, "has_invalid_number": True, "message_state": MessageState.FAILED}, VisitStatus.FAILED),
]

# The rule text ``smsconfirm explain`` prints, for the cases that share a status.
RULES = {
    "to send": "SMS confirmation is on and nothing was sent yet",
    "moved": "the visit moved after its SMS went out",
    "queued counts as to send": "the SMS waits in the outbox",
    "moved and queued": "the SMS waits in the outbox",
    "unknown shows sent": "the SMS may have reached the gateway; its outcome is not known yet",
    "unclear resolved yes": "staff set the unclear reply to yes",
    "stop reply": "the client replied stop",
    "opted out after failure": "the client asked not to get SMS",
    "invalid number": "a phone field is not a valid number",
}


@pytest.mark.parametrize(("case", "facts", "expected"), CASES, ids=[case[0] for case in CASES])
def test_status_table(case, facts, expected):
    decision = decide_status(StatusFacts(**facts))
    assert decision.status is expected, decision.rule
    assert decision.rule


def test_status_covers_every_status():
    reached = {expected for _, _, expected in CASES}
    assert reached == set(VisitStatus)


@pytest.mark.parametrize(("case", "rule"), sorted(RULES.items()))
def test_status_rule_text(case, rule):
    facts = next(facts for name, facts, _expected in CASES if name == case)

    assert decide_status(StatusFacts(**facts)).rule == rule
