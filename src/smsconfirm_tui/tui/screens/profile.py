"""The client profile modal: SMS confirmation on or off, lead time, language."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from smsconfirm_tui.domain.text import visible
from smsconfirm_tui.i18n import _
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.store.mirror import ClientRow
from smsconfirm_tui.store.profiles import MAX_LEAD_DAYS, ProfileError

LANGUAGE_NAMES = (("de", "Deutsch"), ("fr", "Français"), ("it", "Italiano"), ("en", "English"))


class ProfileModal(ModalScreen[bool]):
    """Edit a client's confirmation profile; returns True when something was saved."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
        Binding("ctrl+s", "save", _("Save"), id="save"),
    ]

    def __init__(self, routine: Routine, client: ClientRow) -> None:
        super().__init__()
        self.routine = routine
        self.client = client

    def compose(self) -> ComposeResult:
        client = self.client
        lead = client.lead_days if client.lead_days is not None else self.routine.config.default_lead_days
        with Vertical(classes="dialog", id="profile"):
            yield Label(_("Client profile"), classes="dialog-title")
            # One line, so that a very long name cannot push the fields out of the dialog.
            yield Static(Text(visible(client.name), no_wrap=True, overflow="ellipsis"), id="profile-name")
            yield Static(self._number_text(), id="profile-number")
            with Horizontal(classes="field"):
                yield Label(_("Confirm by SMS"), classes="field-label")
                yield Switch(value=client.sms_on, id="sms-on")
                yield Label(self._switch_word(client.sms_on), id="sms-on-word", classes="switch-word")
            with Horizontal(classes="field"):
                yield Label(_("Days before the appointment"), classes="field-label")
                yield Input(str(lead), id="lead-days", type="integer", max_length=2)
            with Horizontal(classes="field"):
                yield Label(_("Language"), classes="field-label")
                yield Select(
                    [(name, code) for code, name in LANGUAGE_NAMES],
                    value=client.language if client.language in dict(LANGUAGE_NAMES) else "de",
                    allow_blank=False,
                    id="language",
                )
            yield Static(_("Space switches, Ctrl+S saves, Esc cancels."), classes="hint")
            yield Static(id="profile-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def _number_text(self) -> Text:
        client = self.client
        text = Text()
        text.append(_("Mobile: "), style="bold")
        if client.phone_display:
            text.append(visible(client.phone_display))
            if client.phone_note:
                text.append(f" ({visible(client.phone_note)})")
        else:
            typed = client.mobile_phone or client.home_phone or client.work_phone
            text.append(visible(typed) or _("none"))
            if client.phone_invalid:
                text.append("  " + _("invalid number: correct it in the salon system"), style="yellow")
            elif typed:
                text.append("  " + _("not a mobile number"), style="yellow")
        if client.opted_out:
            text.append("\n" + _("The client opted out of SMS."), style="bold red")
        return text

    @staticmethod
    def _switch_word(on: bool) -> Text:
        # The switch alone shows on and off only by colour and position.
        return Text(_("on"), style="bold green") if on else Text(_("off"), style="bold")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.query_one("#sms-on-word", Label).update(self._switch_word(event.value))

    def on_mount(self) -> None:
        self.query_one("#sms-on", Switch).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        error = self.query_one("#profile-error", Static)
        text = self.query_one("#lead-days", Input).value.strip()
        try:
            lead_days = int(text)
        except ValueError:
            error.update(Text(_("Days before the appointment: enter a number from 0 to {max}.").format(max=MAX_LEAD_DAYS)))
            return
        if not 0 <= lead_days <= MAX_LEAD_DAYS:
            error.update(Text(_("Days before the appointment: {value} is out of range, enter 0 to {max}.").format(
                value=lead_days, max=MAX_LEAD_DAYS)))
            return
        if self.client.lead_days is None and lead_days == self.routine.config.default_lead_days:
            lead_days = None  # still the salon's default: keep following it
        language = str(self.query_one("#language", Select).value)
        try:
            changes = self.routine.save_profile(
                self.client.id,
                sms_on=self.query_one("#sms-on", Switch).value,
                lead_days=lead_days,
                language=language,
            )
        except ProfileError as problem:
            error.update(Text(visible(str(problem))))
            return
        if changes:
            self.app.notify(_("Profile saved."), markup=False)
        self.dismiss(bool(changes))

    def action_cancel(self) -> None:
        self.dismiss(False)
