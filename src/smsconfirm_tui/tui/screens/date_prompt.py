"""A small modal that reads a typed date."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from smsconfirm_tui.domain.dates import parse_typed_date
from smsconfirm_tui.i18n import _


class DatePrompt(ModalScreen[date | None]):
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="cancel")]

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Go to date"), classes="dialog-title")
            yield Static(_("Type e.g. 5.3. or 05.03.2027, then Enter."))
            yield Input(placeholder=_("day.month."), id="date-input")
            yield Static(id="date-error", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            day = parse_typed_date(event.value, self.today)
        except ValueError:
            typed = event.value if len(event.value) <= 20 else event.value[:20] + "…"
            message = _("{text} is not a date: type day.month. or day.month.year").format(text=repr(typed))
            self.query_one("#date-error", Static).update(Text(message))
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)
