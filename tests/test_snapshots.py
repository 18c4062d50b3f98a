"""SVG snapshots of the main screens at 80x24, on the demo salon at a fixed time.

Update them after an intended change with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from datetime import date

from smsconfirm_tui.sending import outbox
from smsconfirm_tui.tui.app import SmsConfirmApp

SIZE = (80, 24)
TOMORROW = date(2026, 12, 5)


def test_day_list(demo, snap_compare):
    assert snap_compare(SmsConfirmApp(demo.routine, start_day=TOMORROW), terminal_size=SIZE)


def test_audit_filter(demo, snap_compare):
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    assert snap_compare(app, press=["f3"], terminal_size=SIZE)


def test_profile_modal(demo, snap_compare):
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    assert snap_compare(app, press=["f3", "p"], terminal_size=SIZE)


def test_due_view_and_send_dialog(demo, snap_compare):
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    assert snap_compare(app, press=["f4", "f5"], terminal_size=SIZE)


def test_day_list_after_replies(demo, snap_compare, monkeypatch):
    # The demo gateway picks each reply from the message reference, so fixed
    # references give the same replies on every run.
    counter = iter(range(1, 10_000))
    monkeypatch.setattr(outbox, "new_reference", lambda: f"ref-{next(counter):05d}")
    routine = demo.routine
    routine.send(routine.plan_send(routine.rows_for_day(TOMORROW)))
    routine.fetch_replies()
    app = SmsConfirmApp(routine, start_day=TOMORROW)
    assert snap_compare(app, terminal_size=SIZE)


def test_call_list(demo, snap_compare, monkeypatch):
    counter = iter(range(1, 10_000))
    monkeypatch.setattr(outbox, "new_reference", lambda: f"ref-{next(counter):05d}")
    routine = demo.routine
    routine.send(routine.plan_send(routine.rows_for_day(TOMORROW)))
    routine.fetch_replies()
    app = SmsConfirmApp(routine, start_day=TOMORROW)
    assert snap_compare(app, press=["f7", "a"], terminal_size=SIZE)
