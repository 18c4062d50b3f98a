"""The Textual app: a thin shell around the day screen."""

from __future__ import annotations

from datetime import date

from textual.app import App

from smsconfirm_tui.routine import Routine
from smsconfirm_tui.tui.screens.day import DayScreen


class SmsConfirmApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "smsconfirm"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, routine: Routine, *, start_day: date | None = None) -> None:
        super().__init__()
        self.routine = routine
        self.start_day = start_day

    def on_mount(self) -> None:
        self.push_screen(DayScreen(self.routine, self.start_day))

    def on_unmount(self) -> None:
        self.routine.close()
