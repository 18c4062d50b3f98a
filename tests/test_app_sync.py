"""Pilot tests for sync in the app: F9 runs it in a worker, the header and the send dialog show its age.

The last tests check that failures of a sync, a send or a reply fetch show
the untrusted error text with its control characters made visible.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

from textual.widgets._toast import Toast

from smsconfirm_tui.config import SourceConfig
from smsconfirm_tui.gateway.base import GatewayError
from smsconfirm_tui.logging_setup import configure_logging
from smsconfirm_tui.tui.app import SmsConfirmApp
from smsconfirm_tui.tui.screens.day import DayScreen
from smsconfirm_tui.tui.screens.send import SendDialog
from smsconfirm_tui.tui.widgets.day_list import DayList

SIZE = (80, 24)
TOMORROW = date(2026, 12, 5)


def add_visit(salon_db, appointment_id: str, starts_at: str) -> None:
    connection = sqlite3.connect(salon_db)
    # A client without a visit that day, so that the line makes a visit of its own.
    client_id = connection.execute(
        "SELECT id FROM clients WHERE id NOT IN (SELECT client_id FROM appointments WHERE starts_at LIKE ?) "
        "ORDER BY id LIMIT 1",
        (starts_at[:10] + "%",),
    ).fetchone()[0]
    connection.execute(
        "INSERT INTO appointments VALUES (?, ?, 'S1', ?, ?, 'Schneiden', 'Anna', 'booked', '2026-12-04 08:30:00')",
        (appointment_id, client_id, starts_at, starts_at[:11] + "23:30"),
    )
    connection.commit()
    connection.close()


def title_text(screen: DayScreen) -> str:
    return str(screen.query_one("#title").render())


async def test_f9_syncs_new_visit(demo):
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        day_list = screen.query_one(DayList)
        before = day_list.row_count
        assert "Abgleich heute 09:00" in title_text(screen)

        add_visit(demo.salon_db, "A999999", "2026-12-05 23:00")
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.syncing
        assert day_list.row_count == before + 1
        notes = [notification.message for notification in app._notifications]
        assert any(note.startswith("Abgleich fertig: 1 neu, 0 geändert") for note in notes)


async def test_f9_skipped_rows_name_log(demo, tmp_path):
    log_file = tmp_path / "logs" / "smsconfirm.log"
    configure_logging(log_file)
    try:
        add_visit(demo.salon_db, "A999998", "2026-12-05 25:00")  # an hour that does not exist
        app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f9")
            await app.workers.wait_for_complete()
            await pilot.pause()
            notes = [notification.message for notification in app._notifications]
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == str(log_file):
                root.removeHandler(handler)
                handler.close()

    done = [note for note in notes if note.startswith("Abgleich fertig")]
    assert len(done) == 1
    assert "1 übersprungen" in done[0]
    assert done[0].endswith(f"Die übersprungenen Zeilen und die Gründe stehen im Protokoll: {log_file}")


async def test_f9_failure_keeps_mirror(demo):
    demo.salon_db.write_bytes(b"not a database any more" * 50)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        before = screen.query_one(DayList).row_count
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.syncing
        assert screen.query_one(DayList).row_count == before
        notes = [notification.message for notification in app._notifications]
        assert any(
            note.startswith("Abgleich fehlgeschlagen, nichts wurde geändert: salon database") for note in notes
        )


async def test_send_dialog_warns_when_stale(demo, now):
    routine = demo.routine
    routine.clock = lambda: now + timedelta(hours=25)
    app = SmsConfirmApp(routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        assert "Abgleich 04.12.2026 09:00" in title_text(app.screen)
        await pilot.press("f5")
        dialog = app.screen
        assert isinstance(dialog, SendDialog)
        warning = str(dialog.query_one("#send-stale").render())
        assert warning == "Achtung: Die Termine wurden zuletzt am 04.12.2026 09:00 abgeglichen. Zuerst abgleichen (F9)."


async def test_send_dialog_quiet_when_fresh(demo):
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        dialog = app.screen
        assert isinstance(dialog, SendDialog)
        assert not dialog.query("#send-stale")


def write_csv_source(folder, headers: dict[str, str]) -> SourceConfig:
    files = {}
    for table, header in headers.items():
        path = folder / f"{table}.csv"
        path.write_text(header + "\n", encoding="utf-8")
        files[table] = path
    return SourceConfig(kind="csv", files=files, delimiter=",")


def toast_texts(app: SmsConfirmApp) -> list[str]:
    """Return the text each toast on screen renders (run_test needs notifications=True for toasts)."""
    return [str(toast.render()) for toast in app.screen.query(Toast)]


async def test_f9_failure_header_visible(demo, tmp_path):
    # An OSC sequence in a CSV header sets the terminal's title when it reaches the terminal raw.
    source = write_csv_source(tmp_path, {"salons": "id,\x1b]2;PWNED\x07", "clients": "id", "appointments": "id"})
    demo.routine.config = replace(demo.routine.config, source=source)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        failed = [note.message for note in app._notifications if note.message.startswith("Abgleich fehlgeschlagen")]
        assert len(failed) == 1
        assert "␛]2;PWNED␇" in failed[0]
        assert "\x1b" not in failed[0]
        toasts = [text for text in toast_texts(app) if text.startswith("Abgleich fehlgeschlagen")]
        assert len(toasts) == 1
        assert "␛]2;PWNED␇" in toasts[0]
        assert "\x1b" not in toasts[0]
        assert "\x07" not in toasts[0]


async def test_replies_failure_error_visible(demo, monkeypatch):
    def broken_gateway() -> None:
        raise GatewayError("gateway returned 502: \x1b[2J\u202eKO")

    monkeypatch.setattr(demo.routine, "fetch_replies", broken_gateway)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        failed = [text for text in toast_texts(app) if text.startswith("Antworten abholen fehlgeschlagen")]
        assert len(failed) == 1
        assert failed[0].endswith("gateway returned 502: ␛[2J<U+202E>KO")
        assert "\x1b" not in failed[0]


async def test_send_failure_error_visible(demo, monkeypatch):
    def broken_send(*args, **kwargs) -> None:
        raise GatewayError("gateway returned 500: \x1b]2;PWNED\x07")

    monkeypatch.setattr(demo.routine, "send", broken_send)
    app = SmsConfirmApp(demo.routine, start_day=TOMORROW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f5")
        assert isinstance(app.screen, SendDialog)
        await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        failed = [text for text in toast_texts(app) if text.startswith("Versand abgebrochen")]
        assert len(failed) == 1
        assert failed[0].endswith("gateway returned 500: ␛]2;PWNED␇")
        assert "\x1b" not in failed[0]
