"""Matching replies to visits on a small hand-made mirror, with a fake gateway.

The week: confirmations go out on Wednesday 2 and Thursday 3 December 2026
for visits on Friday 4 and Saturday 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from smsconfirm_tui.config import Config
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.domain.status import MessageState, VisitStatus
from smsconfirm_tui.domain.visits import visit_key
from smsconfirm_tui.gateway.base import InboundSms, OutgoingSms, ReplyBatch, SendOutcome, SendResult
from smsconfirm_tui.routine import Routine, SendRefused
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.replies import ReplyError, UnmatchedReason
from smsconfirm_tui.store.mirror import Mirror

FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
ANNA = "+41791110001"
MOTHER_AND_DAUGHTER = "+41792220002"
STRANGER = "+41793330003"


def zurich(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZURICH)


@dataclass
class FakeGateway:
    """A gateway that hands out the replies a test queued and records every send."""

    name: str = "fake"
    supports_replies: bool = True
    inbox: list[InboundSms] = field(default_factory=list)
    sent: list[OutgoingSms] = field(default_factory=list)
    outcomes: list[SendOutcome] = field(default_factory=list)

    def send(self, sms: OutgoingSms) -> SendResult:
        self.sent.append(sms)
        outcome = self.outcomes.pop(0) if self.outcomes else SendOutcome.ACCEPTED
        return SendResult(outcome, provider_id=f"fake-{len(self.sent)}" if outcome is SendOutcome.ACCEPTED else None,
                          error=None if outcome is SendOutcome.ACCEPTED else f"fake {outcome}")

    def delivery_report(self, reference: str):  # pragma: no cover - not used here
        raise NotImplementedError

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        start = int(cursor or 0)
        return ReplyBatch(list(self.inbox[start:]), str(len(self.inbox)))

    def close(self) -> None:
        pass

    def reply(self, number: str, text: str, at: datetime) -> None:
        self.inbox.append(InboundSms(f"in-{len(self.inbox) + 1}", number, text, at))


class Week:
    """A mirror with clients, visits and accepted confirmations, and a routine on it."""

    def __init__(self, tmp_path) -> None:
        self.gateway = FakeGateway()
        self.clock_now = zurich(3, 18)
        self.mirror = Mirror(tmp_path / "mirror.sqlite")
        self.routine = Routine(Config(actor="test-user"), tmp_path / "mirror.sqlite", lambda: self.gateway,
                               clock=lambda: self.clock_now)
        with self.mirror.transaction() as connection:
            connection.execute(
                "INSERT INTO salons (id, name, phone, canton, sender) "
                "VALUES ('s1', 'Coiffure Anna', '044 111 22 33', 'ZH', 'CoiffAnna')"
            )

    def client(self, client_id: str, number: str, language: str = "de") -> None:
        with self.mirror.transaction() as connection:
            connection.execute(
                "INSERT INTO clients (id, first_name, last_name, mobile_phone, language, confirm_sms, "
                "phone_e164, phone_kind) VALUES (?, ?, 'Test', ?, ?, 1, ?, 'mobile')",
                (client_id, client_id.title(), number, language, number),
            )

    def visit(self, client_id: str, starts: datetime, *, line_id: str | None = None) -> str:
        with self.mirror.transaction() as connection:
            connection.execute(
                "INSERT INTO appointments (id, client_id, salon_id, starts_at, ends_at, service, status) "
                "VALUES (?, ?, 's1', ?, '', 'Schnitt', 'booked')",
                (line_id or f"{client_id}-{starts:%d%H%M}", client_id, f"{starts:%Y-%m-%d %H:%M}"),
            )
        return visit_key("s1", client_id, starts.date())

    def confirm(self, client_id: str, number: str, starts: datetime, accepted_at: datetime) -> str:
        """Write a confirmation to the outbox and mark it accepted at ``accepted_at``."""
        key = visit_key("s1", client_id, starts.date())
        item = outbox.OutboxItem(key, starts.replace(tzinfo=None), client_id, "s1", number, "Bitte J oder N",
                                 "CoiffAnna")
        ids = outbox.enqueue(self.mirror, [item], actor="test-user", now=accepted_at, provider="fake")
        outbox.claim(self.mirror, ids, sender_id="test", now=accepted_at)
        outbox.mark(self.mirror, ids[0], MessageState.SENT, now=accepted_at, provider_id=f"p-{ids[0]}")
        return key

    def status(self, key: str, day: date) -> VisitStatus:
        row = self.routine.row(key, day)
        assert row is not None, key
        return row.status

    def replies(self) -> list:
        return list(self.mirror.connection.execute("SELECT * FROM replies ORDER BY id"))


@pytest.fixture
def week(tmp_path):
    made = Week(tmp_path)
    yield made
    made.routine.close()
    made.mirror.close()


@pytest.fixture
def anna(week):
    """Anna has a Friday visit confirmed on Wednesday and a Saturday visit confirmed on Thursday."""
    week.client("anna", ANNA)
    friday = week.visit("anna", zurich(4, 10))
    saturday = week.visit("anna", zurich(5, 11))
    week.confirm("anna", ANNA, zurich(4, 10), accepted_at=zurich(2, 10))
    week.confirm("anna", ANNA, zurich(5, 11), accepted_at=zurich(3, 9))
    return friday, saturday


def test_yes_goes_to_last_accepted(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "J", zurich(3, 12))
    summary = week.routine.fetch_replies()
    assert summary.matched == 1
    assert week.status(saturday, SATURDAY) is VisitStatus.CONFIRMED
    assert week.status(friday, FRIDAY) is VisitStatus.SENT


def test_reply_before_second_sms_goes_to_first(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "Nein", zurich(3, 8))
    week.routine.fetch_replies()
    assert week.status(friday, FRIDAY) is VisitStatus.DECLINED
    assert week.status(saturday, SATURDAY) is VisitStatus.SENT


def test_reply_after_first_visit_goes_to_open_one(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "ja gerne", zurich(4, 11))
    week.routine.fetch_replies()
    assert week.status(saturday, SATURDAY) is VisitStatus.CONFIRMED


def test_fetch_twice_changes_nothing(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "J", zurich(3, 12))
    week.gateway.reply(STRANGER, "Wer ist da?", zurich(3, 13))
    first = week.routine.fetch_replies()
    replies = week.replies()
    audit = week.mirror.audit_entries()

    # The cursor forgotten, as after a restore: the same replies come again.
    week.mirror.set_meta("reply_cursor:fake", "0")
    second = week.routine.fetch_replies()

    assert first.new == 2
    assert second.new == 0
    assert [tuple(row) for row in week.replies()] == [tuple(row) for row in replies]
    assert len(week.mirror.audit_entries()) == len(audit)
    assert week.status(saturday, SATURDAY) is VisitStatus.CONFIRMED


def test_shared_number_stays_unassigned(week):
    week.client("mother", MOTHER_AND_DAUGHTER)
    week.client("daughter", MOTHER_AND_DAUGHTER)
    mother = week.visit("mother", zurich(4, 9))
    daughter = week.visit("daughter", zurich(5, 14))
    week.confirm("mother", MOTHER_AND_DAUGHTER, zurich(4, 9), accepted_at=zurich(2, 10))
    week.confirm("daughter", MOTHER_AND_DAUGHTER, zurich(5, 14), accepted_at=zurich(3, 10))

    week.gateway.reply(MOTHER_AND_DAUGHTER, "J", zurich(3, 12))
    summary = week.routine.fetch_replies()

    assert summary.unassigned == 1
    [reply] = week.routine.unassigned_replies()
    assert reply.unmatched_reason == UnmatchedReason.SHARED_NUMBER
    assert week.status(mother, FRIDAY) is VisitStatus.SENT
    assert week.status(daughter, SATURDAY) is VisitStatus.SENT


def test_shared_number_with_one_open_visit(week):
    week.client("mother", MOTHER_AND_DAUGHTER)
    week.client("daughter", MOTHER_AND_DAUGHTER)
    week.visit("mother", zurich(3, 9))
    daughter = week.visit("daughter", zurich(5, 14))
    week.confirm("mother", MOTHER_AND_DAUGHTER, zurich(3, 9), accepted_at=zurich(1, 10))
    week.confirm("daughter", MOTHER_AND_DAUGHTER, zurich(5, 14), accepted_at=zurich(3, 10))

    week.gateway.reply(MOTHER_AND_DAUGHTER, "Oui!", zurich(3, 12))
    week.routine.fetch_replies()

    assert week.routine.unassigned_replies() == []
    assert week.status(daughter, SATURDAY) is VisitStatus.CONFIRMED


def test_late_reply_after_visit(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "J", zurich(5, 12))
    week.routine.fetch_replies()
    [reply] = week.routine.unassigned_replies()
    assert reply.unmatched_reason == UnmatchedReason.AFTER_VISIT
    assert week.status(friday, FRIDAY) is VisitStatus.SENT
    assert week.status(saturday, SATURDAY) is VisitStatus.SENT


def test_reply_to_moved_visit(week):
    week.client("anna", ANNA)
    key = week.visit("anna", zurich(4, 10), line_id="line-1")
    week.confirm("anna", ANNA, zurich(4, 10), accepted_at=zurich(2, 10))
    with week.mirror.transaction() as connection:
        connection.execute("UPDATE appointments SET starts_at = '2026-12-04 15:00' WHERE id = 'line-1'")

    week.gateway.reply(ANNA, "J", zurich(3, 12))
    week.routine.fetch_replies()

    [reply] = week.routine.unassigned_replies()
    assert reply.unmatched_reason == UnmatchedReason.VISIT_CHANGED
    assert week.status(key, FRIDAY) is VisitStatus.TO_SEND


def test_reply_after_newer_confirmation(week):
    week.client("anna", ANNA)
    key = week.visit("anna", zurich(4, 10), line_id="line-1")
    week.confirm("anna", ANNA, zurich(4, 10), accepted_at=zurich(2, 10))
    with week.mirror.transaction() as connection:
        connection.execute("UPDATE appointments SET starts_at = '2026-12-04 15:00' WHERE id = 'line-1'")
    week.confirm("anna", ANNA, zurich(4, 15), accepted_at=zurich(3, 9))

    week.gateway.reply(ANNA, "Nein", zurich(3, 12))
    week.routine.fetch_replies()

    assert week.routine.unassigned_replies() == []
    row = week.routine.row(key, FRIDAY)
    assert row.status is VisitStatus.DECLINED
    assert row.message.visit_starts_at == "2026-12-04 15:00"


def test_unknown_number(week, anna):
    week.gateway.reply(STRANGER, "Ja", zurich(3, 12))
    summary = week.routine.fetch_replies()
    assert summary.unassigned == 1
    [reply] = week.routine.unassigned_replies()
    assert reply.unmatched_reason == UnmatchedReason.UNKNOWN_NUMBER


def test_attach_unassigned_reply(week, anna):
    friday, saturday = anna
    week.gateway.reply(STRANGER, "Ja, das ist Anna mit neuer Nummer", zurich(3, 12))
    week.routine.fetch_replies()
    [reply] = week.routine.unassigned_replies()

    candidates = week.routine.attach_candidates(reply)
    assert {row.key for row in candidates} == {friday, saturday}

    week.routine.attach_reply(reply.id, friday)

    assert week.routine.unassigned_replies() == []
    assert week.status(friday, FRIDAY) is VisitStatus.CONFIRMED
    [entry] = [entry for entry in week.mirror.audit_entries() if entry["action"] == "reply_attached"]
    assert entry["actor"] == "test-user"
    assert entry["visit_key"] == friday
    assert "unknown number" in entry["detail"]
    with pytest.raises(ReplyError, match="already attached or dismissed"):
        week.routine.attach_reply(reply.id, saturday)


def test_attach_needs_a_confirmation(week, anna):
    week.client("berta", "+41794440004")
    no_sms = week.visit("berta", zurich(5, 9))
    week.gateway.reply(STRANGER, "J", zurich(3, 12))
    week.routine.fetch_replies()
    [reply] = week.routine.unassigned_replies()
    with pytest.raises(ReplyError, match="has no confirmation SMS"):
        week.routine.attach_reply(reply.id, no_sms)
    assert week.routine.unassigned_replies() == [reply]


def test_dismiss_unassigned_reply(week, anna):
    week.gateway.reply(STRANGER, "Falsch verbunden", zurich(3, 12))
    week.routine.fetch_replies()
    [reply] = week.routine.unassigned_replies()

    week.routine.dismiss_reply(reply.id)

    assert week.routine.unassigned_replies() == []
    [entry] = [entry for entry in week.mirror.audit_entries() if entry["action"] == "reply_dismissed"]
    assert entry["actor"] == "test-user"
    assert entry["new_value"] == "dismissed"


def test_stop_opts_out_shared_number_once(week):
    week.client("mother", MOTHER_AND_DAUGHTER, language="fr")
    week.client("daughter", MOTHER_AND_DAUGHTER)
    week.visit("mother", zurich(4, 9))
    week.confirm("mother", MOTHER_AND_DAUGHTER, zurich(4, 9), accepted_at=zurich(2, 10))

    week.gateway.reply(MOTHER_AND_DAUGHTER, "STOP", zurich(3, 12))
    week.gateway.reply(MOTHER_AND_DAUGHTER, "Stop bitte", zurich(3, 13))
    summary = week.routine.fetch_replies()
    week.routine.fetch_replies()

    assert summary.opted_out == 2
    assert week.routine.client("mother").opted_out
    assert week.routine.client("daughter").opted_out
    assert summary.acks_queued == 1
    assert week.gateway.sent == []  # only a send started by a person sends it

    plan = week.routine.plan_send([])
    assert plan.count == 1
    week.routine.send(plan)
    week.routine.send(week.routine.plan_send([]))
    [ack] = week.gateway.sent
    assert ack.to == MOTHER_AND_DAUGHTER
    assert ack.text.startswith("Coiffure Anna: vous ne recevrez plus de SMS")


def test_stop_ack_retried_on_next_send(week, anna):
    week.gateway.outcomes = [SendOutcome.RETRY]
    week.gateway.reply(ANNA, "Stopp", zurich(3, 12))
    week.routine.fetch_replies()
    first = week.routine.send(week.routine.plan_send([]))
    second = week.routine.send(week.routine.plan_send([]))
    third_plan = week.routine.plan_send([])

    assert (first.progress.sent, second.progress.sent, third_plan.count) == (0, 1, 0)
    assert len(week.gateway.sent) == 2
    assert week.gateway.sent[0].reference == week.gateway.sent[1].reference
    assert "Sie erhalten keine SMS mehr" in week.gateway.sent[1].text


def test_stop_reply_is_not_a_cancellation(week, anna):
    friday, saturday = anna
    week.gateway.reply(ANNA, "STOP", zurich(3, 12))
    week.routine.fetch_replies()
    assert week.status(saturday, SATURDAY) is VisitStatus.OPTED_OUT
    assert week.status(friday, FRIDAY) is VisitStatus.SENT
    assert week.routine.call_list() == []


def test_opted_out_client_gets_no_confirmation(week):
    week.client("anna", ANNA)
    key = week.visit("anna", zurich(5, 11))
    week.gateway.reply(ANNA, "STOP", zurich(3, 12))
    week.routine.fetch_replies()

    row = week.routine.row(key, SATURDAY)
    assert row.status is VisitStatus.OPTED_OUT
    assert week.routine.plan_send([row]).rows == ()


def test_call_marks_and_attention(week, anna):
    friday, saturday = anna
    week.client("berta", "+41794440004")
    week.visit("berta", zurich(5, 9))
    week.confirm("berta", "+41794440004", zurich(5, 9), accepted_at=zurich(3, 9))
    week.gateway.reply(ANNA, "kann nicht", zurich(3, 12))
    week.gateway.reply("+41794440004", "Kann ich später kommen?", zurich(3, 12))
    week.gateway.reply(STRANGER, "J", zurich(3, 12))
    week.routine.fetch_replies()

    attention = week.routine.attention()
    assert (attention.unclear, attention.declined, attention.unassigned) == (1, 1, 1)

    [call] = week.routine.call_list()
    assert call.row.key == saturday
    assert call.called is None
    assert week.routine.set_call_mark(call.row, "called", True)
    assert not week.routine.set_call_mark(call.row, "called", True)
    [call] = week.routine.call_list()
    assert call.called.actor == "test-user"
    assert week.routine.attention().declined == 0

    assert week.routine.set_call_mark(call.row, "called", False)
    assert week.routine.call_list()[0].called is None
    entries = [entry for entry in week.mirror.audit_entries() if entry["action"] == "call_mark"]
    assert [(entry["field"], entry["new_value"]) for entry in entries] == [("called", "True"), ("called", "False")]


def test_attached_stop_opts_out(week, anna):
    friday, saturday = anna
    week.gateway.reply(STRANGER, "STOP", zurich(3, 12))
    week.routine.fetch_replies()
    [reply] = week.routine.unassigned_replies()

    week.routine.attach_reply(reply.id, saturday)

    assert week.routine.client("anna").opted_out
    assert week.status(saturday, SATURDAY) is VisitStatus.OPTED_OUT
    assert week.gateway.sent == []


def test_reply_stamped_before_acceptance_by_skew(week):
    # The gateway's clock runs a minute behind ours: its reply looks older
    # than the message it answers.
    week.client("anna", ANNA)
    saturday = week.visit("anna", zurich(5, 11))
    week.confirm("anna", ANNA, zurich(5, 11), accepted_at=zurich(3, 9))
    week.gateway.reply(ANNA, "J", zurich(3, 9) - timedelta(minutes=1))
    summary = week.routine.fetch_replies()
    assert summary.matched == 1
    assert week.status(saturday, SATURDAY) is VisitStatus.CONFIRMED


def test_stop_ack_counts_in_plan_and_hours(week, anna):
    week.gateway.reply(ANNA, "STOP", zurich(3, 12))
    week.routine.fetch_replies()

    plan = week.routine.plan_send([])
    assert plan.count == 1
    assert plan.segments >= 1
    assert "keine SMS mehr" in plan.preview
    assert plan.outside_hours == ()

    week.clock_now = zurich(3, 21)  # after the default sending hours
    evening = week.routine.plan_send([])
    assert evening.outside_hours == ("Coiffure Anna",)
    with pytest.raises(SendRefused):
        week.routine.send(evening)
    assert week.gateway.sent == []
