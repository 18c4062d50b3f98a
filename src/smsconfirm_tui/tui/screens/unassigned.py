"""Replies that matched no visit: staff attach each to a visit or dismiss it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from smsconfirm_tui.domain.phone import format_display
from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.domain.text import visible
from smsconfirm_tui.i18n import N_, _, ngettext
from smsconfirm_tui.routine import DayRow, Routine
from smsconfirm_tui.sending.replies import ReplyError, UnmatchedReason
from smsconfirm_tui.store.mirror import ReplyRow
from smsconfirm_tui.tui.presenters import format_stamp, status_text, visible_text, weekday

REASON_WORDS = {
    UnmatchedReason.UNKNOWN_NUMBER: N_("unknown number"),
    UnmatchedReason.SHARED_NUMBER: N_("shared number"),
    UnmatchedReason.AFTER_VISIT: N_("after the visit"),
    UnmatchedReason.VISIT_CHANGED: N_("visit moved or cancelled"),
}

CLASS_WORDS = {"yes": N_("yes"), "no": N_("no"), "stop": N_("stop"), "unclear": N_("unclear")}

# (column id, label msgid, width); the widths fit 80 columns with cell padding.
COLUMNS = (
    ("received", N_("Received"), 15),
    ("from", N_("From"), 12),
    ("class", N_("Reads as"), 7),
    ("reason", N_("Why unassigned"), 14),
    ("text", N_("Reply"), 16),
)


def reason_word(reason: str | None) -> str:
    word = REASON_WORDS.get(UnmatchedReason(reason)) if reason in set(UnmatchedReason) else None
    return _(word) if word else (reason or "")


class UnassignedScreen(Screen[bool]):
    """The unassigned replies; returns True when one was attached or dismissed."""

    BINDINGS = [
        Binding("escape,f8,q", "close", _("Back"), id="close"),
        Binding("z", "attach", _("Attach to visit"), key_display="Z", id="attach"),
        Binding("x,delete", "dismiss_reply", _("Dismiss"), key_display="X", id="dismiss_reply"),
    ]

    def __init__(self, routine: Routine) -> None:
        super().__init__()
        self.routine = routine
        self.replies: dict[str, ReplyRow] = {}
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(id="unassigned-title")
        yield DataTable(id="unassigned-list", cursor_type="row")
        yield Static(id="unassigned-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#unassigned-list", DataTable)
        for column_id, label, width in COLUMNS:
            table.add_column(Text(_(label)), width=width, key=column_id)
        self.load()
        table.focus()

    def load(self) -> None:
        table = self.query_one("#unassigned-list", DataTable)
        current = self.current_key()
        replies = self.routine.unassigned_replies()
        self.replies = {str(reply.id): reply for reply in replies}
        table.clear()
        for reply in replies:
            table.add_row(
                Text(format_stamp(reply.received_at)),
                Text(visible(format_display(reply.from_e164)), no_wrap=True, overflow="ellipsis"),
                Text(_(CLASS_WORDS.get(reply.reply_class, reply.reply_class))),
                Text(reason_word(reply.unmatched_reason), no_wrap=True, overflow="ellipsis"),
                Text(visible_text(reply.text, one_line=True), no_wrap=True, overflow="ellipsis"),
                key=str(reply.id),
            )
        if current in self.replies:
            table.move_cursor(row=table.get_row_index(current))
        title = ngettext("{n} unassigned reply", "{n} unassigned replies", len(replies)).format(n=len(replies))
        self.query_one("#unassigned-title", Static).update(Text(title, style="bold"))
        self._show_detail()

    def current_key(self) -> str | None:
        table = self.query_one("#unassigned-list", DataTable)
        if table.row_count == 0:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @property
    def current_reply(self) -> ReplyRow | None:
        key = self.current_key()
        return self.replies.get(key) if key else None

    def _show_detail(self) -> None:
        reply = self.current_reply
        detail = Text()
        if reply is None:
            detail.append(_("No unassigned replies."), style="dim")
        else:
            detail.append(_("Reply: "), style="bold")
            detail.append(visible_text(reply.text, one_line=True))
        self.query_one("#unassigned-detail", Static).update(detail)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_attach()

    def action_attach(self) -> None:
        reply = self.current_reply
        if reply is None:
            return
        candidates = self.routine.attach_candidates(reply)
        if not candidates:
            self.notify(_("No visit from today on has a confirmation SMS to attach the reply to."),
                        severity="warning", markup=False)
            return

        def picked(visit_key: str | None) -> None:
            if visit_key is None:
                return
            try:
                self.routine.attach_reply(reply.id, visit_key)
            except ReplyError as error:
                self.notify(visible(str(error)), severity="error", markup=False)
            else:
                self.changed = True
                self.notify(_("Reply attached."), markup=False)
            self.load()

        self.app.push_screen(AttachModal(reply, candidates), picked)

    def action_dismiss_reply(self) -> None:
        reply = self.current_reply
        if reply is None:
            return
        try:
            self.routine.dismiss_reply(reply.id)
        except ReplyError as error:
            self.notify(visible(str(error)), severity="error", markup=False)
        else:
            self.changed = True
            self.notify(_("Reply dismissed."), markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)


class AttachModal(ModalScreen[str | None]):
    """Pick the visit a reply belongs to; returns its visit key, or None."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="cancel")]

    def __init__(self, reply: ReplyRow, candidates: list[DayRow]) -> None:
        super().__init__()
        self.reply = reply
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="attach-dialog"):
            yield Label(_("Attach the reply to a visit"), classes="dialog-title")
            yield Static(Text(visible_text(self.reply.text, one_line=True), no_wrap=True, overflow="ellipsis"))
            yield OptionList(*(self._option(row) for row in self.candidates), id="attach-options")

    def _option(self, row: DayRow) -> Option:
        when = row.visit.starts_at
        prompt = Text()
        if row.client.phone_e164 == self.reply.from_e164:
            prompt.append("☎ ", style="bold")
        prompt.append(f"{weekday(when.date())} {when:%d.%m. %H:%M}  ")
        prompt.append(visible(row.client.name))
        prompt.append(f"  {visible(row.client.phone_display or row.client.typed_phone or '')}", style="dim")
        if row.status is VisitStatus.CANCELLED:
            prompt.append("  ")
            prompt.append_text(status_text(row.status))
        return Option(prompt, id=row.key)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
