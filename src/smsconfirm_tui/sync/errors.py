"""Errors and results of a sync."""

from __future__ import annotations

from dataclasses import dataclass, field

# Skipped rows kept with their id and reason per table; more are only counted,
# so that a badly broken source cannot fill the memory.
MAX_SKIPPED_DETAILS = 1000


class SyncError(Exception):
    """The source cannot be read as a whole; the mirror was left unchanged."""


class SyncCancelled(SyncError):
    """The sync was cancelled before it finished; the mirror was left unchanged."""


@dataclass(frozen=True)
class SkippedRow:
    table: str
    row_id: str
    reason: str
    line: int | None = None  # the line in a CSV export; None for database sources


@dataclass
class TableSummary:
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class SyncSummary:
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)  # at most MAX_SKIPPED_DETAILS per table
    skipped_total: int = 0
    seconds: float = 0.0
    tables: dict[str, TableSummary] = field(default_factory=dict)

    def add(self, table: str, counts: TableSummary) -> None:
        self.tables[table] = counts
        self.new += counts.new
        self.changed += counts.changed
        self.removed += counts.removed
        self.unchanged += counts.unchanged
        self.skipped_total += counts.skipped

    def describe(self) -> str:
        return (
            f"{self.new} new, {self.changed} changed, {self.removed} removed, "
            f"{self.skipped_total} skipped in {self.seconds:.2f} s"
        )
