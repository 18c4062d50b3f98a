"""The call list: declined visits to phone and rebook, with "called" and "rebooked" marks."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.i18n import N_, _, ngettext
from smsconfirm_tui.routine import CallRow, Routine
from smsconfirm_tui.store.attention import CallMark
from smsconfirm_tui.tui.presenters import format_stamp, visible_text, weekday

# (column id, label msgid, width); the widths fit 80 columns with cell padding.
COLUMNS = (
    ("client", N_("Client"), 20),
    ("mobile", N_("Mobile"), 16),
    ("visit", N_("Appointment"), 15),
    ("called", N_("Called"), 9),
    ("rebooked", N_("Rebooked"), 9),
)


class CallListScreen(Screen[bool]):
    """Declined visits from today on; returns True when a mark changed."""

    BINDINGS = [
        Binding("escape,f7,q", "close", _("Back"), id="close"),
        Binding("a", "toggle('called')", _("Called"), id="mark_called"),
        Binding("u", "toggle('rebooked')", _("Rebooked"), id="mark_rebooked"),
    ]

    def __init__(self, routine: Routine) -> None:
        super().__init__()
        self.routine = routine
        self.calls: dict[str, CallRow] = {}
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(id="call-title")
        yield DataTable(id="calls", cursor_type="row")
        yield Static(id="call-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#calls", DataTable)
        for column_id, label, width in COLUMNS:
            table.add_column(Text(_(label)), width=width, key=column_id)
        self.load()
        table.focus()

    def load(self) -> None:
        table = self.query_one("#calls", DataTable)
        current = self.current_key()
        calls = self.routine.call_list()
        self.calls = {call.row.key: call for call in calls}
        table.clear()
        for call in calls:
            table.add_row(*self._cells(call), key=call.row.key)
        if current in self.calls:
            table.move_cursor(row=table.get_row_index(current))
        open_calls = sum(1 for call in calls if call.called is None and call.rebooked is None)
        title = ngettext("Call list: {n} declined visit", "Call list: {n} declined visits", len(calls)).format(
            n=len(calls))
        title += " · " + _("{n} not called yet").format(n=open_calls)
        self.query_one("#call-title", Static).update(Text(title, style="bold"))
        self._show_detail()

    @staticmethod
    def _cells(call: CallRow) -> list[Text]:
        row = call.row
        number = row.client.phone_display or row.client.typed_phone or ""
        when = row.visit.starts_at
        return [
            Text(visible_text(row.client.name, one_line=True), no_wrap=True, overflow="ellipsis"),
            Text(visible_text(number, one_line=True), no_wrap=True, overflow="ellipsis"),
            Text(f"{weekday(when.date())} {when:%d.%m. %H:%M}"),
            _mark_text(call.called),
            _mark_text(call.rebooked),
        ]

    def current_key(self) -> str | None:
        table = self.query_one("#calls", DataTable)
        if table.row_count == 0:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def _show_detail(self) -> None:
        key = self.current_key()
        detail = Text()
        call = self.calls.get(key) if key else None
        if call is None:
            detail.append(_("No declined visits from today on."), style="dim")
        else:
            if call.row.reply is not None:
                detail.append(_("Reply: "), style="bold")
                detail.append(visible_text(call.row.reply.text, one_line=True))
            for mark, label in ((call.called, _("Called")), (call.rebooked, _("Rebooked"))):
                if mark is not None:
                    detail.append(f"  {label}: ", style="bold")
                    detail.append(f"{format_stamp(mark.at)}, {mark.actor}")
        self.query_one("#call-detail", Static).update(detail)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_detail()

    def action_toggle(self, mark: str) -> None:
        key = self.current_key()
        call = self.calls.get(key) if key else None
        if call is None:
            return
        current = call.called if mark == "called" else call.rebooked
        if self.routine.set_call_mark(call.row, mark, current is None):
            self.changed = True
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)


def _mark_text(mark: CallMark | None) -> Text:
    if mark is None:
        return Text("–", style="dim")
    marked_at = datetime.fromisoformat(mark.at)
    if marked_at.tzinfo is not None:
        marked_at = marked_at.astimezone(ZURICH)
    return Text(f"✔ {marked_at:%d.%m.}", style="bold green")
