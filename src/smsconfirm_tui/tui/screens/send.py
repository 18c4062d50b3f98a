"""The last dialog before a send: how many SMS go out now, their cost and their text."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from smsconfirm_tui.domain.text import visible, visible_multiline
from smsconfirm_tui.i18n import _, ngettext
from smsconfirm_tui.routine import SendPlan


class SendDialog(ModalScreen[bool]):
    """Ask before a send. Outside a salon's sending hours only the override key sends.

    After a "yes", ``chosen_plan`` is the plan to send, with the override set
    when staff used it.
    """

    BINDINGS = [
        Binding("escape,n,N", "cancel", _("No"), id="cancel"),
        Binding("j,J,y,Y", "confirm", _("Yes"), id="confirm"),
        Binding("o,O", "override", _("Send anyway"), id="override", show=False),
    ]

    def __init__(self, plan: SendPlan, last_sync: str | None, *, stale: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.chosen_plan = plan
        self.last_sync = last_sync
        self.stale = stale  # the last sync is older than the configured age, or missing

    def compose(self) -> ComposeResult:
        plan = self.plan
        question = ngettext("Send {n} SMS now?", "Send {n} SMS now?", plan.count).format(n=plan.count)
        cost = _("{segments} SMS segments, estimated cost CHF {cost}").format(
            segments=plan.segments, cost=f"{plan.cost:.2f}")
        with Vertical(classes="dialog", id="send-dialog"):
            yield Label(question, classes="dialog-title", id="send-question")
            yield Static(Text(cost), id="send-cost")
            if plan.stop_acks:
                acks = ngettext(
                    "including {n} acknowledgement of a STOP reply",
                    "including {n} acknowledgements of STOP replies",
                    plan.stop_acks,
                ).format(n=plan.stop_acks)
                yield Static(Text(acks), id="send-stop-acks")
            if plan.long_messages:
                warning = ngettext(
                    "{n} message is longer than {max} segments.",
                    "{n} messages are longer than {max} segments.",
                    plan.long_messages,
                ).format(n=plan.long_messages, max=plan.max_segments)
                yield Static(Text(warning, style="bold yellow"), id="send-long")
            if not plan.supports_replies:
                yield Static(Text(_("This SMS gateway returns no replies: answers from clients will not "
                                    "appear here."), style="bold yellow"), id="send-no-replies")
            if plan.outside_hours:
                hours = _("Outside the sending hours of {salons}. Press O to send anyway; "
                          "the audit log records it.").format(salons=", ".join(visible(name) for name in plan.outside_hours))
                yield Static(Text(hours, style="bold red"), id="send-outside-hours")
            if self.stale:
                yield Static(Text(self._stale_warning(), style="bold"), classes="warning", id="send-stale")
            yield Static(_("Preview of the first message:"))
            yield Static(Text(visible_multiline(plan.preview)), id="send-preview", classes="preview")
            with Horizontal(classes="buttons"):
                if plan.outside_hours:
                    yield Button(_("Send anyway (O)"), variant="error", id="override")
                else:
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
        if event.button.id == "override":
            self.action_override()
        elif event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        if self.plan.outside_hours:
            self.notify(_("Outside the sending hours: press O to send anyway."), severity="warning",
                        markup=False)
            return
        self.dismiss(True)

    def action_override(self) -> None:
        if not self.plan.outside_hours:
            return
        self.chosen_plan = replace(self.plan, override_hours=True)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
