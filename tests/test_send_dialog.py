"""Pilot tests of the send dialog: cost, warnings, sending hours and the override."""

from __future__ import annotations

from dataclasses import replace

from smsconfirm_tui.config import GatewayConfig
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.tui.app import SmsConfirmApp
from smsconfirm_tui.tui.screens.day import DayScreen
from smsconfirm_tui.tui.screens.send import SendDialog

from conftest import NOW

SIZE = (80, 24)


def routine_at(demo, moment, **gateway) -> Routine:
    base = demo.routine
    config = replace(base.config, gateway=replace(base.config.gateway, **gateway))
    return Routine(config, base.mirror_path, base.gateway_factory, clock=lambda: moment)


def rendered(dialog: SendDialog, widget_id: str) -> str:
    return str(dialog.query_one(widget_id).render())


async def open_dialog(app, pilot) -> SendDialog:
    await pilot.pause()
    await pilot.press("f4")
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(app.screen, SendDialog)
    return app.screen


async def test_dialog_shows_segments_and_cost(demo):
    routine = routine_at(demo, NOW, price_per_segment=0.10, max_segments=1)
    app = SmsConfirmApp(routine)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        plan = dialog.plan
        cost = f"{plan.segments} SMS-Teile, geschätzte Kosten CHF {plan.cost:.2f}"
        assert cost in rendered(dialog, "#send-cost")
        assert "länger als 1 SMS-Teile" in rendered(dialog, "#send-long")
        assert not dialog.query("#send-outside-hours")
        await pilot.press("n")
    routine.close()


async def test_dialog_warns_without_replies(demo):
    routine = routine_at(demo, NOW)
    routine.config = replace(routine.config, gateway=GatewayConfig(kind="aspsms"))
    demo_factory = routine.gateway_factory

    def without_replies():
        gateway = demo_factory()
        gateway.supports_replies = False  # like ASPSMS, which has no inbound messages
        return gateway

    routine.gateway_factory = without_replies
    app = SmsConfirmApp(routine)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        assert "keine Antworten" in rendered(dialog, "#send-no-replies")
        await pilot.press("n")
    routine.close()


async def test_outside_hours_needs_override(demo):
    evening = NOW.replace(hour=21)
    routine = routine_at(demo, evening)
    app = SmsConfirmApp(routine)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        count = dialog.plan.count
        assert "Ausserhalb der Versandzeiten" in rendered(dialog, "#send-outside-hours")
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, SendDialog)
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        sent = routine.mirror.connection.execute(
            "SELECT COUNT(*) FROM messages WHERE state = 'sent'").fetchone()[0]
        actions = [entry["action"] for entry in routine.mirror.audit_entries()]
    routine.close()
    assert sent == count
    assert "send_outside_hours" in actions
