"""Pilot tests for replies in the app: fetching, unclear rows, the call list and unassigned replies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import httpx
from textual.widgets import DataTable, Input, OptionList, Static

from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.sending.replies import ReplyError
from smsconfirm_tui.tui.app import SmsConfirmApp
from smsconfirm_tui.tui.screens.call_list import CallListScreen
from smsconfirm_tui.tui.screens.day import DayScreen
from smsconfirm_tui.tui.screens.reply import ReplyModal
from smsconfirm_tui.tui.screens.unassigned import AttachModal, UnassignedScreen
from smsconfirm_tui.tui.widgets.day_list import DayList

SIZE = (80, 24)
TOMORROW = date(2026, 12, 5)
STRANGER = "+41799990099"
HOSTILE = "\x1b[2J[bold red]JA[/] [@click=app.quit]x[/]\u202eok\nZeile 2"


def gateway_request(session, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(
        method,
        f"{session.server.url}{path}",
        headers={"Authorization": f"Bearer {session.routine.config.gateway.token}"},
        **kwargs,
    )


def client_reply(session, number: str, text: str) -> None:
    response = gateway_request(session, "POST", "/v1/_inbound", json={"from": number, "text": text})
    assert response.status_code == 201, response.text


def accepted_count(session) -> int:
    return gateway_request(session, "GET", "/v1/_stats").json()["accepted"]


def send_tomorrow(session):
    """Send every confirmation for tomorrow without fetching the scripted replies."""
    routine = session.routine
    plan = routine.plan_send(routine.rows_for_day(TOMORROW))
    routine.send(plan)
    return plan


async def wait_idle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def move_cursor_to(table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))


def rendered(widget: Static) -> str:
    return str(widget.render())


async def test_unclear_reply_to_resolved_visit(demo):
    plan = send_tomorrow(demo)
    target = plan.rows[0]
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        day_list = app.screen.query_one(DayList)
        await pilot.press("f6")
        await wait_idle(app, pilot)
        # The scripted reply to the target may be anything: the client writes again.
        client_reply(demo, target.client.phone_e164, "Kann ich eine Stunde später kommen?")
        await pilot.press("f6")
        await wait_idle(app, pilot)

        row = day_list.rows_by_key[target.key]
        assert row.status is VisitStatus.UNCLEAR
        status_cell = day_list.get_cell(target.key, "status")
        assert status_cell.plain.startswith("? Kann ich eine")
        move_cursor_to(day_list, target.key)
        await pilot.pause()
        assert "Kann ich eine Stunde später kommen?" in rendered(app.screen.query_one("#detail", Static))

        await pilot.press("enter")
        assert isinstance(app.screen, ReplyModal)
        await pilot.press("t")
        await pilot.press(*"Ruft zurück", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        assert day_list.rows_by_key[target.key].reply.note == "Ruft zurück"
        assert day_list.rows_by_key[target.key].status is VisitStatus.UNCLEAR

        await pilot.press("enter")
        assert app.screen.query_one("#note", Input).value == "Ruft zurück"
        await pilot.press("j")
        await pilot.pause()
        assert day_list.rows_by_key[target.key].status is VisitStatus.CONFIRMED

    actions = [(entry["action"], entry["field"], entry["new_value"]) for entry in demo.routine.mirror.audit_entries()
               if entry["visit_key"] == target.key]
    assert ("reply_resolved", "note", "note") in actions
    assert ("reply_resolved", "resolution", "yes") in actions


async def test_hostile_reply_shown_visibly(demo):
    plan = send_tomorrow(demo)
    target = plan.rows[0]
    demo.routine.fetch_replies()
    client_reply(demo, target.client.phone_e164, HOSTILE)
    demo.routine.fetch_replies()
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        day_list = app.screen.query_one(DayList)
        move_cursor_to(day_list, target.key)
        await pilot.pause()
        detail = rendered(app.screen.query_one("#detail", Static))
        assert "␛[2J[bold red]JA[/] [@click=app.quit]x[/]<U+202E>ok ⏎ Zeile 2" in detail
        assert "\x1b" not in detail
        await pilot.press("enter")
        body = rendered(app.screen.query_one("#reply-body", Static))
        assert body == "␛[2J[bold red]JA[/] [@click=app.quit]x[/]<U+202E>ok\nZeile 2"
        await pilot.click("#reply-body")
        await pilot.press("escape")
        assert app.is_running
        assert isinstance(app.screen, DayScreen)


async def test_timer_fetches_replies(demo):
    demo.routine.config = replace(demo.routine.config, reply_poll_seconds=0.2)
    plan = send_tomorrow(demo)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        day_list = app.screen.query_one(DayList)
        assert all(day_list.rows_by_key[row.key].status is VisitStatus.SENT for row in plan.rows)
        for _ in range(50):
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if any(row.status is VisitStatus.CONFIRMED for row in day_list.rows_by_key.values()):
                break
        assert any(row.status is VisitStatus.CONFIRMED for row in day_list.rows_by_key.values())


async def test_call_list_marks(demo):
    send_tomorrow(demo)
    demo.routine.fetch_replies()
    declined = [row for row in demo.routine.rows_for_day(TOMORROW) if row.status is VisitStatus.DECLINED]
    assert declined
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        attention = rendered(app.screen.query_one("#attention", Static))
        assert f"{len(declined)} anrufen" in attention

        await pilot.press("f7")
        screen = app.screen
        assert isinstance(screen, CallListScreen)
        assert set(screen.calls) == {row.key for row in declined}
        table = screen.query_one("#calls", DataTable)
        move_cursor_to(table, declined[0].key)
        await pilot.press("a")
        await pilot.press("u")
        call = screen.calls[declined[0].key]
        assert call.called is not None
        assert call.rebooked is not None
        assert table.get_cell(declined[0].key, "called").plain.startswith("✔")
        await pilot.press("u")
        assert screen.calls[declined[0].key].rebooked is None

        await pilot.press("escape")
        assert isinstance(app.screen, DayScreen)
        attention = rendered(app.screen.query_one("#attention", Static))
        assert f"{len(declined) - 1} anrufen" in attention

    entries = [(entry["field"], entry["new_value"]) for entry in demo.routine.mirror.audit_entries()
               if entry["action"] == "call_mark"]
    assert entries == [("called", "True"), ("rebooked", "True"), ("rebooked", "False")]


async def test_unassigned_attach_and_dismiss(demo):
    plan = send_tomorrow(demo)
    demo.routine.fetch_replies()
    client_reply(demo, STRANGER, "Ja, hier Anna vom Geschäftshandy")
    client_reply(demo, STRANGER, "Falsch verbunden")
    target = next(row for row in demo.routine.rows_for_day(TOMORROW)
                  if row.key in {planned.key for planned in plan.rows} and row.status is VisitStatus.SENT)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await wait_idle(app, pilot)
        assert "2 nicht zugeordnet" in rendered(app.screen.query_one("#attention", Static))

        await pilot.press("f8")
        screen = app.screen
        assert isinstance(screen, UnassignedScreen)
        table = screen.query_one("#unassigned-list", DataTable)
        assert table.row_count == 2
        assert table.get_row_at(0)[3].plain == "unbekannte Nummer"

        await pilot.press("z")
        modal = app.screen
        assert isinstance(modal, AttachModal)
        options = modal.query_one(OptionList)
        options.highlighted = [row.key for row in modal.candidates].index(target.key)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert table.row_count == 1

        await pilot.press("x")
        assert table.row_count == 0
        await pilot.press("escape")
        assert isinstance(app.screen, DayScreen)
        day_list = app.screen.query_one(DayList)
        assert day_list.rows_by_key[target.key].status is VisitStatus.CONFIRMED
        assert "nicht zugeordnet" not in rendered(app.screen.query_one("#attention", Static)).replace("0 nicht", "")

    actions = [entry["action"] for entry in demo.routine.mirror.audit_entries()]
    assert actions.count("reply_attached") == 1
    assert actions.count("reply_dismissed") == 1


async def test_stop_sends_one_acknowledgement(demo):
    plan = send_tomorrow(demo)
    target = plan.rows[0]
    demo.routine.fetch_replies()
    before = accepted_count(demo)
    client_reply(demo, target.client.phone_e164, "STOP")
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await wait_idle(app, pilot)
        await pilot.press("f6")
        await wait_idle(app, pilot)
        assert accepted_count(demo) == before  # fetching never sends
        day_list = app.screen.query_one(DayList)
        assert day_list.rows_by_key[target.key].status is VisitStatus.OPTED_OUT
        await pilot.press("f5")
        assert "1 SMS jetzt versenden?" in rendered(app.screen.query_one("#send-question"))
        await pilot.press("j")
        await wait_idle(app, pilot)
        move_cursor_to(day_list, target.key)
        await pilot.press("p")
        assert "Die Kundin / der Kunde hat SMS abbestellt." in rendered(app.screen.query_one("#profile-number"))

    assert accepted_count(demo) == before + 1
    client = demo.routine.client(target.client.id)
    assert client.opted_out
    acks = [row for row in demo.routine.mirror.connection.execute(
        "SELECT state, to_e164, text FROM messages WHERE kind = 'stop_ack'")]
    assert len(acks) == 1
    assert acks[0]["state"] == "sent"
    assert acks[0]["to_e164"] == target.client.phone_e164


async def test_unassigned_error_visible(demo, monkeypatch):
    send_tomorrow(demo)
    demo.routine.fetch_replies()
    client_reply(demo, STRANGER, "Ja")

    def attach_fails(reply_id: int, visit_key: str) -> None:
        # A client id from the salon database is part of the visit key that the error quotes.
        raise ReplyError("visit S1/K\x1b[2J\x1b]2;PWNED\x07/2026-12-05 has no confirmation SMS")

    monkeypatch.setattr(demo.routine, "attach_reply", attach_fails)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await wait_idle(app, pilot)
        await pilot.press("f8")
        await pilot.press("z")
        assert isinstance(app.screen, AttachModal)
        await pilot.press("enter")
        await pilot.pause()
        errors = [note.message for note in app._notifications if note.message.startswith("visit ")]
        assert errors == ["visit S1/K␛[2J␛]2;PWNED␇/2026-12-05 has no confirmation SMS"]
