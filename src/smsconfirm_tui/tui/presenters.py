"""Screen text for statuses, dates and rows: words, symbols and colours.

Every value that came from the salon database or a reply is wrapped in
``rich.text.Text`` so that it is shown literally, never read as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rich.text import Text

from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.domain.text import visible
from smsconfirm_tui.i18n import N_, WEEKDAYS, _
from smsconfirm_tui.routine import DayRow


@dataclass(frozen=True)
class StatusLook:
    symbol: str
    word: str  # msgid, translate on use
    style: str  # Rich style; the symbol and word carry the meaning without colour


STATUS_LOOKS: dict[VisitStatus, StatusLook] = {
    VisitStatus.TO_SEND: StatusLook("●", N_("not sent"), "bold red"),
    VisitStatus.SENT: StatusLook("◔", N_("sent, no reply"), "#d7c49e"),
    VisitStatus.CONFIRMED: StatusLook("✔", N_("confirmed"), "bold green"),
    VisitStatus.DECLINED: StatusLook("✖", N_("declined"), "bold white on grey11"),
    VisitStatus.UNCLEAR: StatusLook("?", N_("unclear reply"), "bold dodger_blue1"),
    VisitStatus.FAILED: StatusLook("!", N_("failed"), "bold red reverse"),
    VisitStatus.NEEDS_SETUP: StatusLook("⚠", N_("needs setup"), "bold yellow"),
    VisitStatus.INVALID_NUMBER: StatusLook("⚠", N_("invalid number"), "bold yellow"),
    VisitStatus.NO_MOBILE: StatusLook("–", N_("no mobile"), "grey62"),
    VisitStatus.OPTED_OUT: StatusLook("⊘", N_("opted out"), "grey62"),
    VisitStatus.CANCELLED: StatusLook("·", N_("cancelled"), "dim"),
}


# The provider's delivery state of a sent SMS, as shown under the list.
DELIVERY_WORDS = {
    "accepted": N_("accepted by the gateway, not delivered yet"),
    "delivered": N_("delivered to the phone"),
    "failed": N_("not delivered"),
}


def status_text(
    status: VisitStatus, *, moved: bool = False, late: bool = False, too_late: bool = False
) -> Text:
    look = STATUS_LOOKS[status]
    word = _(look.word)
    # A move matters more than lateness, because the client has an SMS with the old time.
    if late and status is VisitStatus.TO_SEND:
        word = _("late, not sent")
    if moved and status is VisitStatus.TO_SEND:
        word = _("moved, not sent")
    if too_late and status is VisitStatus.TO_SEND:
        # Started or within the minimum notice: no SMS goes out any more.
        word = _("too late, not sent")
    return Text(f"{look.symbol} {word}", style=look.style)


def visible_text(text: str, *, one_line: bool = False) -> str:
    """Return untrusted text with control characters made visible (see ``domain.text``)."""
    return visible(text, one_line=one_line)


def weekday(day: date) -> str:
    return _(WEEKDAYS[day.weekday()])


def format_day(day: date) -> str:
    """Format a day as ``Fr 04.12.2026``."""
    return f"{weekday(day)} {day:%d.%m.%Y}"


def format_stamp(stamp: str) -> str:
    """Format a stored ISO 8601 time with offset as Zurich time, e.g. ``Fr 04.12. 09:05``."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZURICH)
    return f"{weekday(moment.date())} {moment:%d.%m. %H:%M}"


def sync_label(moment: datetime | None, today: date, *, stale: bool) -> Text:
    """Describe when the mirror was last synced, in warning colours when it is too old."""
    if moment is None:
        text = _("never synced")
    elif moment.date() == today:
        text = _("synced today {time}").format(time=f"{moment:%H:%M}")
    else:
        text = _("synced {when}").format(when=f"{moment:%d.%m.%Y %H:%M}")
    return Text(text, style="bold yellow" if stale else "dim")


# (column id, label msgid, width) per view. The widths fit 80 columns with
# the table's cell padding and its scrollbar.
DAY_COLUMNS = (
    ("tick", " ", 1),
    ("time", N_("Time"), 5),
    ("client", N_("Client"), 20),
    ("mobile", N_("Mobile"), 13),
    ("sms", N_("SMS"), 3),
    ("days", N_("Days"), 4),
    ("status", N_("Status"), 17),
)
DUE_COLUMNS = (
    ("tick", " ", 1),
    ("time", N_("Date"), 12),
    ("client", N_("Client"), 18),
    ("mobile", N_("Mobile"), 13),
    ("days", N_("Days"), 4),
    ("status", N_("Status"), 17),
)


def columns(show_date: bool) -> tuple[tuple[str, str, int], ...]:
    return DUE_COLUMNS if show_date else DAY_COLUMNS


def tick_text(ticked: bool) -> Text:
    return Text("☑" if ticked else " ", style="bold")


def row_cells(row: DayRow, ticked: bool, *, show_date: bool = False) -> list[Text]:
    """Return the cells of one day-list row, in the order of ``columns(show_date)``."""
    client = row.client
    number = client.phone_display or client.typed_phone or ""
    when = row.visit.starts_at
    late = row.due is not None and row.due.state == "late"
    cells = {
        "tick": tick_text(ticked),
        "time": Text(f"{when:%d.%m. %H:%M}" if show_date else f"{when:%H:%M}"),
        "client": Text(visible(client.name), no_wrap=True, overflow="ellipsis"),
        "mobile": Text(visible(number), no_wrap=True, overflow="ellipsis", style="" if client.phone_e164 else "dim"),
        "sms": Text(_("on") if client.sms_on else _("off"), style="" if client.sms_on else "dim"),
        "days": Text(str(row.lead_days), justify="right"),
        "status": status_text(row.status, moved=row.moved, late=late, too_late=row.too_late),
    }
    if row.status is VisitStatus.UNCLEAR and row.reply is not None:
        # The reply itself gives staff more to act on than the word "unclear".
        look = STATUS_LOOKS[VisitStatus.UNCLEAR]
        snippet = visible_text(row.reply.text, one_line=True).strip()
        cells["status"] = Text(f"{look.symbol} {snippet}", style=look.style, no_wrap=True, overflow="ellipsis")
    return [cells[column_id] for column_id, _label, _width in columns(show_date)]
