"""Show a client's reply exactly as written, and let staff decide an unclear one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.domain.text import visible, visible_multiline
from smsconfirm_tui.i18n import _
from smsconfirm_tui.routine import DayRow, Routine
from smsconfirm_tui.tui.presenters import format_day, format_stamp, status_text, visible_text


class ReplyModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "close", _("Close"), id="close"),
        Binding("j,J", "resolve('yes')", _("Confirmed"), id="resolve_yes"),
        Binding("n,N", "resolve('no')", _("Declined"), id="resolve_no"),
        Binding("t", "edit_note", _("Note"), id="edit_note"),
    ]

    def __init__(self, routine: Routine, row: DayRow) -> None:
        super().__init__()
        self.routine = routine
        self.row = row

    def compose(self) -> ComposeResult:
        row = self.row
        reply = row.reply
        heading = Text()
        heading.append(visible(row.client.name))
        heading.append(f" · {format_day(row.visit.day)} {row.visit.starts_at:%H:%M}")
        with Vertical(classes="dialog", id="reply-dialog"):
            yield Label(_("Reply"), classes="dialog-title")
            yield Static(heading)
            yield Static(status_text(row.status))
            with VerticalScroll(id="reply-text"):
                yield Static(Text(visible_text(reply.text) if reply else ""), id="reply-body")
            if reply is not None:
                yield Static(Text(_("Received: {at}").format(at=format_stamp(reply.received_at)), style="dim"))
            if row.status is VisitStatus.UNCLEAR:
                with Horizontal(classes="buttons"):
                    yield Button(_("Confirmed (J)"), variant="success", id="yes")
                    yield Button(_("Declined (N)"), variant="error", id="no")
                    yield Button(_("Close"), id="close")
            else:
                with Horizontal(classes="buttons"):
                    yield Button(_("Close"), id="close")
            if reply is not None:
                yield Input(reply.note or "", placeholder=_("Note for the team (T), Enter saves"), id="note",
                            max_length=500)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("yes", "no"):
            self.action_resolve(event.button.id)
        else:
            self.action_close()

    def action_resolve(self, resolution: str) -> None:
        if self.row.reply is None or self.row.status is not VisitStatus.UNCLEAR:
            return
        self.routine.resolve_reply(self.row.reply.id, resolution)
        self.dismiss(True)

    def action_edit_note(self) -> None:
        self.query_one("#note", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.row.reply is None:
            return
        note = event.value.strip()
        if note == (self.row.reply.note or ""):
            self.dismiss(False)
            return
        self.routine.resolve_reply(self.row.reply.id, "note", note or None)
        self.app.notify(_("Note saved."), markup=False)
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
