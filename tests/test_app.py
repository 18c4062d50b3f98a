"""Pilot tests: the whole routine with the keyboard alone, at 80x24, in German."""

from __future__ import annotations

import io

from datetime import date

import httpx
from rich.console import Console
from textual.widgets import Switch

from smsconfirm_tui.domain.text import visible_multiline
from smsconfirm_tui.domain.status import AUDIT_STATUSES, VisitStatus
from smsconfirm_tui.tui.app import SmsConfirmApp
from smsconfirm_tui.tui.presenters import visible_text
from smsconfirm_tui.tui.screens.day import DayScreen, View
from smsconfirm_tui.tui.screens.profile import ProfileModal
from smsconfirm_tui.tui.screens.reply import ReplyModal
from smsconfirm_tui.tui.screens.send import SendDialog
from smsconfirm_tui.tui.widgets.day_list import DayList

SIZE = (80, 24)


def gateway_stats(session) -> dict:
    response = httpx.get(
        f"{session.server.url}/v1/_stats",
        headers={"Authorization": f"Bearer {session.routine.config.gateway.token}"},
    )
    return response.json()


async def wait_idle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def move_cursor_to(day_list: DayList, key: str) -> None:
    day_list.move_cursor(row=day_list.get_row_index(key))


async def test_routine_end_to_end(demo):
    app = SmsConfirmApp(demo.routine)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, DayScreen)

        # Pick tomorrow.
        await pilot.press("m")
        assert screen.day == date(2026, 12, 5)
        day_list = screen.query_one(DayList)
        assert day_list.row_count > 0

        # Audit: only visits that need setup or have an invalid number.
        await pilot.press("f3")
        audited = list(day_list.rows_by_key.values())
        assert audited
        assert {row.status for row in audited} <= AUDIT_STATUSES

        # Fix one profile from the list.
        target = next(row for row in audited if row.status is VisitStatus.NEEDS_SETUP)
        move_cursor_to(day_list, target.key)
        await pilot.press("p")
        assert isinstance(app.screen, ProfileModal)
        assert app.screen.query_one(Switch).value is False
        await pilot.press("space")  # the switch has focus
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        assert target.key not in day_list.rows_by_key  # no longer needs setup
        entries = demo.routine.mirror.audit_entries(target.client.id)
        assert [(entry["field"], entry["new_value"]) for entry in entries] == [("sms_on", "True")]

        # Back to the full day: the fixed client is now red and ticked.
        await pilot.press("f3")
        assert day_list.rows_by_key[target.key].status is VisitStatus.TO_SEND
        assert target.key in day_list.ticked

        # Confirm in advance: everything due today by each client's lead time.
        await pilot.press("f4")
        assert screen.view is View.DUE
        due_rows = list(day_list.rows_by_key.values())
        assert due_rows
        to_send = {row.key for row in due_rows if row.status is VisitStatus.TO_SEND}
        assert day_list.ticked == to_send

        # Send: the dialog names the count, then the worker runs.
        await pilot.press("f5")
        dialog = app.screen
        assert isinstance(dialog, SendDialog)
        assert dialog.plan.count == len(to_send)
        assert f"{len(to_send)} SMS jetzt versenden?" in str(dialog.query_one("#send-question").render())
        await pilot.press("j")
        await wait_idle(app, pilot)
        assert gateway_stats(demo)["accepted"] == len(to_send)
        for key in to_send:
            assert day_list.rows_by_key[key].status is VisitStatus.SENT

        # Send again: nothing is ticked, nothing more goes out.
        await pilot.press("f5")
        await wait_idle(app, pilot)
        assert not isinstance(app.screen, SendDialog)
        assert gateway_stats(demo)["accepted"] == len(to_send)

        # The next working day: only what was not sent yet is sent.
        await pilot.press("n")
        fresh = {row.key for row in day_list.rows_by_key.values() if row.status is VisitStatus.TO_SEND}
        assert not fresh & to_send
        await pilot.press("f5")
        await pilot.press("j")
        await wait_idle(app, pilot)
        stats = gateway_stats(demo)
        assert stats["accepted"] == len(to_send) + len(fresh)
        assert set(stats["by_reference"].values()) == {1}


async def test_unclear_reply_is_shown_and_resolved(demo):
    routine = demo.routine
    tomorrow = date(2026, 12, 5)
    routine.send(routine.plan_send(routine.rows_for_day(tomorrow)))
    routine.fetch_replies()
    app = SmsConfirmApp(routine, start_day=tomorrow)
    async with app.run_test(size=SIZE) as pilot:
        day_list = app.screen.query_one(DayList)
        unclear = next(row for row in day_list.rows_by_key.values() if row.status is VisitStatus.UNCLEAR)
        move_cursor_to(day_list, unclear.key)
        await pilot.press("enter")
        modal = app.screen
        assert isinstance(modal, ReplyModal)
        body = modal.query_one("#reply-body")
        assert str(body.render()) == visible_text(unclear.reply.text)
        assert "\x1b" not in str(body.render())
        await pilot.press("j")
        await pilot.pause()
        assert day_list.rows_by_key[unclear.key].status is VisitStatus.CONFIRMED
        entries = [entry for entry in routine.mirror.audit_entries() if entry["action"] == "reply_resolved"]
        assert entries[-1]["new_value"] == "yes"


async def test_typed_date_and_arrows(demo):
    app = SmsConfirmApp(demo.routine)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("f2")
        await pilot.press(*"7.12.", "enter")
        assert screen.day == date(2026, 12, 7)
        await pilot.press("left")
        assert screen.day == date(2026, 12, 6)
        await pilot.press("h")
        assert screen.day == date(2026, 12, 4)
        await pilot.press("f2")
        await pilot.press(*"31.2.", "enter")
        assert app.screen is not screen  # the prompt stays open with an error
        await pilot.press("escape")
        assert app.screen is screen
        assert screen.day == date(2026, 12, 4)


async def test_hostile_names_render_literally(demo):
    app = SmsConfirmApp(demo.routine)
    async with app.run_test(size=(160, 60)) as pilot:
        screen = app.screen
        for offset in range(-7, 15):
            screen.go_to(date(2026, 12, 4).fromordinal(date(2026, 12, 4).toordinal() + offset))
            await pilot.pause()
        # Reaching here means no markup in a name crashed the table or ran an action.
        assert app.is_running


async def test_crash_report_hides_client_data(demo, monkeypatch, caplog):
    app = SmsConfirmApp(demo.routine)
    printed = []
    monkeypatch.setattr(app, "_print_error_renderables", lambda: printed.extend(app._exit_renderables))

    def broken(day):
        secret = "079 412 33 18"  # a local variable Textual would print
        raise RuntimeError(f"broken {len(secret)}")

    with caplog.at_level("ERROR"):
        try:
            async with app.run_test(size=SIZE) as pilot:
                monkeypatch.setattr(demo.routine, "rows_for_day", broken)
                await pilot.press("m")
                await pilot.pause()
        except RuntimeError:
            pass
    assert "unexpected error" in caplog.text
    assert "RuntimeError: broken 13" in caplog.text
    console = Console(file=io.StringIO(), width=200)
    for renderable in printed:
        console.print(renderable)
    shown = console.file.getvalue()
    assert "079 412 33 18" not in shown
    assert "Protokoll" in shown


async def test_no_escape_reaches_any_screen(demo):
    """Every screen shows hostile names and replies with their control characters made visible."""
    routine = demo.routine
    tomorrow = date(2026, 12, 5)
    routine.send(routine.plan_send(routine.rows_for_day(tomorrow)))
    routine.fetch_replies()
    with routine.mirror.transaction() as connection:
        connection.execute(
            "UPDATE clients SET first_name = ?, last_name = ? WHERE id = (SELECT client_id FROM messages LIMIT 1)",
            ("Eve\x1b]0;TITLE\x07", "\x1b[2J\u202eBöse"),
        )
    app = SmsConfirmApp(routine, start_day=tomorrow)
    async with app.run_test(size=(160, 50)) as pilot:
        screens = [(), ("f3",), ("f3", "p", "escape", "f3"), ("f4",), ("f7",), ("escape", "f8"), ("escape", "f1")]
        for keys in screens:
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            shown = app.export_screenshot()
            assert "\x1b" not in shown, keys
            assert "\u202e" not in shown, keys
