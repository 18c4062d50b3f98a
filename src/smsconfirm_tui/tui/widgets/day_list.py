"""The day list: one row per visit, updated in place while a send runs."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.routine import DayRow
from smsconfirm_tui.i18n import _
from smsconfirm_tui.tui.presenters import columns, row_cells, status_text, tick_text


class DayList(DataTable):
    """A table of visits; its row keys are the visit keys."""

    BINDINGS = [
        # Left and right change the day, so the table must not take them.
        Binding("left", "screen.previous_day", show=False),
        Binding("right", "screen.next_day", show=False),
        Binding("home", "first_row", show=False),
        Binding("end", "last_row", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_by_key: dict[str, DayRow] = {}
        self.ticked: set[str] = set()
        self.show_date = False

    def show(self, rows: list[DayRow], ticked: set[str], *, show_date: bool) -> None:
        """Replace the table's content, keeping the cursor on the same visit when possible."""
        current = self.current_key
        self.rows_by_key = {row.key: row for row in rows}
        self.ticked = ticked
        self.show_date = show_date
        self.clear(columns=True)
        for column_id, label, width in columns(show_date):
            self.add_column(Text(_(label)), width=width, key=column_id)
        for row in rows:
            self.add_row(*row_cells(row, row.key in ticked, show_date=show_date), key=row.key)
        if current in self.rows_by_key:
            self.move_cursor(row=self.get_row_index(current))

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    @property
    def current_key(self) -> str | None:
        if not self.rows_by_key or self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no current row
            return None
        return row_key.value

    @property
    def current_row(self) -> DayRow | None:
        key = self.current_key
        return self.rows_by_key.get(key) if key else None

    def set_ticked(self, key: str, ticked: bool) -> None:
        if ticked:
            self.ticked.add(key)
        else:
            self.ticked.discard(key)
        self.update_cell(key, "tick", tick_text(ticked))

    def set_status(self, key: str, status: VisitStatus) -> None:
        """Show a new status on one row without reloading the list."""
        if key not in self.rows_by_key:
            return
        self.update_cell(key, "status", status_text(status))
        if status is not VisitStatus.TO_SEND:
            self.set_ticked(key, False)
