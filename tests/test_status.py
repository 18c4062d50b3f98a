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
]


@pytest.mark.parametrize(("case", "facts", "expected"), CASES, ids=[case[0] for case in CASES])
def test_status_table(case, facts, expected):
    decision = decide_status(StatusFacts(**facts))
    assert decision.status is expected, decision.rule
    assert decision.rule


def test_status_covers_every_status():
    reached = {expected for _, _, expected in CASES}
    assert reached == set(VisitStatus)
