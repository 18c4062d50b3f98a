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
from smsconfirm_tui.i18n import N_, _
from smsconfirm_tui.tui.presenters import status_text

KEY_NAMES = {"question_mark": "?", "left": "←", "right": "→", "enter": "Enter", "home": "Pos1", "end": "Ende"}

# The action staff take for each status, as in the daily routine.
STATUS_ACTIONS = {
    VisitStatus.TO_SEND: N_("tick and send"),
    VisitStatus.SENT: N_("nothing: wait for the reply"),
    VisitStatus.CONFIRMED: N_("nothing"),
    VisitStatus.DECLINED: N_("phone the client and rebook (call list F7)"),
    VisitStatus.UNCLEAR: N_("read the reply (Enter) and decide with J or N"),
    VisitStatus.FAILED: N_("read the reason under the list, check the number"),
    VisitStatus.NEEDS_SETUP: N_("open the profile (p) and switch SMS on"),
    VisitStatus.INVALID_NUMBER: N_("correct the number in the salon system"),
    VisitStatus.NO_MOBILE: N_("confirm by phone"),
    VisitStatus.OPTED_OUT: N_("no SMS: confirm by phone"),
    VisitStatus.CANCELLED: N_("nothing"),
}

# Keys of the dialogs, which have no footer of their own worth reading.
DIALOG_KEYS = (
    ("Ctrl+S", N_("save the profile")),
    ("Esc", N_("close a dialog without saving")),
    ("J / N", N_("in the send dialog: send or cancel; for an unclear reply: confirmed or declined")),
    ("O", N_("in the send dialog: send outside the sending hours (recorded in the audit log)")),
)


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
        keys.add_row(Text("Pos1, Ende", style="bold"), Text(_("First or last row")))
        for names, description in DIALOG_KEYS:
            keys.add_row(Text(names, style="bold"), Text(_(description)))
        legend = Table.grid(padding=(0, 2))
        for status in VisitStatus:
            legend.add_row(status_text(status), Text(_(STATUS_ACTIONS[status])))
        legend.add_row(status_text(VisitStatus.TO_SEND, moved=True), Text(_("the visit moved: send again")))
        legend.add_row(status_text(VisitStatus.TO_SEND, late=True), Text(_("the due day has passed: send now")))
        legend.add_row(status_text(VisitStatus.TO_SEND, too_late=True), Text(_("starts too soon for an SMS: confirm by phone")))
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
