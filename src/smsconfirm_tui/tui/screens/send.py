"""The last dialog before a send: how many SMS go out now, and what they say."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from smsconfirm_tui.i18n import _, ngettext
from smsconfirm_tui.routine import SendPlan


class SendDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "cancel", _("No"), id="cancel"),
        Binding("j,y", "confirm", _("Yes"), id="confirm"),
    ]

    def __init__(self, plan: SendPlan, last_sync: str | None, *, stale: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.last_sync = last_sync
        self.stale = stale  # the last sync is older than the configured age, or missing

    def compose(self) -> ComposeResult:
        question = ngettext("Send {n} SMS now?", "Send {n} SMS now?", self.plan.count).format(n=self.plan.count)
        with Vertical(classes="dialog", id="send-dialog"):
            yield Label(question, classes="dialog-title", id="send-question")
            if self.stale:
                yield Static(Text(self._stale_warning(), style="bold"), classes="warning", id="send-stale")
            yield Static(_("Preview of the first message:"))
            yield Static(Text(self.plan.preview), id="send-preview", classes="preview")
            with Horizontal(classes="buttons"):
                yield Button(_("Yes, send (J)"), variant="error", id="confirm")
                yield Button(_("No (N)"), id="cancel")

    def _stale_warning(self) -> str:
        if not self.last_sync:
            return _("Warning: the appointments were never synced. Sync first (F9).")
        when = datetime.fromisoformat(self.last_sync)
        return _("Warning: the appointments were last synced on {when}. Sync first (F9).").format(
            when=f"{when:%d.%m.%Y %H:%M}"
        )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
