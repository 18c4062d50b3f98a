"""The confirmation rules as the routine applies them: notice, moves, due list, working days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import httpx
import pytest

from smsconfirm_tui.config import SalonSettings
from smsconfirm_tui.domain.calendar import ZURICH, DueState
from smsconfirm_tui.domain.status import MessageState, VisitStatus

TODAY = date(2026, 12, 4)
TOMORROW = date(2026, 12, 5)


def accepted_count(session) -> int:
    response = httpx.get(
        f"{session.server.url}/v1/_stats",
        headers={"Authorization": f"Bearer {session.routine.config.gateway.token}"},
    )
    return response.json()["accepted"]


def move_visit(routine, row, new_start: datetime) -> None:
    """Move every line of the visit to start at ``new_start``, as a sync from the salon would."""
    with routine.mirror.transaction() as connection:
        for offset, line in enumerate(row.visit.lines):
            starts_at = (new_start + timedelta(minutes=30 * offset)).strftime("%Y-%m-%d %H:%M")
            connection.execute("UPDATE appointments SET starts_at = ? WHERE id = ?", (starts_at, line.id))


def set_line_status(routine, row, status: str) -> None:
    with routine.mirror.transaction() as connection:
        for line in row.visit.lines:
            connection.execute("UPDATE appointments SET status = ? WHERE id = ?", (status, line.id))


def first_to_send(routine, day: date):
    return next(row for row in routine.rows_for_day(day) if row.status is VisitStatus.TO_SEND)


def find_row(routine, day: date, key: str):
    return next(row for row in routine.rows_for_day(day) if row.key == key)


def test_within_notice_not_sendable(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    move_visit(routine, row, datetime(2026, 12, 4, 10, 30))  # 1:30 h after the fixed now

    moved = find_row(routine, TODAY, row.key.replace("2026-12-05", "2026-12-04"))

    assert moved.status is VisitStatus.TO_SEND
    assert moved.due.state is DueState.TOO_LATE
    assert moved.too_late
    assert not moved.can_send
    assert routine.plan_send([moved]).count == 0
    assert moved.key not in {due.key for due in routine.rows_due()}


def test_started_visit_not_sendable(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    move_visit(routine, row, datetime(2026, 12, 4, 8, 0))

    started = find_row(routine, TODAY, row.key.replace("2026-12-05", "2026-12-04"))

    assert started.too_late
    assert "started" in started.due.reason
    assert routine.plan_send([started]).count == 0


def test_send_rechecks_notice_at_send_time(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    move_visit(routine, row, datetime(2026, 12, 4, 12, 0))
    key = row.key.replace("2026-12-05", "2026-12-04")
    plan = routine.plan_send([find_row(routine, TODAY, key)])
    assert plan.count == 1

    # Staff leave the list open and press send at 10:30, within 2 h of the visit.
    routine.clock = lambda: datetime(2026, 12, 4, 10, 30, tzinfo=ZURICH)
    summary = routine.send(plan)

    assert summary.progress.dropped == 1
    assert summary.progress.sent == 0
    assert accepted_count(demo) == 0
    message = routine.mirror.messages_for_visits([key])[key][-1]
    assert message.state == MessageState.DROPPED
    assert "minimum notice" in message.error


def test_cancelled_then_restored_sends(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    plan = routine.plan_send([row])
    set_line_status(routine, row, "cancelled")

    first = routine.send(plan)
    assert first.progress.dropped == 1

    set_line_status(routine, row, "booked")
    again = routine.plan_send([find_row(routine, TOMORROW, row.key)])
    second = routine.send(again)

    assert second.progress.sent == 1
    assert accepted_count(demo) == 1
    assert find_row(routine, TOMORROW, row.key).status is VisitStatus.SENT


def test_moved_time_needs_new_sms(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    routine.send(routine.plan_send([row]))
    assert find_row(routine, TOMORROW, row.key).status is VisitStatus.SENT

    move_visit(routine, row, row.visit.starts_at + timedelta(hours=2))
    moved = find_row(routine, TOMORROW, row.key)

    assert moved.status is VisitStatus.TO_SEND
    assert moved.moved
    assert moved.rule == "the visit moved after its SMS went out"
    assert moved.moved_from is not None
    assert moved.can_send

    routine.send(routine.plan_send([moved]))
    after = find_row(routine, TOMORROW, row.key)
    assert after.status is VisitStatus.SENT
    assert not after.moved
    assert accepted_count(demo) == 2


def test_moved_day_needs_new_sms(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    routine.send(routine.plan_send([row]))
    old_message = routine.mirror.messages_for_visits([row.key])[row.key][-1]

    new_day = date(2026, 12, 8)
    move_visit(routine, row, datetime.combine(new_day, row.visit.starts_at.time()))
    new_key = row.key.replace("2026-12-05", "2026-12-08")
    moved = find_row(routine, new_day, new_key)

    assert moved.status is VisitStatus.TO_SEND
    assert moved.moved
    assert moved.moved_from is not None
    assert moved.moved_from.id == old_message.id
    assert row.key not in {found.key for found in routine.rows_for_day(TOMORROW)}

    routine.send(routine.plan_send([moved]))
    assert find_row(routine, new_day, new_key).status is VisitStatus.SENT
    assert accepted_count(demo) == 2


def test_new_visit_same_client_not_moved(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    routine.send(routine.plan_send([row]))
    with routine.mirror.transaction() as connection:
        connection.execute(
            "INSERT INTO appointments (id, client_id, salon_id, starts_at, ends_at, service, staff, status) "
            "VALUES ('NEW1', ?, ?, '2026-12-09 10:00', '2026-12-09 11:00', 'Schneiden', 'Anna', 'booked')",
            (row.client.id, row.salon.id),
        )

    other = find_row(routine, date(2026, 12, 9), row.key.replace("2026-12-05", "2026-12-09"))

    assert other.status is VisitStatus.TO_SEND
    assert not other.moved


def test_due_list_drops_late_after_sms_day(demo):
    routine = demo.routine
    late = [
        row
        for row in routine.rows_due()
        if row.due.state is DueState.LATE
        and row.status is VisitStatus.TO_SEND
        and row.visit.starts_at > datetime(2026, 12, 5, 12, 0)
    ]
    assert late
    row = late[0]
    routine.send(routine.plan_send([row]))
    assert row.key in {due.key for due in routine.rows_due()}  # sent today: still listed

    routine.clock = lambda: datetime(2026, 12, 5, 9, 0, tzinfo=ZURICH)

    assert row.key not in {due.key for due in routine.rows_due()}


def test_due_list_never_within_notice(demo):
    routine = demo.routine
    now = routine.now()
    for row in routine.rows_due():
        start = row.visit.starts_at.replace(tzinfo=ZURICH)
        assert start > now + timedelta(hours=routine.config.min_notice_hours)
        assert row.due.state in (DueState.DUE, DueState.LATE)


def test_due_list_uses_longest_lead(demo):
    routine = demo.routine
    row = first_to_send(routine, date(2026, 12, 16))
    routine.save_profile(row.client.id, sms_on=True, lead_days=12, language="de")

    due_keys = {due.key for due in routine.rows_due()}

    assert row.key in due_keys


def test_lead_out_of_range_uses_default(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    with routine.mirror.transaction() as connection:
        connection.execute("UPDATE clients SET confirm_days = 99 WHERE id = ?", (row.client.id,))

    again = find_row(routine, TOMORROW, row.key)
    lead, source = routine.lead_days(again.client)

    assert again.lead_days == routine.config.default_lead_days
    assert lead == routine.config.default_lead_days
    assert "99" in source
    assert routine.rows_due() is not None


def test_next_working_day_per_salon(demo):
    routine = demo.routine
    routine.config = replace(
        routine.config,
        salons={"S1": SalonSettings(open_days=frozenset({1, 2, 3, 4, 5}))},  # Tuesday to Saturday
    )
    saturday = date(2026, 12, 5)

    assert routine.next_working_day(saturday, "S1") == date(2026, 12, 8)
    assert routine.next_working_day(saturday, "S2") == date(2026, 12, 7)
    assert routine.next_working_day(saturday) == date(2026, 12, 7)


def test_next_working_day_skips_holidays(demo):
    routine = demo.routine

    # 25 and 26 December are public holidays in Zurich; 27 December 2026 is a Sunday.
    assert routine.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


@pytest.mark.parametrize("function", ["parse_phone", "choose_mobile"])
def test_lists_never_parse_numbers(demo, monkeypatch, function):
    from smsconfirm_tui.domain import phone
    from smsconfirm_tui.sync import merge

    def fail(*args, **kwargs):
        raise AssertionError(f"{function} was called while listing visits")

    monkeypatch.setattr(phone, function, fail)
    if hasattr(merge, function):
        monkeypatch.setattr(merge, function, fail)
    routine = demo.routine

    rows = routine.rows_for_day(TOMORROW)
    due = routine.rows_due()
    plan = routine.plan_send(rows)

    assert rows
    assert due
    assert plan.count > 0


def test_moved_back_needs_new_sms_once(demo):
    routine = demo.routine
    row = first_to_send(routine, TOMORROW)
    original_start = row.visit.starts_at
    routine.send(routine.plan_send([row]))

    move_visit(routine, row, original_start + timedelta(hours=2))
    routine.send(routine.plan_send([find_row(routine, TOMORROW, row.key)]))
    assert accepted_count(demo) == 2

    # Back to the first time: the client's latest SMS names the other time.
    move_visit(routine, row, original_start)
    back = find_row(routine, TOMORROW, row.key)
    assert back.status is VisitStatus.TO_SEND
    assert back.moved

    routine.send(routine.plan_send([back]))
    assert accepted_count(demo) == 3
    assert find_row(routine, TOMORROW, row.key).status is VisitStatus.SENT

    # A stale list that still shows the row as moved sends nothing more.
    routine.send(routine.plan_send([back]))
    assert accepted_count(demo) == 3
    actions = [entry["action"] for entry in routine.mirror.audit_entries()]
    assert actions.count("resend_after_move") == 1
