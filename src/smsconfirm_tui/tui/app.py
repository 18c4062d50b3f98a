"""The Textual app: a thin shell around the day screen."""

from __future__ import annotations

import logging
from datetime import date

from rich.text import Text
from textual.app import App

from smsconfirm_tui.i18n import _
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.tui.screens.day import DayScreen

log = logging.getLogger(__name__)


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

    def _handle_exception(self, error: Exception) -> None:
        # The log keeps the traceback for technicians. Textual's own crash
        # report lists local variables, which hold client names and numbers.
        log.error("the app stopped after an unexpected error", exc_info=error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # NOTE: overrides a private Textual 8 method so that the crash report
        # on the terminal shows no local variables (client data).
        self.bell()
        message = Text(_("smsconfirm stopped after an unexpected error. Details are in the log file."))
        self._exit_renderables.append(message)
        self._close_messages_no_wait()
