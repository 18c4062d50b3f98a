"""The routine's service object on the demo salon: lists, profiles, sending, replies."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from smsconfirm_tui.domain.status import AUDIT_STATUSES, VisitStatus

TOMORROW = date(2026, 12, 5)


def accepted(session) -> dict:
    return httpx.get(
        f"{session.server.url}/v1/_stats",
        headers={"Authorization": f"Bearer {session.routine.config.gateway.token}"},
    ).json()


def test_day_rows_have_every_kind(demo):
    rows = demo.routine.rows_for_day(TOMORROW)
    statuses = {row.status for row in rows}
    assert len(rows) > 20
    assert VisitStatus.TO_SEND in statuses
    assert VisitStatus.NEEDS_SETUP in statuses
    assert VisitStatus.NO_MOBILE in statuses or VisitStatus.INVALID_NUMBER in statuses


def test_visit_groups_lines_of_one_day(demo):
    rows = demo.routine.rows_for_day(TOMORROW)
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys))
    assert any(len(row.visit.lines) > 1 for row in rows)


def test_profile_edit_makes_row_sendable(demo):
    routine = demo.routine
    row = next(row for row in routine.rows_for_day(TOMORROW) if row.status is VisitStatus.NEEDS_SETUP)
    changes = routine.save_profile(row.client.id, sms_on=True, lead_days=3, language="fr")
    assert {change.field for change in changes} == {"sms_on", "lead_days", "language"}
    again = routine.row(row.key, TOMORROW)
    assert again.status is VisitStatus.TO_SEND
    assert again.lead_days == 3
    entries = routine.mirror.audit_entries(row.client.id)
    assert [entry["field"] for entry in entries] == ["sms_on", "lead_days", "language"]
    assert entries[0]["actor"] == "test-user"
    assert entries[0]["old_value"] == "False"
    assert entries[0]["new_value"] == "True"


def test_send_twice_sends_once(demo):
    routine = demo.routine
    rows = routine.rows_for_day(TOMORROW)
    plan = routine.plan_send([row for row in rows if row.status is VisitStatus.TO_SEND])
    assert plan.count > 5
    summary = routine.send(plan)
    assert summary.progress.sent == plan.count
    stats = accepted(demo)
    assert stats["accepted"] == plan.count
    assert set(stats["by_reference"].values()) == {1}

    # The same plan again, as a second terminal with a stale list would send it.
    again = routine.send(plan)
    assert again.progress.sent == 0
    assert accepted(demo)["accepted"] == plan.count
    assert routine.plan_send(routine.rows_for_day(TOMORROW)).count == 0


def test_due_today_uses_each_lead_time(demo, now):
    routine = demo.routine
    rows = routine.rows_due()
    assert rows
    for row in rows:
        assert row.visit.starts_at > (now + timedelta(hours=2)).replace(tzinfo=None)
        assert row.visit.day - timedelta(days=row.lead_days) <= now.date()
    assert any(row.due.state == "due" for row in rows)


def test_replies_land_on_their_visits(demo):
    routine = demo.routine
    plan = routine.plan_send(routine.rows_for_day(TOMORROW))
    routine.send(plan)
    summary = routine.fetch_replies()
    assert summary.new > 0
    assert summary.matched == summary.new
    assert routine.fetch_replies().new == 0
    statuses = {row.status for row in routine.rows_for_day(TOMORROW)}
    assert VisitStatus.CONFIRMED in statuses
    assert statuses & {VisitStatus.DECLINED, VisitStatus.UNCLEAR}


def test_audit_statuses_are_the_setup_ones():
    assert AUDIT_STATUSES == {VisitStatus.NEEDS_SETUP, VisitStatus.INVALID_NUMBER}
