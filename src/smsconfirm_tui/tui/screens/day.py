"""The main screen: one day's visits, the audit filter, confirm in advance, send."""

from __future__ import annotations

import logging
from copy import copy
from datetime import date, timedelta
from enum import StrEnum

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from smsconfirm_tui.domain.status import AUDIT_STATUSES, VisitStatus
from smsconfirm_tui.gateway.base import GatewayError
from smsconfirm_tui.domain.text import visible
from smsconfirm_tui.i18n import N_, _, ngettext
from smsconfirm_tui.logging_setup import log_file_path
from smsconfirm_tui.routine import DayRow, Routine, SendPlan
from smsconfirm_tui.sending.sender import SendProgress
from smsconfirm_tui.domain.status import MessageState
from smsconfirm_tui.tui.messages import RepliesFetched, SendFinished, SendProgressed, SyncFinished, SyncProgressed
from smsconfirm_tui.tui.presenters import DELIVERY_WORDS, format_day, sync_label, visible_text
from smsconfirm_tui.tui.widgets.day_list import DayList

log = logging.getLogger(__name__)

PROGRESS_STATUS = {
    MessageState.SENT: VisitStatus.SENT,
    MessageState.UNKNOWN: VisitStatus.SENT,
    MessageState.FAILED: VisitStatus.FAILED,
    MessageState.DROPPED: VisitStatus.CANCELLED,
}


MESSAGE_ERROR_SUMMARIES = {
    MessageState.UNKNOWN: N_("Outcome unknown, checked again on F6: "),
    MessageState.FAILED: N_("Not sent: "),
    MessageState.DROPPED: N_("Not sent, the visit changed: "),
    MessageState.QUEUED: N_("Waiting for the next send: "),
}


class View(StrEnum):
    DAY = "day"
    DUE = "due"


class DayScreen(Screen):
    """Visits of one day, or the visits due today ("Bestätigung im Voraus")."""

    BINDINGS = [
        Binding("f1,question_mark", "help", _("Help"), key_display="F1", id="help"),
        Binding("f2,d", "pick_date", _("Date"), key_display="F2", id="pick_date"),
        Binding("f3,a", "toggle_audit", _("Audit"), key_display="F3", id="audit"),
        Binding("f4,v", "due_today", _("In advance"), key_display="F4", id="due_today"),
        Binding("f5,s", "send", _("Send"), key_display="F5", id="send"),
        Binding("f6,r", "fetch_replies", _("Replies"), key_display="F6", id="fetch_replies"),
        # Hidden from the footer, which is full at 80 columns; the help
        # screen (F1) and the send dialog's warning name the key.
        Binding("f9", "sync", _("Sync"), key_display="F9", show=False, id="sync"),
        Binding("q", "app.quit", _("Quit"), id="quit"),
        Binding("p", "profile", _("Profile"), show=False, id="profile"),
        Binding("space", "toggle_tick", _("Tick"), show=False, id="toggle_tick"),
        Binding("h", "today", _("Today"), show=False, id="today"),
        Binding("m", "tomorrow", _("Tomorrow"), show=False, id="tomorrow"),
        Binding("n", "next_working_day", _("Next working day"), show=False, id="next_working_day"),
        Binding("left", "previous_day", _("Previous day"), show=False, id="previous_day"),
        Binding("right", "next_day", _("Next day"), show=False, id="next_day"),
        Binding("f7,c", "call_list", _("Call list of declined visits"), key_display="F7", show=False,
                id="call_list"),
        Binding("f8,u", "unassigned", _("Unassigned replies"), key_display="F8", show=False, id="unassigned"),
    ]

    def __init__(self, routine: Routine, day: date | None = None) -> None:
        super().__init__()
        self.routine = routine
        self.day = day or routine.next_working_day(routine.today())
        self.view = View.DAY
        self.audit_only = False
        self.rows: list[DayRow] = []
        self.sending = False
        self.warned_small = False
        self.fetching = False
        self.last_poll_error: str | None = None
        self.syncing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield Static(id="title")
            yield Static(id="counts")
            yield Static(id="attention")
        yield DayList(id="day-list")
        yield Static(id="detail")
        yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_resize(self, event) -> None:
        # The list is laid out for 80x24; a smaller window cuts off the status column.
        too_small = event.size.width < 80 or event.size.height < 20
        if too_small and not self.warned_small:
            self.notify(_("The window is smaller than 80x24: some columns are cut off."), severity="warning",
                        markup=False)
        self.warned_small = too_small

    def on_mount(self) -> None:
        self.query_one("#progress").display = False
        self.load()
        self.query_one(DayList).focus()
        seconds = self.routine.config.reply_poll_seconds
        if seconds > 0 and self.routine.supports_replies():
            self.set_interval(seconds, self.poll_replies, name="reply-poll")

    # -- loading ----------------------------------------------------------

    def load(self, *, keep_ticks: bool = False) -> None:
        """Read the current view from the mirror and show it.

        With ``keep_ticks``, rows that staff unticked stay unticked, so that
        a refresh after new replies does not undo their choice.
        """
        day_list = self.query_one(DayList)
        old_keys, old_ticked = set(day_list.rows_by_key), set(day_list.ticked)
        if self.view is View.DUE:
            rows = self.routine.rows_due()
        else:
            rows = self.routine.rows_for_day(self.day)
        self.rows = rows
        shown = [row for row in rows if row.status in AUDIT_STATUSES] if self.audit_only else rows
        ticked = {row.key for row in shown if row.status is VisitStatus.TO_SEND and row.can_send}
        if keep_ticks:
            ticked = {key for key in ticked if key in old_ticked or key not in old_keys}
        day_list.show(shown, ticked, show_date=self.view is View.DUE)
        self._show_title(len(shown))
        self._show_attention()
        self._show_detail()

    def _show_attention(self) -> None:
        # NOTE: this runs on the UI thread on every load. bench_replies measures
        # about 0.2 s for 800 visits a day on 2 cores, so a large chain may need a worker.
        attention = self.routine.attention()
        if attention.total == 0:
            self.query_one("#attention", Static).update(Text(_("No replies need attention."), style="dim"))
            return
        text = _("Needs attention: {unclear} unclear · {declined} to call (F7) · {unassigned} unassigned (F8)").format(
            unclear=attention.unclear, declined=attention.declined, unassigned=attention.unassigned
        )
        self.query_one("#attention", Static).update(Text(text, style="bold"))

    def _show_title(self, shown: int) -> None:
        today = self.routine.today()
        if self.view is View.DUE:
            title = _("Confirm in advance: due {day}").format(day=format_day(today))
        else:
            label = ""
            if self.day == today:
                label = _("today") + ", "
            elif self.day == today + timedelta(days=1):
                label = _("tomorrow") + ", "
            title = _("Appointments {label}{day}").format(label=label, day=format_day(self.day))
        if self.audit_only:
            title += " · " + _("only needs setup or invalid")
        # One line: a wrapped title would push the attention line out of view.
        heading = Text(title, style="bold", no_wrap=True, overflow="ellipsis")
        heading.append(" · ")
        heading.append_text(sync_label(self.routine.last_sync_at(), today, stale=self.routine.sync_is_stale()))
        self.query_one("#title", Static).update(heading)

        counts: dict[VisitStatus, int] = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        parts = [ngettext("{n} visit", "{n} visits", len(self.rows)).format(n=len(self.rows))]
        for status, word in (
            (VisitStatus.TO_SEND, _("not sent")),
            (VisitStatus.NEEDS_SETUP, _("needs setup")),
            (VisitStatus.INVALID_NUMBER, _("invalid")),
            (VisitStatus.UNCLEAR, _("unclear")),
            (VisitStatus.DECLINED, _("declined")),
        ):
            if counts.get(status):
                parts.append(f"{counts[status]} {word}")
        if self.audit_only:
            parts.append(_("{n} shown").format(n=shown))
        self.query_one("#counts", Static).update(Text(" · ".join(parts)))

    def _show_detail(self) -> None:
        """Show the highlighted row's reply, error or number note under the list."""
        row = self.query_one(DayList).current_row
        detail = Text()
        if row is not None:
            if row.reply is not None:
                detail.append(_("Reply: "), style="bold")
                detail.append(visible_text(row.reply.text, one_line=True))
                if row.reply.note:
                    detail.append("  " + _("Note: "), style="bold")
                    detail.append(visible_text(row.reply.note, one_line=True))
            elif row.message is not None and row.message.error:
                # The gateway's error text stays English for technicians. A
                # summary in the UI language first tells staff what it means.
                summary = MESSAGE_ERROR_SUMMARIES.get(row.message.state, N_("Error: "))
                detail.append(_(summary), style="bold")
                detail.append(visible(row.message.error), style="dim")
            elif row.message is not None and row.message.delivery:
                detail.append(_("Delivery: "), style="bold")
                detail.append(_(DELIVERY_WORDS.get(row.message.delivery, row.message.delivery)))
            elif row.status is VisitStatus.INVALID_NUMBER:
                detail.append(_("Number as typed: "), style="bold")
                detail.append(visible(row.client.mobile_phone or row.client.home_phone or row.client.work_phone))
            else:
                services = ", ".join(line.service for line in row.visit.active_lines) or "-"
                detail.append(f"{visible(row.salon.name)} · ", style="bold")
                detail.append(visible(services))
                if row.client.phone_note:
                    detail.append("  " + _("Note: "), style="bold")
                    detail.append(visible(row.client.phone_note))
        self.query_one("#detail", Static).update(detail)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_detail()

    # -- moving between days ------------------------------------------------

    def go_to(self, day: date) -> None:
        self.view = View.DAY
        self.day = day
        self.load()

    def action_today(self) -> None:
        self.go_to(self.routine.today())

    def action_tomorrow(self) -> None:
        self.go_to(self.routine.today() + timedelta(days=1))

    def action_next_working_day(self) -> None:
        self.go_to(self.routine.next_working_day(self.routine.today()))

    def action_previous_day(self) -> None:
        self.go_to((self.day if self.view is View.DAY else self.routine.today()) - timedelta(days=1))

    def action_next_day(self) -> None:
        self.go_to((self.day if self.view is View.DAY else self.routine.today()) + timedelta(days=1))

    def action_pick_date(self) -> None:
        from smsconfirm_tui.tui.screens.date_prompt import DatePrompt

        def picked(day: date | None) -> None:
            if day is not None:
                self.go_to(day)

        self.app.push_screen(DatePrompt(self.routine.today()), picked)

    def action_due_today(self) -> None:
        self.view = View.DUE
        self.load()

    def action_toggle_audit(self) -> None:
        self.audit_only = not self.audit_only
        self.load()

    # -- rows -------------------------------------------------------------

    def action_toggle_tick(self) -> None:
        day_list = self.query_one(DayList)
        row = day_list.current_row
        if row is None:
            return
        if row.status not in (VisitStatus.TO_SEND, VisitStatus.FAILED):
            self.notify(_("Only rows that were not sent can be ticked."), severity="warning", markup=False)
            return
        if row.too_late:
            self.notify(_("This visit has started or starts too soon for an SMS: confirm it by phone."),
                        severity="warning", markup=False)
            return
        day_list.set_ticked(row.key, row.key not in day_list.ticked)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        row = self.query_one(DayList).current_row
        if row is None:
            return
        if row.reply is not None:
            self.open_reply(row)
        else:
            self.action_profile()

    def action_profile(self) -> None:
        from smsconfirm_tui.tui.screens.profile import ProfileModal

        row = self.query_one(DayList).current_row
        if row is None:
            return
        client = self.routine.client(row.client.id)
        if client is None:
            return

        def closed(saved: bool | None) -> None:
            if saved:
                self.load()

        self.app.push_screen(ProfileModal(self.routine, client), closed)

    def open_reply(self, row: DayRow) -> None:
        from smsconfirm_tui.tui.screens.reply import ReplyModal

        def closed(changed: bool | None) -> None:
            if changed:
                self.load()

        self.app.push_screen(ReplyModal(self.routine, row), closed)

    # -- sending ----------------------------------------------------------

    def action_send(self) -> None:
        from smsconfirm_tui.tui.screens.send import SendDialog

        if self.sending:
            self.notify(_("A send is already running."), severity="warning", markup=False)
            return
        if self.syncing:
            self.notify(_("Wait until the sync has finished."), severity="warning", markup=False)
            return
        day_list = self.query_one(DayList)
        chosen = [row for row in self.rows if row.key in day_list.ticked]
        plan = self.routine.plan_send(chosen)
        if plan.count == 0:
            self.notify(_("No ticked SMS to send."), severity="information", markup=False)
            return

        dialog = SendDialog(plan, self.routine.last_sync(), stale=self.routine.sync_is_stale())

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.start_send(dialog.chosen_plan)

        self.app.push_screen(dialog, answered)

    def start_send(self, plan: SendPlan) -> None:
        self.sending = True
        progress = self.query_one("#progress", ProgressBar)
        progress.update(total=plan.count, progress=0)
        progress.display = True
        self.send_worker(plan)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def send_worker(self, plan: SendPlan) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            summary = self.routine.send(
                plan,
                on_progress=lambda progress: self.post_message(SendProgressed(copy(progress))),
                is_cancelled=lambda: worker.is_cancelled,
            )
        except Exception as error:  # noqa: BLE001 - shown to staff, logged for technicians
            log.exception("send failed")
            self.post_message(SendFinished(None, str(error)))
            return
        self.post_message(SendFinished(summary))

    def on_send_progressed(self, message: SendProgressed) -> None:
        progress: SendProgress = message.progress
        self.query_one("#progress", ProgressBar).update(progress=progress.done)
        if progress.last_visit_key and progress.last_state in PROGRESS_STATUS:
            self.query_one(DayList).set_status(progress.last_visit_key, PROGRESS_STATUS[progress.last_state])

    def on_send_finished(self, message: SendFinished) -> None:
        self.sending = False
        self.query_one("#progress").display = False
        if message.error or message.summary is None:
            text = _("Sending stopped: {error}").format(error=visible(message.error))
            self.notify(text, severity="error", timeout=10, markup=False)
        else:
            progress = message.summary.progress
            text = _("{sent} SMS sent, {failed} failed, {unknown} unknown.").format(
                sent=progress.sent, failed=progress.failed, unknown=progress.unknown
            )
            self.notify(text, severity="warning" if progress.failed or progress.unknown else "information", markup=False)
            if progress.dropped:
                dropped = ngettext(
                    "{n} SMS not sent: the visit moved, was cancelled or starts too soon.",
                    "{n} SMS not sent: the visits moved, were cancelled or start too soon.",
                    progress.dropped,
                ).format(n=progress.dropped)
                self.notify(dropped, severity="warning", timeout=10, markup=False)
        self.load()

    # -- sync -------------------------------------------------------------

    def action_sync(self) -> None:
        if self.sending:
            self.notify(_("Wait until the send has finished."), severity="warning", markup=False)
            return
        if self.syncing:
            self.notify(_("A sync is already running."), severity="warning", markup=False)
            return
        self.syncing = True
        progress = self.query_one("#progress", ProgressBar)
        progress.update(total=None, progress=0)
        progress.display = True
        self.notify(_("Syncing with the salon database…"), markup=False)
        self.sync_worker()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def sync_worker(self) -> None:
        from textual.worker import get_current_worker

        from smsconfirm_tui.sync.errors import SyncError

        worker = get_current_worker()
        try:
            summary = self.routine.sync(
                progress=lambda progress: self.post_message(SyncProgressed(progress)),
                is_cancelled=lambda: worker.is_cancelled,
            )
        except SyncError as error:
            log.warning("sync failed: %s", error)
            self.post_message(SyncFinished(None, str(error)))
            return
        except Exception as error:  # noqa: BLE001 - shown to staff, logged for technicians
            log.exception("sync failed")
            self.post_message(SyncFinished(None, str(error)))
            return
        self.post_message(SyncFinished(summary))

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        step = message.progress
        bar = self.query_one("#progress", ProgressBar)
        if step.step == "read" and step.table == "appointments" and step.total:
            bar.update(total=step.total, progress=step.done)

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.query_one("#progress").display = False
        if message.error or message.summary is None:
            text = _("Sync failed, nothing was changed: {error}").format(error=visible(message.error))
            self.notify(text, severity="error", timeout=15, markup=False)
        else:
            summary = message.summary
            text = _("Sync done: {new} new, {changed} changed, {removed} removed, {skipped} skipped.").format(
                new=summary.new, changed=summary.changed, removed=summary.removed, skipped=summary.skipped_total
            )
            log_file = log_file_path()
            if summary.skipped_total and log_file is not None:
                text += " " + _("The skipped rows and why are in the log: {path}").format(path=visible(str(log_file)))
            self.notify(text, severity="warning" if summary.skipped_total else "information", markup=False)
        self.load()

    # -- replies ----------------------------------------------------------

    def action_fetch_replies(self) -> None:
        self.notify(_("Fetching replies…"), markup=False)
        self.fetching = True
        self.replies_worker(quiet=False)

    def poll_replies(self) -> None:
        """Fetch replies on the timer, unless a fetch is still running."""
        if self.fetching:
            return
        self.fetching = True
        self.replies_worker(quiet=True)

    @work(thread=True, exclusive=True, group="replies", exit_on_error=False)
    def replies_worker(self, quiet: bool) -> None:
        try:
            # Settle messages whose outcome was lost first, so their replies can match them.
            self.routine.reconcile()
            summary = self.routine.fetch_replies()
            # Delivery reports come from the same gateway, so they are refreshed with the replies.
            self.routine.fetch_deliveries()
        except GatewayError as error:
            log.warning("fetching replies failed: %s", error)
            self.post_message(RepliesFetched(None, str(error), quiet=quiet))
            return
        except Exception as error:  # noqa: BLE001 - shown to staff, logged for technicians
            log.exception("fetching replies failed")
            self.post_message(RepliesFetched(None, str(error), quiet=quiet))
            return
        self.post_message(RepliesFetched(summary, quiet=quiet))

    def on_replies_fetched(self, message: RepliesFetched) -> None:
        self.fetching = False
        if message.error or message.summary is None:
            # The timer repeats an error only when it changes, so that an
            # unreachable gateway does not cover the screen with notices.
            if not message.quiet or message.error != self.last_poll_error:
                text = _("Fetching replies failed: {error}").format(error=visible(message.error))
                self.notify(text, severity="error", timeout=10, markup=False)
            self.last_poll_error = message.error
            return
        self.last_poll_error = None
        summary = message.summary
        if message.quiet and summary.new == 0:
            return
        if not self.routine.supports_replies():
            self.notify(_("This SMS gateway returns no replies; delivery reports were updated."), markup=False)
        else:
            self.notify(ngettext("{n} new reply", "{n} new replies", summary.new).format(n=summary.new), markup=False)
        self.load(keep_ticks=True)

    def action_call_list(self) -> None:
        from smsconfirm_tui.tui.screens.call_list import CallListScreen

        self.app.push_screen(CallListScreen(self.routine), lambda _changed: self.load(keep_ticks=True))

    def action_unassigned(self) -> None:
        from smsconfirm_tui.tui.screens.unassigned import UnassignedScreen

        self.app.push_screen(UnassignedScreen(self.routine), lambda _changed: self.load(keep_ticks=True))

    # -- help -------------------------------------------------------------

    def action_help(self) -> None:
        from smsconfirm_tui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.BINDINGS))
