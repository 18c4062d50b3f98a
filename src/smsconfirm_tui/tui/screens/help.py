"""Help: the keys of the routine, read from the same bindings the screen uses."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.i18n import _
from smsconfirm_tui.tui.presenters import status_text

KEY_NAMES = {"question_mark": "?", "space": "Leertaste", "left": "←", "right": "→", "enter": "Enter"}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", _("Close"), id="close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        for binding in self.bindings:
            names = ", ".join(self._key_name(key) for key in binding.key.split(","))
            keys.add_row(Text(names, style="bold"), Text(binding.description))
        keys.add_row(Text("Enter", style="bold"), Text(_("Open the profile, or the reply of an answered row")))
        legend = Table.grid(padding=(0, 2))
        for status in VisitStatus:
            legend.add_row(status_text(status))
        with Vertical(classes="dialog", id="help"):
            yield Label(_("Keys"), classes="dialog-title")
            with VerticalScroll():
                yield Static(keys)
                yield Label(_("Status"), classes="dialog-title")
                yield Static(legend)

    @staticmethod
    def _key_name(key: str) -> str:
        if key == "space":
            return _("Space")
        return KEY_NAMES.get(key, key.upper() if key.startswith("f") and key[1:].isdigit() else key)

    def action_close(self) -> None:
        self.dismiss(None)
